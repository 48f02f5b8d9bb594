// fake-kube-apiserver as a process: the ready line, the files in --state-dir, the admin API (seed an object,
// inject a fault, read the request log, stop/start) and a clean exit on SIGTERM.
#include <sys/stat.h>

#include "kube/fake_api_server_process.hpp"
#include "kube/fake_api_server_test_support.hpp"
#include "support/child_process.hpp"

namespace aar::testing::kube {
namespace {

using nlohmann::json;

net::HttpResponse send(net::HttpClient& client, const std::string& method, const std::string& url,
                       const std::string& token, const std::string& body = "") {
  net::HttpRequest request{method, url, {}, body, std::chrono::milliseconds(5000)};
  if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  auto response = client.perform(request);
  EXPECT_TRUE(response.ok()) << method << " " << url << ": "
                             << (response.ok() ? "" : response.error().toString());
  return response.ok() ? *response : net::HttpResponse{};
}

TEST(FakeApiServerBinaryTest, ServesItsKubeconfigAndAnAdminApiAndExitsOnSigterm) {
  TempDir dir;
  // The server process; killed (by its pid) if the test did not end it.
  aar::test::ChildProcess process({std::string(AAR_BINARY_DIR) + "/fake-kube-apiserver", "--state-dir",
                                   dir.file("state"), "--token", "t1", "--admin-token", "admin-secret"});
  json ready = json::parse(process.firstLine(std::chrono::seconds(10)), nullptr, false);
  ASSERT_TRUE(ready.is_object()) << "no ready line";
  ASSERT_GT(ready["port"].get<int>(), 0);
  for (const char* file : {"caFile", "kubeconfig", "kubeconfigCert", "clientCert", "clientKey"}) {
    struct stat st {};
    EXPECT_EQ(::stat(ready[file].get<std::string>().c_str(), &st), 0) << file;
  }
  std::string api = ready["url"], admin = ready["adminUrl"];

  net::HttpClientOptions options;
  options.ca_file = ready["caFile"];
  net::HttpClient client(options);

  // Seed through the admin API (which wants its own token), read through the API.
  json seed = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", "aws-auth"}, {"namespace", "kube-system"}}},
               {"data", {{"mapUsers", "[]"}}}};
  EXPECT_EQ(send(client, "PUT", admin + "/admin/objects", "", seed.dump()).status, 401);
  auto seeded = send(client, "PUT", admin + "/admin/objects", "admin-secret", seed.dump());
  ASSERT_EQ(seeded.status, 200) << seeded.body;
  const std::string cm = api + "/api/v1/namespaces/kube-system/configmaps/aws-auth";
  auto got = send(client, "GET", cm, "t1");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(json::parse(got.body), json::parse(seeded.body));
  EXPECT_EQ(send(client, "GET", cm, "test-token").status, 401);  // only --token values are valid

  // A fault, then the request log.
  auto fault = send(client, "POST", admin + "/admin/faults", "admin-secret",
                    R"({"verb":"get","resource":"configmaps","status":500,"count":1})");
  EXPECT_EQ(fault.status, 200) << fault.body;
  EXPECT_EQ(send(client, "GET", cm, "t1").status, 500);
  EXPECT_EQ(send(client, "GET", cm, "t1").status, 200);
  json log = json::parse(send(client, "GET", admin + "/admin/requests", "admin-secret").body);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[2]["verb"], "get");
  EXPECT_EQ(log[2]["status"], 500);
  EXPECT_EQ(log[3]["status"], 200);

  // Unreachable, then back on the same port with its objects.
  EXPECT_EQ(send(client, "POST", admin + "/admin/stop", "admin-secret").status, 204);
  net::HttpRequest probe{"GET", cm, {{"Authorization", "Bearer t1"}}, "", std::chrono::milliseconds(2000)};
  auto down = client.perform(probe);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, ErrorKind::kNetwork);
  EXPECT_EQ(send(client, "POST", admin + "/admin/start", "admin-secret").status, 204);
  EXPECT_EQ(send(client, "GET", cm, "t1").status, 200);

  process.signal(SIGTERM);
  EXPECT_EQ(process.waitExit(std::chrono::seconds(5)), 0);
}

}  // namespace
}  // namespace aar::testing::kube
