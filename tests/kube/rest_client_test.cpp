// The REST client over real HTTPS against the fake API server: every way of authenticating, typed errors,
// throttling, the User-Agent and the metrics hook.
#include "kube/rest_client.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>

#include "fakes/kube/fake_api_server.hpp"
#include "kube/config_maps.hpp"
#include "kube/encoding.hpp"
#include "kube/kubeconfig.hpp"
#include "kube_fake_fixture.hpp"
#include "kube_test_support.hpp"

namespace aar::kube {
namespace {

using aar::testing::kube::FakeApiServer;
using aar::testing::kube::FaultSpec;
using aar::testing::kube::KubeconfigOptions;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

// A manual clock whose waits pass at once: each waitUntil() is recorded (its length) and moves the clock to
// its deadline, so a Retry-After of seconds costs the test nothing and the test sees exactly what was waited.
class WaitRecordingClock : public aar::test::ManualClock {
 public:
  bool waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, SteadyTime deadline,
                 const std::function<bool()>& ready) override {
    if (ready()) return true;
    const auto d = deadline - now();
    waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(d));
    advance(d);
    return aar::test::ManualClock::waitUntil(cv, lock, deadline, ready);
  }
  std::vector<std::chrono::milliseconds> waits;  // the caller's thread only
};

class RestClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    // Wait until it serves (see kube_fake_fixture.hpp).
    auto probe = tokenClient();
    ASSERT_TRUE(testing::eventually([&] { return probe->get("/version").ok(); }));
    server_.clearRequests();
  }

  std::unique_ptr<RestClient> clientFor(const std::string& kubeconfig_yaml, RestClientOptions options = {}) {
    const std::string path = dir_.write("kubeconfig", kubeconfig_yaml);
    auto config = loadKubeconfig(path, "");
    EXPECT_TRUE(config.ok()) << config.error().message;
    auto rest = RestClient::create(*config, std::move(options));
    EXPECT_TRUE(rest.ok()) << rest.error().message;
    return std::move(*rest);
  }

  std::unique_ptr<RestClient> tokenClient(RestClientOptions options = {}) {
    return clientFor(server_.kubeconfigYaml(), std::move(options));
  }

  // A kubeconfig for the fake with its user block replaced.
  std::string withUser(const std::string& user_block) {
    std::string yaml = server_.kubeconfigYaml();
    const auto begin = yaml.find("  user:\n");
    const auto end = yaml.find("contexts:");
    return yaml.substr(0, begin) + "  user:\n" + user_block + yaml.substr(end);
  }

  void putConfigMap(const std::string& name) {
    server_.putConfigMap({{"apiVersion", "v1"},
                          {"kind", "ConfigMap"},
                          {"metadata", {{"name", name}, {"namespace", "kube-system"}}},
                          {"data", {{"k", "v"}}}});
  }

  FakeApiServer server_;
  TempDir dir_;
};

