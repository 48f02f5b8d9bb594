// fake-kube-apiserver as a process: the ready line, the files in --state-dir, the admin API (seed an object,
// inject a fault, read the request log, stop/start) and a clean exit on SIGTERM.
#include <sys/stat.h>

#include "kube/fake_api_server_process.hpp"
#include "kube/fake_api_server_test_support.hpp"

namespace aar::testing::kube {
namespace {

using nlohmann::json;

// The server process; killed (by its pid) if the test did not end it.
class ServerProcess {
 public:
  explicit ServerProcess(const std::vector<std::string>& argv) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  // The first line of stdout, or "" after `timeout`.
  std::string readLine(std::chrono::milliseconds timeout) {
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char c;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      if (::read(out_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    return "";
  }

  // Sends SIGTERM and waits up to `timeout`; the exit code, or -1.
  int terminate(std::chrono::milliseconds timeout) {
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

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
  ServerProcess process({std::string(AAR_BINARY_DIR) + "/fake-kube-apiserver", "--state-dir",
                         dir.file("state"), "--token", "t1", "--admin-token", "admin-secret"});
  json ready = json::parse(process.readLine(std::chrono::seconds(10)), nullptr, false);
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

  EXPECT_EQ(process.terminate(std::chrono::seconds(5)), 0);
}

}  // namespace
}  // namespace aar::testing::kube
