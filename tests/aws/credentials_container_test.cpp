// ContainerCredentialsProvider against FakeContainerCredentials over real HTTP on 127.0.0.1: EKS Pod Identity
// (full URI + token file), ECS-style static token, refresh through the cache, and the URI allow-list.
#include "aws/credentials_container.hpp"

#include <gtest/gtest.h>

#include "aws/credentials_cache.hpp"
#include "aws/credentials_test_support.hpp"
#include "aws/credentials_util.hpp"
#include "fakes/aws/fake_container_credentials.hpp"
#include "support/manual_clock.hpp"

namespace aar::aws {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using testing::TestClock;
using testing::TestEnv;

constexpr char kPodToken[] = "eks-pod-identity-token-one";
constexpr char kRotatedPodToken[] = "eks-pod-identity-token-two";

class ContainerCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fakes::FakeContainerCredentials::Options o;
    o.path = "/v1/credentials";
    o.expected_authorization = kPodToken;
    o.clock = &clock_;
    fake_ = std::make_unique<fakes::FakeContainerCredentials>(o);
    ASSERT_GT(fake_->start(), 0);
    env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_->credentialsUrl());
    env_.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir_.write("pod-token", kPodToken));
  }
  // Retries back off on the manual clock (recorded, not slept), with the jitter pinned at 0.5.
  ContainerCredentialsProvider provider(RetryPolicy retry = RetryPolicy{.max_attempts = 2}) {
    ContainerOptions o;
    o.retry = retry;
    o.clock = &retry_clock_;
    o.random = [] { return 0.5; };
    return ContainerCredentialsProvider(env_.lookup(), http_, o);
  }
  aar::test::ManualClock retry_clock_;

  TestClock clock_;
  TempDir dir_;
  TestEnv env_;
  std::unique_ptr<fakes::FakeContainerCredentials> fake_;
  net::HttpClient http_;
};

TEST_F(ContainerCredentialsTest, PodIdentitySendsTheTokenFileAsAuthorization) {
  auto c = provider().get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  const auto issued = fake_->issued().at(0);
  EXPECT_EQ(c->access_key_id, issued.access_key_id);
  EXPECT_EQ(c->secret_access_key, issued.secret_access_key);
  EXPECT_EQ(c->session_token, issued.session_token);
  EXPECT_EQ(c->expiration, clock_.wallNow() + 1h);
  EXPECT_EQ(c->provider, "container");
  auto log = fake_->requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_TRUE(log[0].authorization_present);
  EXPECT_EQ(log[0].path, "/v1/credentials");
}

TEST_F(ContainerCredentialsTest, AStaticTokenWorksWhenNoTokenFileIsSet) {
  env_.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  env_.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", kPodToken);
  ASSERT_TRUE(provider().get().ok());
}

TEST_F(ContainerCredentialsTest, TheTokenFileWinsOverTheStaticToken) {
  env_.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "stale-static-token");
  ASSERT_TRUE(provider().get().ok());
}

TEST_F(ContainerCredentialsTest, MissingOrWrongAuthorizationIsRefused) {
  env_.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  auto none = provider().get();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::kUnauthorized);
  env_.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token-value");
  auto wrong = provider().get();
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, ErrorKind::kForbidden);
  EXPECT_EQ(wrong.error().message.find("wrong-token-value"), std::string::npos);
  EXPECT_EQ(fake_->requests().size(), 2u);  // 4xx: no retry
}

TEST_F(ContainerCredentialsTest, CacheRefreshRereadsTheRotatedTokenFile) {
  CachedCredentialsProvider cached(std::make_unique<ContainerCredentialsProvider>(provider()),
                                   {&clock_, 300s});
  auto first = cached.get();
  ASSERT_TRUE(first.ok()) << first.error().toString();
  dir_.write("pod-token", kRotatedPodToken);
  fake_->setExpectedAuthorization(kRotatedPodToken);
  clock_.advance(50min);
  EXPECT_EQ(cached.get()->access_key_id, first->access_key_id);
  EXPECT_EQ(fake_->requests().size(), 1u);
  clock_.advance(6min);
  auto refreshed = cached.get();
  ASSERT_TRUE(refreshed.ok()) << refreshed.error().toString();
  EXPECT_NE(refreshed->access_key_id, first->access_key_id);
  EXPECT_EQ(fake_->requests().size(), 2u);
}

TEST_F(ContainerCredentialsTest, RetriesAServerErrorOnce) {
  fake_->failNext(1, 500);
  ASSERT_TRUE(provider().get().ok());
  EXPECT_EQ(fake_->requests().size(), 2u);
  fake_->clearLog();
  fake_->failNext(2, 503);
  auto c = provider().get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kServer);
  // One backoff before each retry (jitter 0.5 x 100 ms), none after the last attempt.
  const std::vector<std::chrono::nanoseconds> expected{50ms, 50ms};
  EXPECT_EQ(retry_clock_.sleeps(), expected);
}

TEST_F(ContainerCredentialsTest, BacksOffExponentiallyOnTheRetryPolicy) {
  fake_->failNext(3, 503);
  auto c = provider(RetryPolicy{.max_attempts = 4, .base_delay = 100ms, .max_backoff = 150ms}).get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(fake_->requests().size(), 4u);
  // 0.5 x min(150 ms, 100 ms x 2^retry): 50, 75 (capped at 150), 75 ms.
  const std::vector<std::chrono::nanoseconds> expected{50ms, 75ms, 75ms};
  EXPECT_EQ(retry_clock_.sleeps(), expected);
}