TEST_F(RestClientTest, AuthenticatesWithAKubeconfigToken) {
  putConfigMap("a");
  auto rest = tokenClient();
  auto got = rest->get(configMapPath("kube-system", "a"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ((*got)["data"]["k"], "v");
  EXPECT_EQ(server_.requests().back().user, "token-user");
}

TEST_F(RestClientTest, AuthenticatesWithAClientCertificate) {
  putConfigMap("a");
  KubeconfigOptions o;
  o.use_client_certificate = true;
  auto rest = clientFor(server_.kubeconfigYaml(o));
  auto got = rest->get(configMapPath("kube-system", "a"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(server_.requests().back().user, "test-admin");
}

TEST_F(RestClientTest, AuthenticatesWithATokenFile) {
  putConfigMap("a");
  dir_.write("token", "test-token\n");
  auto rest = clientFor(withUser("    tokenFile: token\n"));
  ASSERT_TRUE(rest->get(configMapPath("kube-system", "a")).ok());
}

TEST_F(RestClientTest, RefusesAServerSignedByAnotherCa) {
  std::string yaml = server_.kubeconfigYaml();
  const std::string real = base64Encode(server_.pki().ca.cert);
  yaml.replace(yaml.find(real), real.size(), base64Encode(server_.pki().other_ca.cert));
  auto rest = clientFor(yaml);
  auto got = rest->get(configMapPath("kube-system", "a"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kNetwork);
  EXPECT_EQ(server_.countRequests("*"), 0u);
}

TEST_F(RestClientTest, ABadTokenIsUnauthorizedAndNeverQuoted) {
  KubeconfigOptions o;
  o.token = "wrong-s3cret";
  auto rest = clientFor(server_.kubeconfigYaml(o));
  auto got = rest->get(configMapPath("kube-system", "a"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kUnauthorized);
  EXPECT_THAT(got.error().message, Not(HasSubstr("wrong-s3cret")));
}

TEST_F(RestClientTest, MapsStatusBodiesToTypedErrors) {
  auto rest = tokenClient();
  auto missing = rest->get(configMapPath("kube-system", "nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_THAT(missing.error().message, HasSubstr("configmaps \"nope\" not found"));
  putConfigMap("a");
  ConfigMapClient cms(*rest);
  auto dup = cms.create(ConfigMap("kube-system", "a"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::kAlreadyExists);
  server_.failNext(FaultSpec{"get", "configmaps", "", 500, 1});
  auto boom = rest->get(configMapPath("kube-system", "a"));
  ASSERT_FALSE(boom.ok());
  EXPECT_EQ(boom.error().kind, ErrorKind::kServer);
  EXPECT_TRUE(boom.error().retryable());
}

TEST_F(RestClientTest, WaitsOutRetryAfterOnTooManyRequests) {
  putConfigMap("a");
  WaitRecordingClock clock;
  RestClientOptions o;
  o.clock = &clock;
  auto rest = tokenClient(o);
  FaultSpec fault{"get", "configmaps", "", 429, 2};
  fault.retry_after_seconds = 3;
  server_.failNext(fault);
  auto got = rest->get(configMapPath("kube-system", "a"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(clock.waits,
            (std::vector<std::chrono::milliseconds>{std::chrono::seconds(3), std::chrono::seconds(3)}));
}

TEST_F(RestClientTest, GivesUpOnPersistentThrottlingWithTheDelayInTheError) {
  WaitRecordingClock clock;
  RestClientOptions o;
  o.clock = &clock;
  o.max_throttle_retries = 2;
  auto rest = tokenClient(o);
  FaultSpec fault{"get", "configmaps", "", 429, -1};
  fault.retry_after_seconds = 5;
  server_.failNext(fault);
  auto got = rest->get(configMapPath("kube-system", "a"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kTooManyRequests);
  EXPECT_THAT(got.error().message, HasSubstr("retry after 5s"));
  EXPECT_EQ(server_.countRequests("get", "configmaps"), 3u);
  EXPECT_EQ(clock.waits,
            (std::vector<std::chrono::milliseconds>{std::chrono::seconds(5), std::chrono::seconds(5)}));
}

TEST_F(RestClientTest, SendsTheUserAgentAndReportsEveryRequestToTheMetricsHook) {
  putConfigMap("a");
  std::vector<std::pair<std::string, int>> seen;
  std::mutex mu;
  RestClientOptions o;
  o.user_agent = userAgent("1.2.3");
  o.on_request = [&](std::string_view method, int code) {
    std::lock_guard<std::mutex> lock(mu);
    seen.emplace_back(std::string(method), code);
  };
  auto rest = tokenClient(o);
  ASSERT_TRUE(rest->get(configMapPath("kube-system", "a")).ok());
  ASSERT_FALSE(rest->get(configMapPath("kube-system", "b")).ok());
  EXPECT_THAT(server_.requests().back().user_agent,
              ::testing::MatchesRegex(R"(aws-auth-refresher/1\.2\.3 \(\w+/\w+\))"));
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, int>>{{"GET", 200}, {"GET", 404}}));
}

TEST_F(RestClientTest, CancelMakesCallsFailFastIncludingForks) {
  auto rest = tokenClient();
  auto child = rest->fork();
  rest->cancel();
  auto got = rest->get(configMapPath("kube-system", "a"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kCancelled);
  EXPECT_TRUE(child->cancelled());
  EXPECT_EQ(child->get(configMapPath("kube-system", "a")).error().kind, ErrorKind::kCancelled);
}

TEST_F(RestClientTest, CancelEndsARetryAfterWaitAtOnce) {
  putConfigMap("a");
  aar::test::ManualClock clock;  // never advanced: only cancel() can end the 30 s wait
  RestClientOptions o;
  o.clock = &clock;
  auto rest = tokenClient(o);
  FaultSpec fault{"get", "configmaps", "", 429, -1};
  fault.retry_after_seconds = 30;
  server_.failNext(fault);
  std::optional<Result<nlohmann::json>> got;
  std::thread caller([&] { got = rest->get(configMapPath("kube-system", "a")); });
  ASSERT_TRUE(testing::eventually([&] { return clock.waiters() == 1; }));
  rest->cancel();
  caller.join();
  ASSERT_TRUE(got.has_value());
  ASSERT_FALSE(got->ok());
  EXPECT_EQ(got->error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(server_.countRequests("get", "configmaps"), 1u);  // not retried after the cancel
}

TEST_F(RestClientTest, ExecPluginTokenIsUsedAndThePluginRunsAgainAfterA401) {
  putConfigMap("a");
  // The plugin hands out the token written in a file, and counts its runs.
  dir_.write("current-token", "exec-token-1");
  const std::string plugin = dir_.write(
      "bin/get-token",
      "#!/bin/sh\necho run >> " + dir_.file("runs") +
          "\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
          "\"status\":{\"token\":\"%s\"}}' \"$(cat " +
          dir_.file("current-token") + ")\"\n",
      true);
  server_.setTokens({"exec-token-1"});
  auto rest =
      clientFor(withUser("    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
                         "      command: ./bin/get-token\n"));
  ASSERT_TRUE(rest->get(configMapPath("kube-system", "a")).ok());
  ASSERT_TRUE(rest->get(configMapPath("kube-system", "a")).ok());  // cached: no second run
  // The server rotates: the old token is refused, the plugin now hands out a new one.
  server_.setTokens({"exec-token-2"});
  dir_.write("current-token", "exec-token-2");
  auto got = rest->get(configMapPath("kube-system", "a"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  auto runs = readFileText(dir_.file("runs"), "runs");
  ASSERT_TRUE(runs.ok());
  EXPECT_EQ(std::count(runs->begin(), runs->end(), '\n'), 2);
  std::vector<int> statuses;
  for (const auto& r : server_.requests()) statuses.push_back(r.status);
  EXPECT_EQ(statuses, (std::vector<int>{200, 200, 401, 200}));  // the refused request was retried once
}

TEST_F(RestClientTest, InClusterConfigFollowsARotatedServiceAccountToken) {
  putConfigMap("a");
  dir_.write("sa/ca.crt", server_.caPem());
  dir_.write("sa/token", "sa-token-1");
  dir_.write("sa/namespace", "kube-system");
  server_.setTokens({"sa-token-1"});
  LoadOptions lo;
  lo.env.get = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "KUBERNETES_SERVICE_HOST") return "127.0.0.1";
    if (name == "KUBERNETES_SERVICE_PORT") return std::to_string(server_.port());
    return std::nullopt;
  };
  lo.env.in_cluster_dir = dir_.file("sa");
  auto config = loadConnectionConfig(lo);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->namespace_name, "kube-system");
  testing::ManualClock clock;
  CredentialOptions co;
  co.clock = &clock;
  auto rest = RestClient::create(*config, {}, co);
  ASSERT_TRUE(rest.ok());
  ASSERT_TRUE((*rest)->get(configMapPath("kube-system", "a")).ok());
  // The kubelet rotates the projected token; the server accepts both for a while.
  dir_.write("sa/token", "sa-token-2");
  server_.setTokens({"sa-token-1", "sa-token-2"});
  clock.advance(std::chrono::seconds(61));
  server_.setTokens({"sa-token-2"});
  auto got = (*rest)->get(configMapPath("kube-system", "a"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(server_.countRequests("get", "configmaps"), 2u);  // no 401 on the way: re-read within a minute
}

TEST_F(RestClientTest, ExecPluginClientCertificateIsPresentedToTheServer) {
  putConfigMap("a");
  dir_.write("client.crt", server_.pki().client.cert);
  dir_.write("client.key", server_.pki().client.key);
  dir_.write("bin/cert-plugin",
             "#!/bin/sh\n/usr/bin/python3 - <<'PY'\nimport json\n"
             "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', 'kind': 'ExecCredential',"
             " 'status': {'clientCertificateData': open('" +
                 dir_.file("client.crt") +
                 "').read(),"
                 " 'clientKeyData': open('" +
                 dir_.file("client.key") + "').read()}}))\nPY\n",
             true);
  auto rest =
      clientFor(withUser("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                         "      command: bin/cert-plugin\n"));
  auto got = rest->get(configMapPath("kube-system", "a"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(server_.requests().back().user, "test-admin");
}

TEST_F(RestClientTest, InsecureSkipTlsVerifyConnectsWithoutTheCa) {
  putConfigMap("a");
  std::string yaml = server_.kubeconfigYaml();
  const auto begin = yaml.find("    certificate-authority-data:");
  const auto end = yaml.find('\n', begin);
  yaml.replace(begin, end - begin, "    insecure-skip-tls-verify: true");
  auto rest = clientFor(yaml);
  ASSERT_TRUE(rest->get(configMapPath("kube-system", "a")).ok());
}

TEST_F(RestClientTest, WithoutTheCaTheServerIsRefused) {
  std::string yaml = server_.kubeconfigYaml();
  const auto begin = yaml.find("    certificate-authority-data:");
  const auto end = yaml.find('\n', begin);
  yaml.erase(begin, end - begin + 1);
  auto rest = clientFor(yaml);  // the system trust store does not know the fake's CA
  auto got = rest->get(configMapPath("kube-system", "a"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::kNetwork);
}

}  // namespace
}  // namespace aar::kube
