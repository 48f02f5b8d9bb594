// The default chain (makeDefaultCredentialsProvider) against the fakes: order, stop-at-a-configured-failure,
// and the combined error when nothing works.
#include "aws/credentials_chain.hpp"

#include <gtest/gtest.h>

#include "aws/credentials_default.hpp"
#include "aws/credentials_test_support.hpp"
#include "fakes/aws/fake_container_credentials.hpp"
#include "fakes/aws/fake_imds.hpp"
#include "fakes/aws/fake_sts.hpp"

namespace aar::aws {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using testing::TestClock;
using testing::TestEnv;

constexpr char kWebToken[] = "projected-web-identity-token";
constexpr char kPodToken[] = "pod-identity-token";

class CredentialsChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fakes::FakeSts::Options s;
    s.expected_token = kWebToken;
    s.clock = &clock_;
    sts_ = std::make_unique<fakes::FakeSts>(s);
    fakes::FakeContainerCredentials::Options c;
    c.expected_authorization = kPodToken;
    c.clock = &clock_;
    container_ = std::make_unique<fakes::FakeContainerCredentials>(c);
    fakes::FakeImds::Options i;
    i.clock = &clock_;
    imds_ = std::make_unique<fakes::FakeImds>(i);
    ASSERT_GT(sts_->start(), 0);
    ASSERT_GT(container_->start(), 0);
    ASSERT_GT(imds_->start(), 0);
    env_.set("HOME", home_.path());  // no ~/.aws files
    env_.set("AWS_ENDPOINT_URL_STS", sts_->url());
    env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds_->url());
  }
  std::unique_ptr<CachedCredentialsProvider> chain() {
    return makeDefaultCredentialsProvider(env_.lookup(), http_, clock_);
  }
  void configureWebIdentity(const std::string& token) {
    env_.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r");
    env_.set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.write("web-token", token));
  }
  void configureContainer() {
    env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container_->credentialsUrl());
    env_.set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", home_.write("pod-token", kPodToken));
  }
  size_t requestsSent() {
    return sts_->requests().size() + container_->requests().size() + imds_->requests().size();
  }

  TestClock clock_;
  TempDir home_;
  TestEnv env_;
  std::unique_ptr<fakes::FakeSts> sts_;
  std::unique_ptr<fakes::FakeContainerCredentials> container_;
  std::unique_ptr<fakes::FakeImds> imds_;
  net::HttpClient http_;
};

TEST_F(CredentialsChainTest, EnvironmentComesFirst) {
  env_.set("AWS_ACCESS_KEY_ID", "AKIAENVFIRST");
  env_.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  home_.write(".aws/credentials", "[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = p\n");
  configureWebIdentity(kWebToken);
  configureContainer();
  auto c = chain()->get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(c->provider, "environment");
  EXPECT_EQ(requestsSent(), 0u);
}

TEST_F(CredentialsChainTest, SharedFilesComeBeforeWebIdentity) {
  home_.write(".aws/credentials", "[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = p\n");
  configureWebIdentity(kWebToken);
  auto c = chain()->get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->provider, "profile");
  EXPECT_EQ(requestsSent(), 0u);
}

TEST_F(CredentialsChainTest, WebIdentityComesBeforeContainerAndImds) {
  configureWebIdentity(kWebToken);
  configureContainer();
  auto c = chain()->get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(c->provider, "web-identity");
  EXPECT_EQ(sts_->requests().size(), 1u);
  EXPECT_TRUE(container_->requests().empty());
  EXPECT_TRUE(imds_->requests().empty());
}

TEST_F(CredentialsChainTest, ContainerComesBeforeImds) {
  configureContainer();
  auto c = chain()->get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(c->provider, "container");
  EXPECT_TRUE(imds_->requests().empty());
}

TEST_F(CredentialsChainTest, ImdsIsTheLastResort) {
  auto c = chain()->get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(c->provider, "imds");
}

TEST_F(CredentialsChainTest, StopsAtAConfiguredProviderThatFailsAndSaysWhy) {
  configureWebIdentity("a-token-sts-will-refuse");
  auto c = chain()->get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnauthorized);
  const std::string& m = c.error().message;
  EXPECT_NE(m.find("environment: "), std::string::npos) << m;
  EXPECT_NE(m.find("profile: "), std::string::npos) << m;
  EXPECT_NE(m.find("web-identity: "), std::string::npos) << m;
  EXPECT_NE(m.find("InvalidIdentityToken"), std::string::npos) << m;
  EXPECT_EQ(m.find("container: "), std::string::npos) << m;
  EXPECT_TRUE(imds_->requests().empty()) << "must not fall through to another identity";
}

TEST_F(CredentialsChainTest, HalfSetEnvironmentStopsTheChain) {
  env_.set("AWS_ACCESS_KEY_ID", "AKIAHALF");
  auto c = chain()->get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(requestsSent(), 0u);
}

TEST_F(CredentialsChainTest, WhenNothingWorksTheErrorListsEveryProvider) {
  env_.set("AWS_EC2_METADATA_DISABLED", "true");
  auto c = chain()->get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable);
  const std::string& m = c.error().message;
  size_t last = 0;
  for (const char* name : {"environment: ", "profile: ", "web-identity: ", "container: ", "imds: "}) {
    const size_t at = m.find(name);
    ASSERT_NE(at, std::string::npos) << name << " missing from: " << m;
    EXPECT_GE(at, last) << "providers listed in chain order: " << m;
    last = at;
  }
  EXPECT_EQ(requestsSent(), 0u);
}

TEST_F(CredentialsChainTest, TheDefaultProviderCachesUntilTheRefreshWindow) {
  configureContainer();
  auto provider = chain();
  auto first = provider->get();
  ASSERT_TRUE(first.ok());
  clock_.advance(30min);
  EXPECT_EQ(provider->get()->access_key_id, first->access_key_id);
  EXPECT_EQ(container_->requests().size(), 1u);
  clock_.advance(26min);
  EXPECT_NE(provider->get()->access_key_id, first->access_key_id);
  EXPECT_EQ(container_->requests().size(), 2u);
}

TEST(ChainProviderTest, AnEmptyChainIsUnavailable) {
  ChainCredentialsProvider chain({});
  auto c = chain.get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable);
}

}  // namespace
}  // namespace aar::aws
