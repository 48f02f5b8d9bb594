#include "kube/exec_credential.hpp"

#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>

#include "kube/child_process.hpp"
#include "kube/encoding.hpp"

extern char** environ;

namespace aar::kube {
namespace {

constexpr size_t kMaxOutput = 4u << 20;   // an ExecCredential is small; a runaway plugin is cut off
constexpr size_t kMaxStderrQuoted = 400;  // bytes of stderr quoted in an error

std::string tail(const std::string& s) {
  std::string t = s.size() > kMaxStderrQuoted ? s.substr(s.size() - kMaxStderrQuoted) : s;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

}  // namespace

Result<ExecCredential> parseExecCredential(std::string_view json, std::string_view expected_api_version) {
  nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!doc.is_object()) return makeError(ErrorKind::kParse, "exec plugin output is not a JSON object");
  if (jsonString(doc, "kind") != "ExecCredential") {
    return makeError(ErrorKind::kParse, "exec plugin output: kind is not ExecCredential");
  }
  const std::string api_version = jsonString(doc, "apiVersion");
  if (api_version != expected_api_version) {
    return makeError(ErrorKind::kParse, "exec plugin output: apiVersion \"" + api_version +
                                            "\" does not match the kubeconfig's \"" +
                                            std::string(expected_api_version) + "\"");
  }
  auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) {
    return makeError(ErrorKind::kParse, "exec plugin output: no status");
  }
  ExecCredential cred;
  auto str = [&](const char* field, std::string* out) -> Status {
    auto it = status->find(field);
    if (it == status->end() || it->is_null()) return Status::Ok();
    if (!it->is_string())
      return makeError(ErrorKind::kParse,
                       std::string("exec plugin output: status.") + field + " is not a string");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  std::string expiry;
  for (auto [field, out] : {std::pair{"token", &cred.token},
                            {"clientCertificateData", &cred.client_cert_pem},
                            {"clientKeyData", &cred.client_key_pem},
                            {"expirationTimestamp", &expiry}}) {
    if (Status s = str(field, out); !s) return s.error();
  }
  if (cred.client_cert_pem.empty() != cred.client_key_pem.empty()) {
    return makeError(
        ErrorKind::kParse,
        "exec plugin output: status.clientCertificateData and status.clientKeyData must come together");
  }
  if (cred.token.empty() && cred.client_cert_pem.empty()) {
    return makeError(ErrorKind::kParse,
                     "exec plugin output: status has neither token nor clientCertificateData/clientKeyData");
  }
  if (!expiry.empty()) {
    auto t = parseRfc3339(expiry);
    if (!t)
      return makeError(ErrorKind::kParse, "exec plugin output: status.expirationTimestamp is not RFC 3339");
    cred.expiration = *t;
  }
  return cred;
}

std::string execInfoJson(const ExecConfig& config, const ExecClusterInfo* cluster) {
  nlohmann::json info = {
      {"apiVersion", config.api_version.empty() ? std::string(kExecApiV1) : config.api_version},
      {"kind", "ExecCredential"},
      {"spec", {{"interactive", false}}}};
  if (config.provide_cluster_info && cluster != nullptr) {
    nlohmann::json c = {{"server", cluster->server}};
    if (!cluster->ca_pem.empty()) c["certificate-authority-data"] = base64Encode(cluster->ca_pem);
    if (cluster->insecure_skip_tls_verify) c["insecure-skip-tls-verify"] = true;
    info["spec"]["cluster"] = std::move(c);
  }
  return jsonText(info);
}

namespace {

// Our environment with `extra_env` on top (later entries win), as "NAME=value" strings sorted by name.
std::vector<std::string> pluginEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra_env) {
  std::map<std::string, std::string> env_map;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env_map[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  for (const auto& [k, v] : extra_env) env_map[k] = v;
  std::vector<std::string> env;
  env.reserve(env_map.size());
  for (const auto& [k, v] : env_map) env.push_back(k + "=" + v);
  return env;
}

}  // namespace

Result<ProcessResult> runProcess(const std::string& command, const std::vector<std::string>& args,
                                 const std::vector<std::pair<std::string, std::string>>& extra_env,
                                 std::chrono::milliseconds timeout) {
  SpawnOptions spawn;
  spawn.argv = {command};
  spawn.argv.insert(spawn.argv.end(), args.begin(), args.end());
  spawn.env = pluginEnvironment(extra_env);
  spawn.capture_stderr = true;
  spawn.own_process_group = true;  // a timeout kills whatever the plugin started too
  auto child = ChildProcess::spawn(spawn);
  if (!child) return makeError(child.error().kind, "exec plugin " + child.error().message);
  auto output = (*child)->collect(kMaxOutput, timeout);
  if (!output) {
    (*child)->kill(SIGKILL);
    (*child)->wait();
    if (output.error().kind != ErrorKind::kTimeout)
      return makeError(output.error().kind, "exec plugin " + command + ": " + output.error().message);
    return makeError(ErrorKind::kTimeout, "exec plugin " + command + " did not finish within " +
                                              std::to_string(timeout.count()) + " ms and was killed");
  }
  ProcessResult result;
  result.out = std::move(output->out);
  result.err = std::move(output->err);
  result.exit_code = (*child)->wait();
  return result;
}

Result<ExecCredential> runExecPlugin(const ExecConfig& config, const ExecClusterInfo* cluster,
                                     std::chrono::milliseconds timeout) {
  auto env = config.env;
  env.emplace_back("KUBERNETES_EXEC_INFO", execInfoJson(config, cluster));
  auto run = runProcess(config.command, config.args, env, timeout);
  if (!run) {
    Error e = run.error();
    if (e.kind == ErrorKind::kUnavailable && !config.install_hint.empty())
      e.message += "; " + config.install_hint;
    return e;
  }
  if (run->exit_code != 0) {
    return makeError(ErrorKind::kUnauthorized, "exec plugin " + config.command + " exited with code " +
                                                   std::to_string(run->exit_code) + ": " + tail(run->err));
  }
  auto cred = parseExecCredential(run->out, config.api_version);
  if (!cred) return makeError(cred.error().kind, config.command + ": " + cred.error().message);
  return cred;
}

}  // namespace aar::kube
