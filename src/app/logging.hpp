// Logging setup for the controller: spdlog's default logger, on stderr.
//
// Text (default): "2026-11-28T15:04:05.123Z info  message". JSON (--log-format json): one object per line,
// {"ts":"2026-11-28T15:04:05.123Z","level":"info","logger":"aws-auth-refresher","msg":"..."}, every string
// escaped by nlohmann-json so a message can never break the line structure.
//
// Callers never pass a secret to a log call; nothing here filters.
//
// Thread-safety: call once at startup, before other threads log.
#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"

namespace spdlog {
class formatter;
}

namespace aar::app {

// level: debug|info|warn|error; format: text|json. kInvalidArgument otherwise.
Status configureLogging(const std::string& level, const std::string& format);

// The JSON-lines formatter (exposed for tests).
std::unique_ptr<spdlog::formatter> makeJsonFormatter();

}  // namespace aar::app
