#include "kube/in_cluster.hpp"

namespace aar::kube {
namespace {

constexpr const char* kHostVar = "KUBERNETES_SERVICE_HOST";
constexpr const char* kPortVar = "KUBERNETES_SERVICE_PORT";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

}  // namespace

bool inClusterAvailable(const Environment& env) {
  return !env.getOr(kHostVar, "").empty() && !env.getOr(kPortVar, "").empty();
}

Result<ConnectionConfig> loadInClusterConfig(const Environment& env) {
  const std::string host = env.getOr(kHostVar, "");
  const std::string port = env.getOr(kPortVar, "");
  if (host.empty() || port.empty()) {
    return makeError(ErrorKind::kUnavailable, "not in a cluster: KUBERNETES_SERVICE_HOST or _PORT is unset");
  }
  const std::string& dir = env.in_cluster_dir;
  ConnectionConfig config;
  const bool ipv6 = host.find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;
  auto ca = readFileText(dir + "/ca.crt", "in-cluster CA");
  if (!ca) return ca.error();
  if (ca->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return makeError(ErrorKind::kInvalidArgument,
                     "in-cluster CA: " + dir + "/ca.crt holds no PEM certificate");
  }
  config.ca_pem = std::move(*ca);
  // The token is read now to fail early, then re-read while running (projected tokens rotate).
  auto token = readFileText(dir + "/token", "in-cluster service-account token");
  if (!token) return token.error();
  if (trimmed(*token).empty()) {
    return makeError(ErrorKind::kInvalidArgument,
                     "in-cluster service-account token: " + dir + "/token is empty");
  }
  config.auth.token_file = dir + "/token";
  if (auto ns = readFileText(dir + "/namespace", "in-cluster namespace"))
    config.namespace_name = trimmed(*ns);
  config.source = "in-cluster (" + dir + ")";
  return config;
}

}  // namespace aar::kube
