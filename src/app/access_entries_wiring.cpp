#include "app/access_entries_wiring.hpp"

#include <fstream>
#include <sstream>
#include <vector>

#include "aws/credentials_profile.hpp"

namespace aar::app {

Result<controller::Backend> parseBackend(const std::string& flag) {
  if (flag == kBackendAwsAuth) return controller::Backend::kAwsAuth;
  if (flag == kBackendAccessEntries) return controller::Backend::kAccessEntries;
  if (flag == kBackendAuto) return controller::Backend::kAuto;
  return makeError(ErrorKind::kInvalidArgument, "--backend \"" + flag + "\" is unknown");
}

std::string profileRegion(const aws::EnvLookup& env) {
  std::string path;
  if (auto file = env("AWS_CONFIG_FILE"); file && !file->empty()) {
    path = *file;
  } else if (auto home = env("HOME"); home && !home->empty()) {
    path = *home + "/.aws/config";
  } else {
    return "";
  }
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream text;
  text << in.rdbuf();
  auto sections = aws::parseIni(text.str(), path);
  if (!sections.ok()) return "";
  std::string profile = "default";
  if (auto p = env("AWS_PROFILE"); p && !p->empty()) profile = *p;
  // The config file names a profile "[profile NAME]", except the default one ("[default]", and the SDKs also
  // read "[profile default]").
  std::vector<std::string> names{"profile " + profile};
  if (profile == "default") names.insert(names.begin(), "default");
  for (const auto& name : names) {
    auto s = sections->find(name);
    if (s == sections->end()) continue;
    auto region = s->second.find("region");
    if (region != s->second.end() && !region->second.empty()) return region->second;
  }
  return "";
}

Result<std::unique_ptr<EksParts>> makeEksParts(const RunOptions& options,
                                               aws::CredentialsProvider& credentials,
                                               const aws::EnvLookup& env, base::Clock& clock,
                                               controller::ControllerMetrics& metrics) {
  if (options.cluster_name.empty()) {
    return makeError(ErrorKind::kInvalidArgument, "--backend " + options.backend + " needs --cluster-name");
  }
  auto endpoint = aws::eksEndpoint(env, profileRegion(env));
  if (!endpoint.ok()) {
    return makeError(endpoint.error().kind, "--backend " + options.backend + ": " + endpoint.error().message);
  }
  auto parts = std::make_unique<EksParts>();
  parts->region = endpoint->signing_region;
  parts->http = std::make_unique<net::HttpClient>();
  aws::EksClientOptions eks;
  eks.endpoint = *endpoint;
  eks.cluster_name = options.cluster_name;
  eks.clock = &clock;
  eks.on_request = [&metrics](std::string_view operation, std::string_view code) {
    metrics.eksRequest(operation, code);
  };
  parts->eks = std::make_unique<aws::EksClient>(*parts->http, credentials, std::move(eks));
  EksAccessEntryStoreOptions store;
  store.owner_id = options.owner_id;
  store.cluster_name = options.cluster_name;
  store.region = parts->region;
  parts->store = std::make_unique<EksAccessEntryStore>(*parts->eks, clock, std::move(store));
  return parts;
}

}  // namespace aar::app
