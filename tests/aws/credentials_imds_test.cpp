// ImdsCredentialsProvider against FakeImds (IMDSv2 only) over real HTTP on 127.0.0.1.
#include "aws/credentials_imds.hpp"

#include <gtest/gtest.h>

#include "aws/credentials_cache.hpp"
#include "aws/credentials_test_support.hpp"
#include "fakes/aws/fake_imds.hpp"
#include "support/manual_clock.hpp"

namespace aar::aws {
namespace {

using namespace std::chrono_literals;
using testing::TestClock;
using testing::TestEnv;

class ImdsCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fakes::FakeImds::Options o;
    o.clock = &clock_;
    o.duration = 6h;
    fake_ = std::make_unique<fakes::FakeImds>(o);
    ASSERT_GT(fake_->start(), 0);
    env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_->url() + "/");
  }
  // Retries back off on the manual clock (recorded, not slept), with the jitter pinned at 0.5.
  ImdsCredentialsProvider provider(ImdsOptions o = {}) {
    o.clock = &retry_clock_;
    o.random = [] { return 0.5; };
    return ImdsCredentialsProvider(env_.lookup(), http_, o);
  }

  aar::test::ManualClock retry_clock_;
  TestClock clock_;
  TestEnv env_;
  std::unique_ptr<fakes::FakeImds> fake_;
  net::HttpClient http_;
};

TEST_F(ImdsCredentialsTest, GetsATokenThenTheRoleThenItsCredentials) {
  auto c = provider().get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  const auto issued = fake_->issued().at(0);
  EXPECT_EQ(c->access_key_id, issued.access_key_id);
  EXPECT_EQ(c->secret_access_key, issued.secret_access_key);
  EXPECT_EQ(c->session_token, issued.session_token);
  EXPECT_EQ(c->expiration, clock_.wallNow() + 6h);
  EXPECT_EQ(c->provider, "imds");
  auto log = fake_->requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].method, "PUT");
  EXPECT_EQ(log[0].path, "/latest/api/token");
  EXPECT_EQ(log[1].path, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(log[2].path, "/latest/meta-data/iam/security-credentials/aws-auth-refresher-node");
  for (size_t i = 1; i < log.size(); ++i) {
    EXPECT_TRUE(log[i].token_present);
    EXPECT_EQ(log[i].status, 200);
  }
}

TEST_F(ImdsCredentialsTest, TheFakeRefusesMetadataWithoutAToken) {
  net::HttpRequest req;
  req.url = fake_->url() + "/latest/meta-data/iam/security-credentials/";
  auto resp = http_.perform(req);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 401);
}

TEST_F(ImdsCredentialsTest, DisabledByEnvironmentSendsNothing) {
  env_.set("AWS_EC2_METADATA_DISABLED", "TRUE");
  auto c = provider().get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable);
  EXPECT_TRUE(fake_->requests().empty());
}

TEST_F(ImdsCredentialsTest, AnInstanceWithoutARoleIsUnavailable) {
  fake_->setRoleName("");
  auto c = provider().get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable);
}

TEST_F(ImdsCredentialsTest, NoMetadataServiceIsUnavailable) {
  const std::string url = fake_->url();
  fake_->stop();
  env_.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", url);
  auto c = provider().get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable) << c.error().toString();
}

TEST_F(ImdsCredentialsTest, RetriesOnceAfterAServerErrorOrATimeout) {
  fake_->failNext(1, 500);
  ASSERT_TRUE(provider().get().ok());
  EXPECT_EQ(fake_->requests().size(), 4u);

  fake_->clearLog();
  fake_->delayNext(1, 400ms);
  ImdsOptions quick;
  quick.timeout = 150ms;
  auto c = provider(quick).get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  // Each retry waited its backoff first (jitter 0.5 x 100 ms).
  const std::vector<std::chrono::nanoseconds> expected{50ms, 50ms};
  EXPECT_EQ(retry_clock_.sleeps(), expected);
}

TEST_F(ImdsCredentialsTest, BacksOffExponentiallyOnTheRetryPolicy) {
  fake_->failNext(2, 503);
  ImdsOptions o;
  o.retry = RetryPolicy{.max_attempts = 3, .base_delay = 100ms, .max_backoff = 20s};
  auto c = provider(o).get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  // The failing request was retried twice: 0.5 x 100 ms, then 0.5 x 200 ms.
  const std::vector<std::chrono::nanoseconds> expected{50ms, 100ms};
  EXPECT_EQ(retry_clock_.sleeps(), expected);
}

TEST_F(ImdsCredentialsTest, CacheRefreshesInsideTheWindowOnly) {
  CachedCredentialsProvider cached(std::make_unique<ImdsCredentialsProvider>(provider()), {&clock_, 300s});
  auto first = cached.get();
  ASSERT_TRUE(first.ok());
  clock_.advance(5h + 54min);
  EXPECT_EQ(cached.get()->access_key_id, first->access_key_id);
  EXPECT_EQ(fake_->requests().size(), 3u);
  clock_.advance(2min);
  auto second = cached.get();
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->access_key_id, first->access_key_id);
  EXPECT_EQ(fake_->requests().size(), 6u);
}

// botocore's IMDS fetcher (boto3 in Debian's /usr/bin/python3) speaks IMDSv2 to the fake and gets the role's
// credentials.
TEST_F(ImdsCredentialsTest, Boto3ReadsInstanceRoleCredentialsFromTheFake) {
  if (!testing::haveBoto3()) GTEST_SKIP() << "boto3 is not installed for /usr/bin/python3 (scripts/setup.sh)";
  fakes::FakeImds fake;  // boto3 checks expiry against the real clock: this fake uses it too
  ASSERT_GT(fake.start(), 0);
  testing::TempDir dir;
  int rc = 0;
  auto lines = testing::runPython(
      "import boto3\nc = boto3.Session().get_credentials()\nprint(c.method)\nprint(c.access_key)\n",
      {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", fake.url() + "/"}}, dir, &rc);
  ASSERT_EQ(rc, 0) << (lines.empty() ? "" : lines.back());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "iam-role");
  ASSERT_FALSE(fake.issued().empty());
  EXPECT_EQ(lines[1], fake.issued().back().access_key_id);
  auto log = fake.requests();
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log[0].method, "PUT") << "boto3 asked for an IMDSv2 token first";
}

}  // namespace
}  // namespace aar::aws
