// ConnectionConfig: where the API server is and how to authenticate, and the order in which it is found.
//
// loadConnectionConfig() follows kubectl and client-go:
//   1. LoadOptions::kubeconfig_path (the --kubeconfig flag; the app maps the original tool's
//      --path-to-kubeconfig alias onto it);
//   2. else $KUBECONFIG — when it is a colon-separated list, only its FIRST non-empty entry is read (kubectl
//      merges all of them; we do not, and say so in the log line naming the file);
//   3. else in-cluster (KUBERNETES_SERVICE_HOST and _PORT set, service-account files present);
//   4. else ~/.kube/config.
// The context is LoadOptions::context (--context) or the kubeconfig's current-context.
//
// Every file-system path and environment variable is read through Environment, so tests inject them.
// Errors (kInvalidArgument, or kNotFound for a missing file) name the file and the field, never a token.
//
// Thread-safety: plain values and pure-ish functions (they read files).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "kube/exec_credential.hpp"

namespace aar::kube {

inline constexpr const char* kInClusterDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// The process environment as the loader sees it.
struct Environment {
  // Returns a variable's value, or nullopt when unset. Default (process()): ::getenv.
  std::function<std::optional<std::string>(const std::string& name)> get;
  // Where the service-account token, ca.crt and namespace live. Default: kInClusterDir.
  std::string in_cluster_dir = kInClusterDir;

  static Environment process();
  std::string getOr(const std::string& name, const std::string& fallback) const;
};

// How requests authenticate. At most one of token / token_file / exec is used, in that order of precedence
// after client certificates (which may be combined with a token, as kubectl allows).
struct AuthConfig {
  std::string token;       // a static bearer token (never logged)
  std::string token_file;  // re-read at least once a minute (projected service-account tokens rotate)
  std::string client_cert_pem, client_key_pem;  // read at load time from -data or from files
  std::optional<ExecConfig> exec;
};

struct ConnectionConfig {
  std::string server;  // "https://host:port", no trailing slash
  std::string ca_pem;  // empty: the system trust store
  bool insecure_skip_tls_verify = false;
  AuthConfig auth;
  std::string namespace_name;  // the context's namespace, or the in-cluster namespace file; may be empty
  // Where this came from, for the startup log: "kubeconfig /path, context foo" or "in-cluster".
  std::string source;
};

struct LoadOptions {
  std::string kubeconfig_path;  // Default: empty (use the search order)
  std::string context;          // Default: empty (the current-context)
  Environment env = Environment::process();
};

// Finds and loads the configuration as described above. With insecure-skip-tls-verify it logs a loud warning.
Result<ConnectionConfig> loadConnectionConfig(const LoadOptions& options);

// Reads a whole file; kNotFound if it does not exist, kInvalidArgument if unreadable. `what` names the file's
// role in the error ("certificate-authority of cluster \"x\" in /path").
Result<std::string> readFileText(const std::string& path, const std::string& what);

}  // namespace aar::kube
