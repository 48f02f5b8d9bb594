// No secret key, session token, web identity token, container token or IMDS token reaches a log line (spdlog
// at trace level, captured) or an error message — on success paths, failure paths and refreshes, including an
// STS that echoes the request back in its error message.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "aws/credentials_cache.hpp"
#include "aws/credentials_container.hpp"
#include "aws/credentials_default.hpp"
#include "aws/credentials_imds.hpp"
#include "aws/credentials_test_support.hpp"
#include "aws/credentials_web_identity.hpp"
#include "fakes/aws/fake_container_credentials.hpp"
#include "fakes/aws/fake_imds.hpp"
#include "fakes/aws/fake_sts.hpp"

namespace aar::aws {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using testing::TestClock;
using testing::TestEnv;

constexpr char kWebToken[] = "webIdentityTokenNeverLogged+0123456789/abc=";
constexpr char kPodToken[] = "podIdentityTokenNeverLogged0123456789";
constexpr char kEnvSecret[] = "envSecretNeverLogged/0123456789abcdef";
constexpr char kEnvToken[] = "envSessionTokenNeverLogged0123456789";
constexpr char kProfileSecret[] = "profileSecretNeverLogged0123456789";
constexpr char kProfileToken[] = "profileSessionTokenNeverLogged0123";

class CredentialsSecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  void TearDown() override { spdlog::set_default_logger(previous_); }

  // Records an outcome; its error message must be checked too.
  template <typename T>
  void keep(const Result<T>& r) {
    if (r.ok()) {
      ++successes_;
    } else {
      errors_ += r.error().toString() + "\n";
    }
  }
  void expectNoneOf(const std::vector<std::string>& secrets) {
    const std::string log = log_.str();
    ASSERT_FALSE(log.empty()) << "the scenario should have logged something at trace level";
    for (const auto& s : secrets) {
      ASSERT_FALSE(s.empty());
      EXPECT_EQ(log.find(s), std::string::npos) << "secret in the log: " << s;
      EXPECT_EQ(errors_.find(s), std::string::npos) << "secret in an error: " << s;
    }
  }

  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream log_;
  std::string errors_;
  int successes_ = 0;
  TestClock clock_;
  TempDir dir_;
};

TEST_F(CredentialsSecretsTest, NoSecretReachesTheLogOrAnErrorOnAnyPath) {
  fakes::FakeSts::Options so;
  so.expected_token = kWebToken;
  so.clock = &clock_;
  fakes::FakeSts sts(so);
  fakes::FakeContainerCredentials::Options co;
  co.expected_authorization = kPodToken;
  co.clock = &clock_;
  fakes::FakeContainerCredentials container(co);
  fakes::FakeImds::Options io;
  io.clock = &clock_;
  fakes::FakeImds imds(io);
  ASSERT_GT(sts.start(), 0);
  ASSERT_GT(container.start(), 0);
  ASSERT_GT(imds.start(), 0);
  net::HttpClient http;

  // Environment and shared files, through the default chain.
  {
    TestEnv env;
    env.set("AWS_ACCESS_KEY_ID", "AKIASECRETSTEST00001");
    env.set("AWS_SECRET_ACCESS_KEY", kEnvSecret);
    env.set("AWS_SESSION_TOKEN", kEnvToken);
    keep(makeDefaultCredentialsProvider(env.lookup(), http, clock_)->get());
    env.unset("AWS_ACCESS_KEY_ID");  // half set: an error that must not carry the secret
    keep(makeDefaultCredentialsProvider(env.lookup(), http, clock_)->get());
  }
  {
    TestEnv env;
    env.set("HOME", dir_.path());
    dir_.write(".aws/credentials",
               std::string("[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = ") +
                   kProfileSecret + "\naws_session_token = " + kProfileToken + "\n");
    keep(makeDefaultCredentialsProvider(env.lookup(), http, clock_)->get());
    dir_.write(".aws/credentials", std::string("[default]\n") + kProfileSecret + "\n");  // unparsable line
    keep(makeDefaultCredentialsProvider(env.lookup(), http, clock_)->get());
  }

  // Web identity: success, refresh that fails (warning with the error), refused token, expired token.
  TestEnv web;
  web.set("HOME", dir_.path() + "/nohome");
  web.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r");
  web.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir_.write("web-token", kWebToken));
  web.set("AWS_ENDPOINT_URL_STS", sts.url());
  {
    auto cached = makeDefaultCredentialsProvider(web.lookup(), http, clock_);
    keep(cached->get());
    clock_.advance(57min);
    sts.failNext(3, 503, "ServiceUnavailable");
    keep(cached->get());  // refresh fails; cached credentials returned with a warning
    sts.setExpectedToken("another-token-entirely");
    clock_.advance(10min);
    keep(cached->get());  // expired and refused
    sts.setExpectedToken(kWebToken);
    sts.setTokenExpired(true);
    keep(cached->get());
    sts.clearFaults();
  }

  // An STS that echoes the whole request (token included) in its error message.
  {
    fakes::ServerThread echo;
    echo.server().Post("/", [](const httplib::Request& req, httplib::Response& res) {
      res.status = req.has_header("X-Second") ? 400 : 500;
      res.set_content(
          "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad: " +
              req.body + " / " + req.get_param_value("WebIdentityToken") +
              "</Message></Error><RequestId>r-1</RequestId></ErrorResponse>",
          "text/xml");
    });
    ASSERT_GT(echo.start(), 0);
    web.set("AWS_ENDPOINT_URL_STS", echo.url());
    keep(WebIdentityCredentialsProvider(web.lookup(), http).get());
  }

  // Container: success, wrong token, then IMDS success and failure.
  {
    TestEnv env;
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.credentialsUrl());
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir_.write("pod-token", kPodToken));
    keep(ContainerCredentialsProvider(env.lookup(), http).get());
    container.setExpectedAuthorization("rotated-elsewhere");
    keep(ContainerCredentialsProvider(env.lookup(), http).get());
  }
  {
    TestEnv env;
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url());
    keep(ImdsCredentialsProvider(env.lookup(), http).get());
    imds.failNext(2, 500);
    keep(ImdsCredentialsProvider(env.lookup(), http).get());
  }

  EXPECT_GE(successes_, 5);
  EXPECT_FALSE(errors_.empty());
  std::vector<std::string> secrets = {kWebToken, kPodToken,      kEnvSecret,
                                      kEnvToken, kProfileSecret, kProfileToken};
  for (const auto& c : sts.issued()) {
    secrets.push_back(c.secret_access_key);
    secrets.push_back(c.session_token);
  }
  for (const auto& c : container.issued()) {
    secrets.push_back(c.secret_access_key);
    secrets.push_back(c.session_token);
  }
  for (const auto& c : imds.issued()) {
    secrets.push_back(c.secret_access_key);
    secrets.push_back(c.session_token);
  }
  secrets.push_back(net::urlEncode(kWebToken));  // as a form body carries it
  secrets.push_back("AQAEA");                    // the prefix of every FakeImds session token
  if (std::getenv("AAR_SHOW_LOG")) std::cerr << log_.str() << errors_;
  expectNoneOf(secrets);
}

}  // namespace
}  // namespace aar::aws
