// Go's time.ParseDuration syntax for flags such as --refresh-interval: "15s", "1m30s", "500ms", "1.5h", "0".
//
// A duration is an optional sign and a sequence of decimal numbers, each with an optional fraction and a
// unit: ns, us (or µs/μs), ms, s, m, h. "0" alone is zero. Anything else (no unit, unknown unit, empty,
// overflow) is an error of kind kInvalidArgument that quotes the value.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace aar::app {

Result<std::chrono::nanoseconds> parseGoDuration(std::string_view value);

// The shortest Go-style spelling of d, e.g. "1m30s", "500ms", "0s" (for logs and --help defaults).
std::string formatGoDuration(std::chrono::nanoseconds d);

}  // namespace aar::app
