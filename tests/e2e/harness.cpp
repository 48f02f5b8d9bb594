#include "e2e/harness.hpp"

#include <httplib.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "core/aws_auth_codec.hpp"

namespace aar::e2e {

using namespace std::chrono_literals;

std::string userArn(const std::string& name) {
  return std::string("arn:aws:iam::") + kAccount + ":user/" + name;
}

std::ostream& operator<<(std::ostream& os, const Entry& e) {
  os << "{" << e.arn << ", " << e.username << ", [";
  for (size_t i = 0; i < e.groups.size(); ++i) os << (i ? ", " : "") << e.groups[i];
  return os << "]}";
}

void E2eTest::SetUp() {
  tmp_ = std::make_unique<test::TempDir>("aar-e2e");
  dir_ = tmp_->path();
  kube_ = std::make_unique<testing::kube::FakeApiServer>();
  kube_->start();
  kubeconfig_ = dir_ + "/kubeconfig";
  testing::kube::KubeconfigOptions ko;
  ko.namespace_name = "kube-system";
  kube_->writeKubeconfig(kubeconfig_, ko);
  fakes::FakeIam::Options io;
  io.account_id = kAccount;
  iam_ = std::make_unique<fakes::FakeIam>(io);
  ASSERT_GT(iam_->start(), 0);
  iam_->allowCredentials(kAccessKeyId, kSecretKey);
}

void E2eTest::TearDown() {
  children_.clear();  // SIGKILLs any still running
  if (iam_) iam_->stop();
  if (kube_) kube_->stop();
  tmp_.reset();
}

std::vector<std::string> E2eTest::baseEnv(bool with_static_keys) const {
  std::vector<std::string> env = {
      "PATH=/usr/bin:/bin",
      "HOME=" + dir_,
      "HOSTNAME=e2e-pod",
      "AWS_REGION=us-east-1",
      "AWS_ENDPOINT_URL_IAM=" + iam_->url(),
      "AWS_EC2_METADATA_DISABLED=true",
      "AWS_SHARED_CREDENTIALS_FILE=" + dir_ + "/no-credentials",
      "AWS_CONFIG_FILE=" + dir_ + "/no-config",
  };
  if (with_static_keys) {
    env.push_back(std::string("AWS_ACCESS_KEY_ID=") + kAccessKeyId);
    env.push_back(std::string("AWS_SECRET_ACCESS_KEY=") + kSecretKey);
  }
  return env;
}

ChildProcess& E2eTest::start(std::vector<std::string> args, const std::vector<std::string>& extra_env,
                             bool with_static_keys) {
  auto has = [&](const std::string& flag) {
    for (const auto& a : args) {
      if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
    }
    return false;
  };
  std::vector<std::string> argv = {std::string(AAR_BINARY_DIR) + "/aws-auth-refresher"};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!has("--kubeconfig") && !has("--path-to-kubeconfig")) {
    argv.push_back("--kubeconfig");
    argv.push_back(kubeconfig_);
  }
  if (!has("--metrics-bind-address")) argv.insert(argv.end(), {"--metrics-bind-address", "127.0.0.1:0"});
  if (!has("--health-probe-bind-address"))
    argv.insert(argv.end(), {"--health-probe-bind-address", "127.0.0.1:0"});
  std::vector<std::string> env = baseEnv(with_static_keys);
  for (const auto& e : extra_env) {
    std::string key = e.substr(0, e.find('='));
    std::erase_if(env, [&](const std::string& x) { return x.rfind(key + "=", 0) == 0; });
    if (e.size() > key.size() + 1) env.push_back(e);  // "NAME=" removes NAME
  }
  size_t n = children_.size();
  children_.push_back(std::make_unique<ChildProcess>(argv, env, dir_ + "/out." + std::to_string(n),
                                                     dir_ + "/err." + std::to_string(n)));
  return *children_.back();
}

int E2eTest::runToExit(std::vector<std::string> args, const std::vector<std::string>& env,
                       std::chrono::milliseconds limit, ChildProcess** out) {
  ChildProcess& c = start(std::move(args), env);
  if (out != nullptr) *out = &c;
  auto code = c.waitExit(limit);
  return code ? *code : -1;
}

void E2eTest::putRules(const std::string& map_users) {
  kube_->putConfigMap({{"apiVersion", "v1"},
                       {"kind", "ConfigMap"},
                       {"metadata", {{"name", "aws-auth-refresher"}, {"namespace", "kube-system"}}},
                       {"data", {{"mapUsers", map_users}}}});
}

