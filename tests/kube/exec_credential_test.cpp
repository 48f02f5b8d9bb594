#include "kube/exec_credential.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "kube/credentials.hpp"
#include "kube/encoding.hpp"
#include "kube_fake_fixture.hpp"
#include "kube_test_support.hpp"

namespace aar::kube {
namespace {

using ::testing::HasSubstr;
using testing::ManualClock;
using ::testing::Not;
using testing::TempDir;

TEST(ExecCredentialTest, ReadsATokenAndItsExpiry) {
  auto c =
      parseExecCredential(R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",
      "status":{"token":"k8s-aws-v1.abc","expirationTimestamp":"2030-01-02T03:04:05Z"}})",
                          kExecApiV1beta1);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->token, "k8s-aws-v1.abc");
  ASSERT_TRUE(c->expiration.has_value());
}

TEST(ExecCredentialTest, ReadsAClientCertificateAndKey) {
  auto c = parseExecCredential(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
      "status":{"clientCertificateData":"CERT","clientKeyData":"KEY"}})",
                               kExecApiV1);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->client_cert_pem, "CERT");
  EXPECT_EQ(c->client_key_pem, "KEY");
  EXPECT_FALSE(c->expiration.has_value());
}

TEST(ExecCredentialTest, RejectsOutputThatCannotBeTrustedWithoutQuotingIt) {
  const char* cases[] = {
      "not json",
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"Other","status":{"token":"secret-1"}})",
      R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"secret-1"}})",
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"})",
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}})",
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientKeyData":"secret-1"}})",
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"secret-1","expirationTimestamp":"soon"}})",
      // Found by fuzzing: a kind or apiVersion that is not a string made nlohmann's value() throw.
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":{"expir":"b"},"status":{"token":"secret-1"}})",
      R"({"apiVersion":7,"kind":"ExecCredential","status":{"token":"secret-1"}})",
  };
  for (const char* text : cases) {
    auto c = parseExecCredential(text, kExecApiV1);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.error().kind, ErrorKind::kParse);
    EXPECT_THAT(c.error().message, Not(HasSubstr("secret-1")));
  }
}

TEST(ExecCredentialTest, ExecInfoIsNonInteractiveAndCarriesTheClusterWhenAsked) {
  ExecConfig config;
  config.api_version = std::string(kExecApiV1);
  config.provide_cluster_info = true;
  ExecClusterInfo cluster{"https://127.0.0.1:6443", "PEM", false};
  auto info = nlohmann::json::parse(execInfoJson(config, &cluster));
  EXPECT_EQ(info["kind"], "ExecCredential");
  EXPECT_EQ(info["spec"]["interactive"], false);
  EXPECT_EQ(info["spec"]["cluster"]["server"], "https://127.0.0.1:6443");
  EXPECT_EQ(info["spec"]["cluster"]["certificate-authority-data"], "UEVN");
  config.provide_cluster_info = false;
  EXPECT_FALSE(nlohmann::json::parse(execInfoJson(config, &cluster))["spec"].contains("cluster"));
}

// A plugin script that checks its args and environment, counts its runs in a file and prints token tok-<run>.
std::string writePlugin(const TempDir& dir, const std::string& expiry = "") {
  const std::string runs = dir.file("runs");
  const std::string extra = expiry.empty() ? "" : R"(,"expirationTimestamp":")" + expiry + "\"";
  return dir.write(
      "bin/plugin.sh",
      "#!/bin/sh\n"
      "echo x >> " +
          runs +
          "\n"
          "test -n \"$KUBERNETES_EXEC_INFO\" || exit 3\n"
          "test \"$PLUGIN_ARG\" = \"$1\" || exit 4\n"
          "n=$(wc -l < " +
          runs +
          " | tr -d ' ')\n"
          "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
          "\"status\":{\"token\":\"tok-%s\"" +
          extra + "}}\\n' \"$n\"\n",
      true);
}

ConnectionConfig execConfig(const std::string& command) {
  ConnectionConfig config;
  config.server = "https://127.0.0.1:1";
  ExecConfig exec;
  exec.api_version = std::string(kExecApiV1);
  exec.command = command;
  exec.args = {"--flag"};
  exec.env = {{"PLUGIN_ARG", "--flag"}};
  config.auth.exec = exec;
  return config;
}

TEST(ExecCredentialTest, RunsThePluginWithItsArgsAndEnvironment) {
  TempDir dir;
  auto source = makeCredentialSource(execConfig(writePlugin(dir)));
  ASSERT_TRUE(source.ok()) << source.error().message;
  auto c = (*source)->get();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->token, "tok-1");
}

