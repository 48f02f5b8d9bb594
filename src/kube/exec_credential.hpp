// Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1), as kubectl runs them: how
// `aws eks get-token` logs people in.
//
// The plugin is run with the kubeconfig's args and env added to our environment, plus KUBERNETES_EXEC_INFO
// (an ExecCredential with spec.interactive=false and, with provideClusterInfo, spec.cluster). Its stdout must
// be an ExecCredential of the same apiVersion whose status holds a token or a client certificate and key
// (PEM), and optionally expirationTimestamp. Stdin is /dev/null: we never run interactively. A plugin that
// runs longer than the timeout is killed (SIGKILL to its process group) and reported as kTimeout.
//
// Secrets: the plugin's stdout is never logged or quoted in errors; stderr is quoted (truncated), as kubectl
// shows it, since plugins print their failure reasons there.
//
// Thread-safety: parse functions are pure; runExecPlugin may be called from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace aar::kube {

inline constexpr std::string_view kExecApiV1 = "client.authentication.k8s.io/v1";
inline constexpr std::string_view kExecApiV1beta1 = "client.authentication.k8s.io/v1beta1";

// users[].user.exec of a kubeconfig.
struct ExecConfig {
  std::string api_version;  // kExecApiV1 or kExecApiV1beta1
  // As written, except that a relative path with a '/' is resolved against the kubeconfig's directory
  // (kubectl does the same); a bare name is looked up on PATH.
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  bool provide_cluster_info = false;
  std::string install_hint;  // shown when the command cannot be started
};

// What the cluster looks like, for spec.cluster when provideClusterInfo is set.
struct ExecClusterInfo {
  std::string server;
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
};

// status of an ExecCredential.
struct ExecCredential {
  std::string token;
  std::string client_cert_pem, client_key_pem;
  // nullopt: valid until a request gets 401.
  std::optional<std::chrono::system_clock::time_point> expiration;
};

// Parses a plugin's stdout. Errors (kParse) say what is wrong without quoting values: not JSON, kind is not
// ExecCredential, apiVersion differs from `expected_api_version`, no status, neither token nor a certificate
// and key pair, only one of the pair, a bad expirationTimestamp.
Result<ExecCredential> parseExecCredential(std::string_view json, std::string_view expected_api_version);

// The KUBERNETES_EXEC_INFO value for this plugin (cluster may be null).
std::string execInfoJson(const ExecConfig& config, const ExecClusterInfo* cluster);

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `command` with `args`, our environment plus `extra_env` (later entries win), stdin from /dev/null,
// in its own process group, with every signal at its default disposition, an empty signal mask, and only
// descriptors 0, 1 and 2 open (resetChildForExec).
// kTimeout when it exceeds `timeout` (then killed), kUnavailable when it cannot be started (not found, not
// executable). A non-zero exit is a success of this function (exit_code says so).
Result<ProcessResult> runProcess(const std::string& command, const std::vector<std::string>& args,
                                 const std::vector<std::pair<std::string, std::string>>& extra_env,
                                 std::chrono::milliseconds timeout);

// Runs the plugin and parses its output. Errors name the command (not its args or env, which may hold
// secrets): cannot start (with the install hint), timeout, non-zero exit (with stderr), bad output.
Result<ExecCredential> runExecPlugin(const ExecConfig& config, const ExecClusterInfo* cluster,
                                     std::chrono::milliseconds timeout);

}  // namespace aar::kube
