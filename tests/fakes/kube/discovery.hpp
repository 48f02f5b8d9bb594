// Discovery documents, so kubectl can map "configmap" to /api/v1/.../configmaps: /api, /api/v1, /apis,
// /apis/<group>, /apis/<group>/<version>, /version, and a minimal OpenAPI v3 (/openapi/v3 and one document
// per group-version) that tells kubectl the server does field validation itself. Built from
// builtinResourceTypes().
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace aar::testing::kube {

// The document for a discovery path, or nullopt when `path` is not one. `server_address` is host:port.
std::optional<nlohmann::json> discoveryDocument(const std::string& path, const std::string& server_address);

}  // namespace aar::testing::kube
