#include "kube/exec_credential.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kube/credentials.hpp"
#include "kube/encoding.hpp"
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

}  // namespace
}  // namespace aar::kube