void E2eTest::putRulesData(const std::map<std::string, std::string>& data) {
  kube_->putConfigMap({{"apiVersion", "v1"},
                       {"kind", "ConfigMap"},
                       {"metadata", {{"name", "aws-auth-refresher"}, {"namespace", "kube-system"}}},
                       {"data", data}});
}

std::vector<nlohmann::json> E2eTest::warningEvents(const std::string& reason, const std::string& name) const {
  const std::string ca = dir_ + "/events-ca.pem";
  std::ofstream(ca) << kube_->caPem();
  httplib::SSLClient client("127.0.0.1", kube_->port());
  client.set_ca_cert_path(ca.c_str());
  client.enable_server_certificate_verification(true);
  client.set_bearer_token_auth("test-token");
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(2, 0);
  std::vector<nlohmann::json> out;
  auto res = client.Get("/apis/events.k8s.io/v1/namespaces/kube-system/events");
  if (!res || res->status != 200) return out;
  // Parsed into a named value: a range-for over a member of a temporary would dangle.
  const nlohmann::json list = nlohmann::json::parse(res->body, nullptr, false);
  if (!list.is_object() || !list.contains("items")) return out;
  for (const auto& e : list["items"]) {
    if (e.value("type", "") == "Warning" && e.value("reason", "") == reason &&
        e["regarding"].value("name", "") == name && e["regarding"].value("kind", "") == "ConfigMap") {
      out.push_back(e);
    }
  }
  return out;
}

void E2eTest::putAwsAuth(const std::map<std::string, std::string>& data) {
  nlohmann::json cm = {{"apiVersion", "v1"},
                       {"kind", "ConfigMap"},
                       {"metadata", {{"name", "aws-auth"}, {"namespace", "kube-system"}}},
                       {"data", data}};
  if (auto existing = awsAuth()) {
    cm["metadata"] = (*existing)["metadata"];
    cm["metadata"].erase("resourceVersion");
  }
  kube_->putConfigMap(cm);
}

std::optional<nlohmann::json> E2eTest::awsAuth() const {
  return kube_->getConfigMap("kube-system", "aws-auth");
}

std::string E2eTest::awsAuthData(const std::string& key) const {
  auto cm = awsAuth();
  if (!cm || !cm->contains("data") || !(*cm)["data"].contains(key)) return "";
  return (*cm)["data"][key].get<std::string>();
}

std::vector<Entry> E2eTest::mapUsers() const {
  std::vector<Entry> out;
  auto parsed = core::parseMapUsers(awsAuthData("mapUsers"));
  if (!parsed.ok()) {
    ADD_FAILURE() << "aws-auth mapUsers does not parse: " << parsed.error().toString();
    return out;
  }
  for (const auto& e : *parsed) out.push_back({e.mapping.user_arn, e.mapping.username, e.mapping.groups});
  return out;
}

size_t E2eTest::configMapWrites() const {
  return kube_->countRequests("create", "configmaps") + kube_->countRequests("update", "configmaps") +
         kube_->countRequests("patch", "configmaps");
}

size_t E2eTest::listUsersRequests() const {
  size_t n = 0;
  for (const auto& r : iam_->requests()) n += r.action == "ListUsers" ? 1 : 0;
  return n;
}

int E2eTest::loggedPort(const ChildProcess& child, const std::string& what) {
  // "serving <what> on <host>:<port>\n": the digits after the last ':' of that line. (No std::regex: GCC 12
  // warns maybe-uninitialized inside it under ASan.)
  const std::string err = child.err();
  const std::string prefix = "serving " + what + " on ";
  const size_t start = err.find(prefix);
  if (start == std::string::npos) return 0;
  const size_t end = err.find('\n', start);
  if (end == std::string::npos) return 0;
  const std::string line = err.substr(start, end - start);
  const size_t colon = line.rfind(':');
  if (colon == std::string::npos || colon + 1 >= line.size()) return 0;
  const std::string digits = line.substr(colon + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoi(digits);
}

std::pair<int, std::string> E2eTest::httpGet(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(2, 0);
  auto res = client.Get(path.c_str());
  if (!res) return {0, ""};
  return {res->status, res->body};
}

}  // namespace aar::e2e