TEST(ExecCredentialTest, CachesUntilExpiryThenRunsAgain) {
  TempDir dir;
  ManualClock clock;
  const std::string expiry = formatRfc3339(clock.wallNow() + std::chrono::minutes(5));
  CredentialOptions options;
  options.clock = &clock;
  auto source = makeCredentialSource(execConfig(writePlugin(dir, expiry)), options);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ((*source)->get()->token, "tok-1");
  clock.advance(std::chrono::minutes(4));
  EXPECT_EQ((*source)->get()->token, "tok-1");
  clock.advance(std::chrono::minutes(1));
  EXPECT_EQ((*source)->get()->token, "tok-2");
}

TEST(ExecCredentialTest, RunsAgainAfterTheServerRejectedTheToken) {
  TempDir dir;
  auto source = makeCredentialSource(execConfig(writePlugin(dir)));
  ASSERT_TRUE(source.ok());
  auto first = (*source)->get();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*source)->get()->token, "tok-1");  // cached: no expiry given
  EXPECT_TRUE((*source)->invalidate(*first));
  EXPECT_EQ((*source)->get()->token, "tok-2");
}

TEST(ExecCredentialTest, ReportsAFailingPluginWithItsStderrButNotItsArgs) {
  TempDir dir;
  const std::string script = dir.write("fail.sh", "#!/bin/sh\necho 'no SSO session' >&2\nexit 1\n", true);
  auto config = execConfig(script);
  config.auth.exec->args = {"--secret-arg"};
  auto source = makeCredentialSource(config);
  ASSERT_TRUE(source.ok());
  auto c = (*source)->get();
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr("no SSO session"));
  EXPECT_THAT(c.error().message, HasSubstr("exited with code 1"));
  EXPECT_THAT(c.error().message, Not(HasSubstr("--secret-arg")));
}

TEST(ExecCredentialTest, ReportsAMissingCommandWithTheInstallHint) {
  auto config = execConfig("/nonexistent/aws-iam-authenticator");
  config.auth.exec->install_hint = "install it from the docs";
  auto source = makeCredentialSource(config);
  ASSERT_TRUE(source.ok());
  auto c = (*source)->get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable);
  EXPECT_THAT(c.error().message, HasSubstr("install it from the docs"));
}

TEST(ExecCredentialTest, KillsAPluginThatHangs) {
  TempDir dir;
  const std::string script = dir.write("hang.sh", "#!/bin/sh\nsleep 30\n", true);
  const auto start = std::chrono::steady_clock::now();
  auto r = runProcess(script, {}, {}, std::chrono::milliseconds(300));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

// What a shell plugin reports of itself: the blocked and ignored signal sets it passes on to what it runs
// (grep reads its own: dash blocks every signal while it waits for a child, so /proc/$$ would show the
// shell's momentary mask) and the shell's open descriptors (ls lists them from outside, run as a simple
// command so that no pipe of the shell's is open: a listing of /proc/self/fd would include the one the
// listing uses).
constexpr char kSelfReport[] = "grep -E '^Sig(Blk|Ign):' /proc/self/status; echo fds:; ls /proc/$$/fd";

// The test process made hostile to a careless fork/exec: SIGTERM and SIGUSR1 blocked in this thread, SIGPIPE
// and SIGHUP ignored, and a descriptor open without close-on-exec. Undone on destruction.
class HostileParent {
 public:
  HostileParent() {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &block, &old_mask_);
    old_pipe_ = signal(SIGPIPE, SIG_IGN);
    old_hup_ = signal(SIGHUP, SIG_IGN);
    leaked_ = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC, on purpose
  }
  ~HostileParent() {
    ::close(leaked_);
    signal(SIGHUP, old_hup_);
    signal(SIGPIPE, old_pipe_);
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  HostileParent(const HostileParent&) = delete;
  HostileParent& operator=(const HostileParent&) = delete;
  int leaked() const { return leaked_; }

 private:
  sigset_t old_mask_{};
  sighandler_t old_pipe_ = SIG_DFL;
  sighandler_t old_hup_ = SIG_DFL;
  int leaked_ = -1;
};

TEST(ExecCredentialTest, ThePluginRunsWithACleanSignalStateAndOnlyTheStandardDescriptors) {
  HostileParent parent;
  ASSERT_GE(parent.leaked(), 3);
  auto r = runProcess("/bin/sh", {"-c", kSelfReport}, {}, std::chrono::seconds(10));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->exit_code, 0) << r->err;
  EXPECT_THAT(r->out, HasSubstr("SigBlk:\t0000000000000000\n"));
  EXPECT_THAT(r->out, HasSubstr("SigIgn:\t0000000000000000\n"));
  EXPECT_THAT(r->out, ::testing::EndsWith("fds:\n0\n1\n2\n")) << r->out;
}

