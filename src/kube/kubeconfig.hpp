// kubeconfig files (clientcmd/api/v1 Config) → ConnectionConfig.
//
// Supported per cluster: server, certificate-authority, certificate-authority-data, insecure-skip-tls-verify.
// Per user: token, tokenFile, client-certificate(-data), client-key(-data), exec. Per context: cluster, user,
// namespace. Relative paths (certificate-authority, client-certificate, client-key, tokenFile, and an exec
// command containing '/') are resolved against the kubeconfig's directory, as kubectl does. Files named by
// the kubeconfig are read at load time, except tokenFile, which is re-read while running. Not supported
// (error, never silently ignored): auth-provider, username/password. Refused as kubectl refuses them (errors
// naming the cluster): a server that is not https:// (plain http:// would send the token in clear), and
// insecure-skip-tls-verify: true together with certificate-authority or certificate-authority-data.
//
// Thread-safety: pure functions (loadKubeconfig reads files).
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "kube/config.hpp"

namespace aar::kube {

// Parses `yaml` (the content of the file at `path`, used for messages and for relative paths) and resolves
// `context` (empty: current-context). Errors (kInvalidArgument) name the file and the field, e.g.
// `/home/u/.kube/config: users["me"].user.client-key-data: not valid base64`.
Result<ConnectionConfig> parseKubeconfig(std::string_view yaml, const std::string& path,
                                         const std::string& context);

// Reads and parses the file at `path`.
Result<ConnectionConfig> loadKubeconfig(const std::string& path, const std::string& context);

}  // namespace aar::kube
