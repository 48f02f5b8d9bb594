// The fake API server against the official Python client (Debian's python3-kubernetes, in /usr/bin/python3):
// the script fake_api_server_python_client.py checks each answer itself (404, 409 AlreadyExists, 409 Conflict
// on a stale replace, field-selected list, a resumed watch, patch, 422 over 1 MiB, Lease create/replace/stale
// replace, delete); this test runs it and compares its summary with what the server stored and logged.
// Skipped, with a message, where python3-kubernetes is not installed.
#include "kube/fake_api_server_process.hpp"
#include "kube/fake_api_server_test_support.hpp"

namespace aar::testing::kube {
namespace {

using nlohmann::json;

const char kPython[] = "/usr/bin/python3";

class FakeApiServerPythonTest : public FakeApiServerFixture {
 protected:
  void SetUp() override {
    if (::access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is not installed";
    if (runCommand({kPython, "-c", "import kubernetes"}).exit_code != 0) {
      GTEST_SKIP() << "python3-kubernetes is not installed for " << kPython;
    }
    FakeApiServerFixture::SetUp();
  }
  TempDir dir_;
};

TEST_F(FakeApiServerPythonTest, TheOfficialPythonClientGetsTheAnswersItExpects) {
  server_->writeKubeconfig(dir_.file("kubeconfig"));
  auto result =
      runCommand({kPython, std::string(AAR_SOURCE_DIR) + "/tests/kube/fake_api_server_python_client.py",
                  dir_.file("kubeconfig")});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::string last_line = result.output.substr(result.output.rfind('{'));
  json summary = json::parse(last_line, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << result.output;

  EXPECT_EQ(summary["watchEvents"],
            json::array({{"MODIFIED", "aws-auth", summary["replacedResourceVersion"]}}));
  EXPECT_EQ(
      summary["conflict"],
      "Operation cannot be fulfilled on configmaps \"aws-auth\": the object has been modified; please apply "
      "your changes to the latest version and try again");
  auto lease = server_->getLease("kube-system", "aws-auth-refresher");
  ASSERT_TRUE(lease);
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "pod-b");
  EXPECT_EQ((*lease)["metadata"]["resourceVersion"], summary["leaseResourceVersion"]);
  EXPECT_FALSE(server_->getConfigMap("kube-system", "aws-auth"));
  EXPECT_FALSE(server_->getConfigMap("kube-system", "big"));

  // What the client did, as the server logged it.
  EXPECT_EQ(server_->countRequests("watch", "configmaps"), 1u);
  EXPECT_EQ(server_->countRequests("update", "configmaps"), 2u);  // one accepted, one refused as stale
  EXPECT_EQ(server_->countRequests("update", "leases"), 2u);
  EXPECT_EQ(server_->countRequests("patch", "configmaps"), 1u);
  bool saw_python_agent = false;
  for (const RequestRecord& r : server_->requests()) {
    saw_python_agent = saw_python_agent || r.user_agent.find("OpenAPI-Generator") != std::string::npos;
  }
  EXPECT_TRUE(saw_python_agent);
}

}  // namespace
}  // namespace aar::testing::kube
