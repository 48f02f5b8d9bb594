// In-cluster configuration: a pod's service account.
//
// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT give the server (IPv6 hosts are bracketed);
// <dir>/ca.crt the CA (required), <dir>/token the bearer token (required at start, re-read while running:
// projected tokens rotate), <dir>/namespace the pod's namespace (optional).
//
// Thread-safety: reads files; no shared state.
#pragma once

#include "core/result.hpp"
#include "kube/config.hpp"

namespace aar::kube {

// True when both service variables are set (whether or not the files exist).
bool inClusterAvailable(const Environment& env);

// kUnavailable when the variables are unset; kNotFound/kInvalidArgument naming the file when one is missing
// or unreadable.
Result<ConnectionConfig> loadInClusterConfig(const Environment& env);

}  // namespace aar::kube
