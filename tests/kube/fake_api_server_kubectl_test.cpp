// The fake API server against the real kubectl (/usr/bin/kubectl): raw GET, get -o yaml/json, create, apply
// twice (create, then a strategic-merge patch), replace with a stale resourceVersion, delete, client
// certificates and a wrong token. Skipped, with a message, where kubectl is not installed.
#include <fstream>
#include <thread>

#include "kube/fake_api_server_process.hpp"
#include "kube/fake_api_server_test_support.hpp"

namespace aar::testing::kube {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const char kKubectl[] = "/usr/bin/kubectl";

class FakeApiServerKubectlTest : public FakeApiServerFixture {
 protected:
  void SetUp() override {
    if (::access(kKubectl, X_OK) != 0) GTEST_SKIP() << "kubectl is not installed at " << kKubectl;
    FakeApiServerFixture::SetUp();
    ASSERT_FALSE(dir_.path().empty());
    server_->writeKubeconfig(dir_.file("kubeconfig"));
    KubeconfigOptions with_cert;
    with_cert.use_client_certificate = true;
    server_->writeKubeconfig(dir_.file("kubeconfig-cert"), with_cert);
  }

  CommandResult kubectl(std::vector<std::string> args, const std::string& kubeconfig = "kubeconfig") {
    // A private cache directory: kubectl caches discovery, and another test's server may share a port later.
    std::vector<std::string> argv = {kKubectl,      "--kubeconfig",     dir_.file(kubeconfig),
                                     "--cache-dir", dir_.file("cache"), "--request-timeout",
                                     "10s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return runCommand(argv);
  }

  void writeFile(const std::string& name, const std::string& content) {
    std::ofstream out(dir_.file(name));
    out << content;
  }

  TempDir dir_;
};

TEST_F(FakeApiServerKubectlTest, GetRawReturnsTheStoredConfigMap) {
  json stored = server_->putConfigMap(configMap("kube-system", "aws-auth", {{"mapUsers", "- userarn: a\n"}}));
  auto result = kubectl({"get", "--raw", "/api/v1/namespaces/kube-system/configmaps/aws-auth"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(json::parse(result.output), stored);
  EXPECT_THAT(server_->requests().back().user_agent, HasSubstr("kubectl"));
}

TEST_F(FakeApiServerKubectlTest, GetConfigMapPrintsYamlAndJson) {
  server_->putConfigMap(configMap("kube-system", "aws-auth", {{"mapUsers", "[]"}}));
  server_->putConfigMap(configMap("default", "elsewhere", {}));
  auto yaml = kubectl({"get", "configmap", "-n", "kube-system", "-o", "yaml"});
  ASSERT_EQ(yaml.exit_code, 0) << yaml.output;
  EXPECT_THAT(yaml.output, HasSubstr("name: aws-auth"));
  EXPECT_THAT(yaml.output, HasSubstr("mapUsers: '[]'"));
  EXPECT_THAT(yaml.output, ::testing::Not(HasSubstr("elsewhere")));
  auto as_json = kubectl({"get", "cm", "aws-auth", "-n", "kube-system", "-o", "json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json.output;
  EXPECT_EQ(json::parse(as_json.output), *server_->getConfigMap("kube-system", "aws-auth"));
  auto table = kubectl({"get", "configmaps", "-A"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_THAT(table.output, HasSubstr("aws-auth"));
  EXPECT_THAT(table.output, HasSubstr("elsewhere"));
}

TEST_F(FakeApiServerKubectlTest, ApplyCreatesThenPatchesAndWritesNothingWhenUnchanged) {
  writeFile("cm.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  namespace: kube-system
  labels: {app: demo}
data:
  keep: "1"
  drop: "2"
)");
  auto first = kubectl({"apply", "-f", dir_.file("cm.yaml")});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("configmap/demo created"));
  json created = *server_->getConfigMap("kube-system", "demo");
  EXPECT_EQ(created["data"], json({{"keep", "1"}, {"drop", "2"}}));
  EXPECT_TRUE(
      created["metadata"]["annotations"].contains("kubectl.kubernetes.io/last-applied-configuration"));

  writeFile("cm.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  namespace: kube-system
  labels: {app: demo}
data:
  keep: "1"
  added: "3"
)");
  auto second = kubectl({"apply", "-f", dir_.file("cm.yaml")});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("configmap/demo configured"));
  json patched = *server_->getConfigMap("kube-system", "demo");
  EXPECT_EQ(patched["data"], json({{"keep", "1"}, {"added", "3"}}));
  EXPECT_EQ(patched["metadata"]["uid"], created["metadata"]["uid"]);
  EXPECT_EQ(server_->countRequests("patch", "configmaps"), 1u);

  size_t writes =
      server_->countRequests("patch") + server_->countRequests("create") + server_->countRequests("update");
  auto third = kubectl({"apply", "-f", dir_.file("cm.yaml")});
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_THAT(third.output, HasSubstr("configmap/demo unchanged"));
  EXPECT_EQ(
      server_->countRequests("patch") + server_->countRequests("create") + server_->countRequests("update"),
      writes);
}

TEST_F(FakeApiServerKubectlTest, CreateFromLiteralsAndDelete) {
  auto created = kubectl(
      {"create", "configmap", "lit", "-n", "kube-system", "--from-literal=a=1", "--from-literal=b=two"});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  EXPECT_EQ((*server_->getConfigMap("kube-system", "lit"))["data"], json({{"a", "1"}, {"b", "two"}}));
  auto again = kubectl({"create", "configmap", "lit", "-n", "kube-system"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.output, HasSubstr("already exists"));
  auto deleted = kubectl({"delete", "configmap", "lit", "-n", "kube-system"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_THAT(deleted.output, HasSubstr("configmap \"lit\" deleted"));
  EXPECT_FALSE(server_->getConfigMap("kube-system", "lit"));
  auto missing = kubectl({"get", "configmap", "lit", "-n", "kube-system"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.output, HasSubstr("configmaps \"lit\" not found"));
}

TEST_F(FakeApiServerKubectlTest, ReplaceWithAStaleResourceVersionIsRefusedAsAConflict) {
  json stored = server_->putConfigMap(configMap("kube-system", "aws-auth", {{"a", "1"}}));
  json stale = stored;
  server_->putConfigMap(configMap("kube-system", "aws-auth", {{"a", "2"}}));  // an outside writer
  stale["data"]["a"] = "mine";
  writeFile("stale.json", stale.dump());
  auto result = kubectl({"replace", "-f", dir_.file("stale.json")});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("the object has been modified"));
  EXPECT_EQ((*server_->getConfigMap("kube-system", "aws-auth"))["data"]["a"], "2");
}

TEST_F(FakeApiServerKubectlTest, ATooLargeConfigMapIsRefusedWithTheRealMessage) {
  writeFile("big.json", configMap("kube-system", "big", {{"a", std::string(1024 * 1024 + 1, 'x')}}).dump());
  auto result = kubectl({"create", "-f", dir_.file("big.json")});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.output, HasSubstr("Too long: must have at most 1048576 bytes"));
}

TEST_F(FakeApiServerKubectlTest, GetWatchPrintsEventsAsTheyHappen) {
  server_->putConfigMap(configMap("kube-system", "aws-auth", {{"a", "1"}}));
  std::thread writer([&] {
    for (int i = 0; i < 500 && server_->openWatches() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    server_->putConfigMap(configMap("kube-system", "aws-auth", {{"a", "2"}}));
    server_->putConfigMap(configMap("kube-system", "new-one", {}));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server_->dropWatches();  // ends `kubectl get -w`
  });
  auto result = kubectl({"get", "configmaps", "-n", "kube-system", "-w", "--output-watch-events"});
  writer.join();
  EXPECT_THAT(result.output, ::testing::ContainsRegex("ADDED +aws-auth"));
  EXPECT_THAT(result.output, ::testing::ContainsRegex("MODIFIED +aws-auth"));
  EXPECT_THAT(result.output, ::testing::ContainsRegex("ADDED +new-one"));
}

TEST_F(FakeApiServerKubectlTest, AuthenticatesWithTheClientCertificateAndRefusesAWrongToken) {
  server_->putConfigMap(configMap("kube-system", "aws-auth", {}));
  auto with_cert =
      kubectl({"get", "configmap", "aws-auth", "-n", "kube-system", "-o", "name"}, "kubeconfig-cert");
  ASSERT_EQ(with_cert.exit_code, 0) << with_cert.output;
  EXPECT_THAT(with_cert.output, HasSubstr("configmap/aws-auth"));
  EXPECT_EQ(server_->requests().back().user, "test-admin");

  KubeconfigOptions wrong;
  wrong.token = "not-a-valid-token";
  server_->writeKubeconfig(dir_.file("kubeconfig-wrong"), wrong);
  auto refused =
      kubectl({"get", "--raw", "/api/v1/namespaces/kube-system/configmaps/aws-auth"}, "kubeconfig-wrong");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.output, HasSubstr("Unauthorized"));
}

}  // namespace
}  // namespace aar::testing::kube