// A plugin whose first run answers at once, expiring at `first_expiry`, and whose later runs announce
// themselves in <dir>/started, wait (at most 20 s) for <dir>/release, then answer expiring at `later_expiry`.
// Each answers tok-<run>.
std::string writeSlowPlugin(const TempDir& dir, const std::string& first_expiry,
                            const std::string& later_expiry) {
  const std::string runs = dir.file("runs");
  std::string script = "#!/bin/sh\necho x >> " + runs + "\nn=$(wc -l < " + runs +
                       " | tr -d ' ')\nexp=" + first_expiry + "\nif [ \"$n\" -gt 1 ]; then\n  touch " +
                       dir.file("started") + "\n  i=0\n  while [ ! -e " + dir.file("release") +
                       " ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done\n  exp=" + later_expiry +
                       "\nfi\n";
  script +=
      "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
      "\"status\":{\"token\":\"tok-%s\",\"expirationTimestamp\":\"%s\"}}\\n' \"$n\" \"$exp\"\n";
  return dir.write("bin/slow.sh", script, true);
}

int lineCount(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

TEST(ExecCredentialTest, ARefreshInFlightDoesNotBlockCallersWhoseTokenIsStillValid) {
  TempDir dir;
  ManualClock clock;
  CredentialOptions options;
  options.clock = &clock;
  auto source = makeCredentialSource(
      execConfig(writeSlowPlugin(dir, formatRfc3339(clock.wallNow() + std::chrono::seconds(60)),
                                 formatRfc3339(clock.wallNow() + std::chrono::hours(1)))),
      options);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ((*source)->get()->token, "tok-1");
  clock.advance(std::chrono::seconds(55));  // inside the 10 s renewal margin, not yet expired

  std::atomic<bool> refreshed{false};
  std::string refreshed_token;
  std::thread refresher([&] {
    auto c = (*source)->get();
    refreshed_token = c.ok() ? c->token : c.error().message;
    refreshed = true;
  });
  ASSERT_TRUE(testing::eventually([&] { return std::filesystem::exists(dir.file("started")); },
                                  std::chrono::seconds(10)));
  // The plugin is running (and will until released): another caller still gets the valid token at once.
  auto during = (*source)->get();
  ASSERT_TRUE(during.ok()) << during.error().message;
  EXPECT_EQ(during->token, "tok-1");
  EXPECT_FALSE(refreshed.load());
  dir.write("release", "");
  refresher.join();
  EXPECT_EQ(refreshed_token, "tok-2");
  EXPECT_EQ((*source)->get()->token, "tok-2");
  EXPECT_EQ(lineCount(dir.file("runs")), 2);
}

TEST(ExecCredentialTest, ConcurrentCallersWithoutAUsableTokenShareOnePluginRun) {
  TempDir dir;
  ManualClock clock;
  CredentialOptions options;
  options.clock = &clock;
  auto source = makeCredentialSource(
      execConfig(writeSlowPlugin(dir, formatRfc3339(clock.wallNow() + std::chrono::seconds(60)),
                                 formatRfc3339(clock.wallNow() + std::chrono::hours(1)))),
      options);
  ASSERT_TRUE(source.ok());
  EXPECT_EQ((*source)->get()->token, "tok-1");
  clock.advance(std::chrono::seconds(61));  // expired: nobody may use tok-1 any more

  constexpr int kCallers = 4;
  std::vector<std::string> tokens(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      auto c = (*source)->get();
      tokens[static_cast<size_t>(i)] = c.ok() ? c->token : c.error().message;
    });
  }
  ASSERT_TRUE(testing::eventually([&] { return std::filesystem::exists(dir.file("started")); },
                                  std::chrono::seconds(10)));
  dir.write("release", "");
  for (auto& t : callers) t.join();
  for (const auto& t : tokens) EXPECT_EQ(t, "tok-2");
  EXPECT_EQ(lineCount(dir.file("runs")), 2);  // one run for all four callers
}

TEST(ExecCredentialTest, CallersWaitingForAFailedRunGetItsError) {
  TempDir dir;
  const std::string started = dir.file("started");
  const std::string release = dir.file("release");
  const std::string script = dir.write(
      "fail-slow.sh",
      "#!/bin/sh\ntouch " + started + "\ni=0\nwhile [ ! -e " + release +
          " ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done\necho 'no SSO session' >&2\nexit 1\n",
      true);
  auto source = makeCredentialSource(execConfig(script));
  ASSERT_TRUE(source.ok());
  std::string first_error, second_error;
  std::thread first([&] { first_error = (*source)->get().error().message; });
  ASSERT_TRUE(
      testing::eventually([&] { return std::filesystem::exists(started); }, std::chrono::seconds(10)));
  std::thread second([&] { second_error = (*source)->get().error().message; });
  dir.write("release", "");
  first.join();
  second.join();
  EXPECT_THAT(first_error, HasSubstr("no SSO session"));
  EXPECT_THAT(second_error, HasSubstr("no SSO session"));
}

}  // namespace
}  // namespace aar::kube