TEST_F(ContainerCredentialsTest, DoesNotBackOffWhenItDoesNotRetry) {
  env_.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token-value");
  env_.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  ASSERT_FALSE(provider().get().ok());  // 403: not retried
  EXPECT_TRUE(retry_clock_.sleeps().empty());
}

TEST_F(ContainerCredentialsTest, EcsRelativeUriWinsOverTheFullUri) {
  // The ECS agent's address is an option so the fake can stand in for it; the full URI points elsewhere.
  env_.set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v1/credentials");
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/unused");
  ContainerOptions o;
  o.relative_uri_base = fake_->url();
  auto c = ContainerCredentialsProvider(env_.lookup(), http_, o).get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  ASSERT_EQ(fake_->requests().size(), 1u);
  EXPECT_EQ(fake_->requests()[0].path, "/v1/credentials");
}

TEST_F(ContainerCredentialsTest, IsUnavailableWithoutAUri) {
  TestEnv none;
  auto c = ContainerCredentialsProvider(none.lookup(), http_).get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable);
}

TEST_F(ContainerCredentialsTest, RefusesAFullUriToAnArbitraryHttpHostWithoutSendingIt) {
  env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://metadata.example.com/creds");
  auto c = provider().get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_TRUE(fake_->requests().empty());
}

// botocore's container provider (boto3 in Debian's /usr/bin/python3) gets credentials from the fake too.
TEST_F(ContainerCredentialsTest, Boto3ReadsCredentialsFromTheFake) {
  if (!testing::haveBoto3()) GTEST_SKIP() << "boto3 is not installed for /usr/bin/python3 (scripts/setup.sh)";
  // boto3 checks expiry against the real clock: this fake uses it too.
  fakes::FakeContainerCredentials::Options o;
  o.expected_authorization = kPodToken;
  fakes::FakeContainerCredentials fake(o);
  ASSERT_GT(fake.start(), 0);
  int rc = 0;
  auto lines = testing::runPython(
      "import boto3\nc = boto3.Session().get_credentials()\nprint(c.method)\nprint(c.access_key)\n",
      {{"AWS_CONTAINER_CREDENTIALS_FULL_URI", fake.credentialsUrl()},
       {"AWS_CONTAINER_AUTHORIZATION_TOKEN", kPodToken},
       {"AWS_EC2_METADATA_DISABLED", "true"}},
      dir_, &rc);
  ASSERT_EQ(rc, 0) << (lines.empty() ? "" : lines.back());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "container-role");
  ASSERT_FALSE(fake.issued().empty());
  EXPECT_EQ(lines[1], fake.issued().back().access_key_id);
  EXPECT_TRUE(fake.requests().at(0).authorization_present);
}

// The document IMDS and the container endpoint return: a key or token with whitespace or a control character
// is refused (a token with a line feed would reach the X-Amz-Security-Token header).
TEST(CredentialsJsonTest, RefusesWhitespaceAndControlCharactersInTheKeys) {
  auto ok = parseCredentialsJson(R"({"AccessKeyId":"ASIA1","SecretAccessKey":"S/e+c=","Token":"T="})", "c");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->session_token, "T=");
  for (const char* bad : {R"({"AccessKeyId":"AS IA","SecretAccessKey":"S"})",
                          R"({"AccessKeyId":"ASIA1","SecretAccessKey":"S\n"})",
                          R"({"AccessKeyId":"ASIA1","SecretAccessKey":"S","Token":"T\r\nX-Injected: 1"})"}) {
    auto r = parseCredentialsJson(bad, "c");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kParse);
    EXPECT_NE(r.error().message.find("whitespace or a control character"), std::string::npos)
        << r.error().message;
  }
}

TEST(ContainerUriTest, AllowsHttpsLoopbackAndTheEcsAndEksHostsOnly) {
  EXPECT_TRUE(containerFullUriAllowed("https://creds.example.com/v1"));
  EXPECT_TRUE(containerFullUriAllowed("http://127.0.0.1:8080/creds"));
  EXPECT_TRUE(containerFullUriAllowed("http://127.1.2.3/creds"));
  EXPECT_TRUE(containerFullUriAllowed("http://localhost:51679/creds"));
  EXPECT_TRUE(containerFullUriAllowed("http://[::1]:80/creds"));
  EXPECT_TRUE(containerFullUriAllowed("http://169.254.170.2/v2/credentials/x"));
  EXPECT_TRUE(containerFullUriAllowed("http://169.254.170.23/v1/credentials"));
  EXPECT_TRUE(containerFullUriAllowed("http://[fd00:ec2::23]/v1/credentials"));
  EXPECT_FALSE(containerFullUriAllowed("http://169.254.169.254/latest"));
  EXPECT_FALSE(containerFullUriAllowed("http://128.0.0.1/creds"));
  EXPECT_FALSE(containerFullUriAllowed("http://127.0.0.1.example.com/creds"));
  EXPECT_FALSE(containerFullUriAllowed("ftp://127.0.0.1/creds"));
  EXPECT_FALSE(containerFullUriAllowed("127.0.0.1/creds"));
}

}  // namespace
}  // namespace aar::aws
