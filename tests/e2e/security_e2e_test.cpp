// Security properties of the real binary (issue 6, section 4): no secret in its output even at debug level,
// TLS to the API server fails closed on a CA that did not sign the server's certificate, and it writes no
// files.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "e2e/harness.hpp"
#include "fakes/aws/fake_sts.hpp"

namespace aar::e2e {
namespace {

using namespace std::chrono_literals;

class SecurityE2eTest : public E2eTest {
 protected:
  std::string writeFile(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    return path;
  }
  std::string makeDir(const std::string& name) {
    std::string path = dir_ + "/" + name;
    std::filesystem::create_directories(path);
    return path;
  }
  static std::vector<std::string> filesUnder(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) out.push_back(e.path().string());
    return out;
  }
};

TEST_F(SecurityE2eTest, NoSecretAppearsInDebugOutputOfACycleThatWritesAndOneThatFails) {
  // AWS through IRSA (web identity token → STS → secret key and session token) and Kubernetes through a
  // bearer token: the four secrets the binary holds.
  const std::string web_identity_token = "eyJhbGciOiJSUzI1NiJ9.security-e2e-web-identity.c2lnbmF0dXJl";
  const std::string bearer_token = "security-e2e-bearer-token-0123456789abcdef";
  const std::string role = "arn:aws:iam::1234567890:role/aws-auth-refresher";
  fakes::FakeSts::Options so;
  so.expected_token = web_identity_token;
  so.expected_role_arn = role;
  so.account_id = kAccount;
  so.iam = iam_.get();
  fakes::FakeSts sts(so);
  ASSERT_GT(sts.start(), 0);
  kube_->setTokens({bearer_token});
  const std::string kubeconfig = dir_ + "/kubeconfig-token";
  testing::kube::KubeconfigOptions ko;
  ko.token = bearer_token;
  ko.namespace_name = "kube-system";
  kube_->writeKubeconfig(kubeconfig, ko);
  putRules(kSeedRules);
  iam_->addUser("tmp-foo-one");
  const std::vector<std::string> env = {
      "AWS_ROLE_ARN=" + role,
      "AWS_WEB_IDENTITY_TOKEN_FILE=" + writeFile("web-identity-token", web_identity_token),
      "AWS_ROLE_SESSION_NAME=security-e2e",
      "AWS_ENDPOINT_URL_STS=" + sts.url(),
      "AWS_ACCESS_KEY_ID=",
      "AWS_SECRET_ACCESS_KEY="};

  ChildProcess* writes = nullptr;
  ASSERT_EQ(runToExit({"--once", "--log-level", "debug", "--kubeconfig", kubeconfig}, env, 20s, &writes), 0)
      << writes->err();
  ASSERT_EQ(mapUsers(), (std::vector<Entry>{{userArn("tmp-foo-one"), "foo", {"system:masters"}}}));
  // A failing cycle logs more (errors with request details): IAM rejects the next requests.
  iam_->throttleNext(100, "AccessDenied");
  ChildProcess* fails = nullptr;
  EXPECT_EQ(runToExit({"--once", "--log-level", "debug", "--kubeconfig", kubeconfig}, env, 20s, &fails), 1);

  ASSERT_FALSE(sts.issued().empty());
  for (ChildProcess* c : {writes, fails}) {
    const std::string output = c->out() + c->err();
    EXPECT_NE(output.find("debug"), std::string::npos) << "debug logging was not on";
    EXPECT_EQ(output.find(web_identity_token), std::string::npos);
    EXPECT_EQ(output.find(bearer_token), std::string::npos);
    for (const auto& issued : sts.issued()) {
      EXPECT_EQ(output.find(issued.secret_access_key), std::string::npos);
      EXPECT_EQ(output.find(issued.session_token), std::string::npos);
    }
  }
}

TEST_F(SecurityE2eTest, FailsClosedWhenTheApiServersCertificateIsNotSignedByTheConfiguredCa) {
  putRules(kSeedRules);
  putAwsAuth({{"mapUsers", "- userarn: " + userArn("admin") + "\n  username: admin\n"}});
  iam_->addUser("tmp-foo-one");
  const auto before = awsAuth();
  const std::string kubeconfig = dir_ + "/kubeconfig-wrong-ca";
  testing::kube::KubeconfigOptions ko;
  ko.namespace_name = "kube-system";
  ko.ca_file = writeFile("other-ca.crt", kube_->pki().other_ca.cert);
  kube_->writeKubeconfig(kubeconfig, ko);
  const size_t requests_before = kube_->requests().size();

  ChildProcess* c = nullptr;
  EXPECT_EQ(runToExit({"--once", "--kubeconfig", kubeconfig}, {}, 20s, &c), 1) << c->err();
  // --once gives up at the first failed read: one cycle, not a retry loop.
  const std::string err = c->err();
  EXPECT_TRUE(err.find("certificate") != std::string::npos || err.find("SSL") != std::string::npos ||
              err.find("TLS") != std::string::npos)
      << err;
  // Nothing reached the API server (the handshake failed before any request), so nothing was written.
  EXPECT_EQ(kube_->requests().size(), requests_before);
  EXPECT_EQ(configMapWrites(), 0u);
  EXPECT_EQ(awsAuth(), before);
  // The daemon does not carry on regardless either: it stays unready and writes nothing.
  ChildProcess& daemon = start({"--refresh-interval", "100ms", "--kubeconfig", kubeconfig});
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(kube_->requests().size(), requests_before);
  daemon.signal(SIGTERM);
  EXPECT_TRUE(daemon.waitExit(5s).has_value());
  EXPECT_EQ(awsAuth(), before);
}

TEST_F(SecurityE2eTest, WritesNoFilesInItsWorkingDirectoryHomeOrTmpdir) {
  putRules(kSeedRules);
  iam_->addUser("tmp-foo-one");
  const std::string cwd = makeDir("cwd"), home = makeDir("home"), tmp = makeDir("tmp");
  const std::vector<std::string> env = {"HOME=" + home, "TMPDIR=" + tmp};
  const auto old_cwd = std::filesystem::current_path();
  std::filesystem::current_path(cwd);  // the child inherits it; this test runs in a process of its own.

  const int once = runToExit({"--once", "--log-level", "debug"}, env);
  ChildProcess& daemon = start({"--refresh-interval", "100ms", "--leader-elect"}, env);
  iam_->addUser("tmp-bar-one");
  const bool wrote = eventually([&] { return mapUsers().size() == 2; });
  daemon.signal(SIGTERM);
  const auto code = daemon.waitExit(5s);
  std::filesystem::current_path(old_cwd);

  EXPECT_EQ(once, 0);
  EXPECT_TRUE(wrote) << daemon.err();
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << daemon.err();
  EXPECT_EQ(filesUnder(cwd), std::vector<std::string>{});
  EXPECT_EQ(filesUnder(home), std::vector<std::string>{});
  EXPECT_EQ(filesUnder(tmp), std::vector<std::string>{});
}

}  // namespace
}  // namespace aar::e2e
