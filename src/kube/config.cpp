#include "kube/config.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "kube/in_cluster.hpp"
#include "kube/kubeconfig.hpp"

namespace aar::kube {

Environment Environment::process() {
  Environment env;
  env.get = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  return env;
}

std::string Environment::getOr(const std::string& name, const std::string& fallback) const {
  if (!get) return fallback;
  auto v = get(name);
  return v ? *v : fallback;
}

Result<std::string> readFileText(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return makeError(ErrorKind::kNotFound, what + ": file " + path + " does not exist");
    return makeError(ErrorKind::kInvalidArgument,
                     what + ": cannot read " + path + ": " + std::strerror(errno));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError(ErrorKind::kInvalidArgument,
                     what + ": cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return makeError(ErrorKind::kInvalidArgument, what + ": error reading " + path);
  return ss.str();
}

Result<ConnectionConfig> loadConnectionConfig(const LoadOptions& options) {
  const Environment& env = options.env;
  Result<ConnectionConfig> result = makeError(ErrorKind::kInternal, "unset");
  if (!options.kubeconfig_path.empty()) {
    result = loadKubeconfig(options.kubeconfig_path, options.context);
  } else if (auto list = env.get ? env.get("KUBECONFIG") : std::nullopt; list && !list->empty()) {
    // Only the first non-empty entry: we do not merge kubeconfig files as kubectl does.
    std::string first;
    std::stringstream ss(*list);
    for (std::string item; std::getline(ss, item, ':');) {
      if (!item.empty()) {
        first = item;
        break;
      }
    }
    if (first.empty()) return makeError(ErrorKind::kInvalidArgument, "$KUBECONFIG names no file");
    if (first.size() != list->size()) {
      spdlog::info("$KUBECONFIG lists several files; reading only the first, {}", first);
    }
    result = loadKubeconfig(first, options.context);
  } else if (inClusterAvailable(env)) {
    if (!options.context.empty()) {
      return makeError(ErrorKind::kInvalidArgument,
                       "--context given but no kubeconfig is in use (in-cluster)");
    }
    result = loadInClusterConfig(env);
  } else {
    const std::string home = env.getOr("HOME", "");
    if (home.empty()) {
      return makeError(
          ErrorKind::kNotFound,
          "no Kubernetes configuration: no --kubeconfig, no $KUBECONFIG, not in a cluster, no $HOME");
    }
    const std::string path = home + "/.kube/config";
    result = loadKubeconfig(path, options.context);
    if (!result && result.error().kind == ErrorKind::kNotFound) {
      return makeError(ErrorKind::kNotFound,
                       "no Kubernetes configuration: no --kubeconfig, no $KUBECONFIG, "
                       "not in a cluster (KUBERNETES_SERVICE_HOST unset), and " +
                           result.error().message);
    }
  }
  if (result && result->insecure_skip_tls_verify) {
    spdlog::warn(
        "INSECURE: TLS verification of the API server {} is OFF (insecure-skip-tls-verify in {}); "
        "anyone on the network path can impersonate it",
        result->server, result->source);
  }
  return result;
}

}  // namespace aar::kube
