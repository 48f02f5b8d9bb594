// AssumeRoleCredentialsProvider against FakeSts + FakeIam over real HTTP on 127.0.0.1: the request STS sees,
// credentials that see the other account's IAM, caching until 5 minutes before expiry on a ManualClock,
// AccessDenied (denied role, wrong ExternalId, unknown caller), retries, and the endpoint resolution.
#include "aws/credentials_assume_role.hpp"

#include <gtest/gtest.h>

#include "aws/iam_client.hpp"
#include "credentials_test_support.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "fakes/aws/fake_sts.hpp"
#include "support/manual_clock.hpp"

namespace aar::aws {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kAkid[] = "AKIACONTROLLER000001";
constexpr char kSecret[] = "controller/own+secret/dddddddddddddddddd";
constexpr char kOther[] = "222233334444";
constexpr char kRole[] = "arn:aws:iam::222233334444:role/aws-auth-refresher-reader";

class OwnCredentials : public CredentialsProvider {
 public:
  explicit OwnCredentials(std::string akid = kAkid) : akid_(std::move(akid)) {}
  Result<Credentials> get() override { return Credentials{akid_, kSecret, "", std::nullopt, "own"}; }
  const char* name() const override { return "own"; }

 private:
  std::string akid_;
};

class AssumeRoleTest : public ::testing::Test {
 protected:
  AssumeRoleTest() : sts_(stsOptions()) {}

  fakes::FakeSts::Options stsOptions() {
    fakes::FakeSts::Options o;
    o.iam = &iam_;
    o.clock = &clock_;
    return o;
  }

  void SetUp() override {
    ASSERT_GT(iam_.start(), 0);
    ASSERT_GT(sts_.start(), 0);
    iam_.allowCredentials(kAkid, kSecret);
    iam_.addUser("local-user");
    iam_.addUser("remote-alice", "/", kOther);
    env_.set("AWS_REGION", "eu-west-1");
    env_.set("AWS_ENDPOINT_URL_STS", sts_.url());
  }

  AssumeRoleOptions options(const std::string& external_id = "") {
    AssumeRoleOptions o;
    o.role_arn = kRole;
    o.external_id = external_id;
    o.clock = &clock_;
    o.random = [] { return 0.5; };
    o.timeout = std::chrono::milliseconds(3000);
    return o;
  }

  std::unique_ptr<CredentialsProvider> provider(AssumeRoleOptions o, CredentialsProvider* source = nullptr) {
    auto p = makeAssumeRoleCredentialsProvider(env_.lookup(), http_, source ? *source : own_, std::move(o));
    EXPECT_TRUE(p.ok()) << p.error().toString();
    return p.ok() ? std::move(*p) : nullptr;
  }

  test::ManualClock clock_;
  fakes::FakeIam iam_;
  fakes::FakeSts sts_;
  testing::TestEnv env_;
  net::HttpClient http_;
  OwnCredentials own_;
};

TEST_F(AssumeRoleTest, AssumesTheRoleAndItsCredentialsSeeTheOtherAccount) {
  sts_.requireExternalId(kRole, "ext-42");
  auto assumed = provider(options("ext-42"));
  ASSERT_NE(assumed, nullptr);
  auto creds = assumed->get();
  ASSERT_TRUE(creds.ok()) << creds.error().toString();
  EXPECT_EQ(creds->access_key_id.substr(0, 4), "ASIA");
  EXPECT_FALSE(creds->session_token.empty());
  ASSERT_TRUE(creds->expiration.has_value());
  EXPECT_EQ(std::chrono::floor<seconds>(*creds->expiration),
            std::chrono::floor<seconds>(clock_.wallNow() + seconds(3600)));

  const auto log = sts_.requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "AssumeRole");
  EXPECT_EQ(log[0].role_arn, kRole);
  EXPECT_EQ(log[0].role_session_name, "aws-auth-refresher");
  EXPECT_EQ(log[0].duration_seconds, 3600);
  EXPECT_EQ(log[0].external_id, "ext-42");
  EXPECT_EQ(log[0].caller_access_key_id, kAkid);  // signed with the controller's own credentials
  EXPECT_EQ(log[0].status, 200);

  IamClientOptions io;
  io.endpoint = Endpoint{iam_.url(), "us-east-1", "aws"};
  io.clock = &clock_;
  IamClient iam(http_, *assumed, io);
  auto users = iam.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].arn, "arn:aws:iam::222233334444:user/remote-alice");
  EXPECT_EQ(iam_.requests().back().account, kOther);
}

TEST_F(AssumeRoleTest, NoExternalIdIsSentWhenNoneIsConfigured) {
  auto assumed = provider(options());
  ASSERT_TRUE(assumed->get().ok());
  EXPECT_EQ(sts_.requests().at(0).external_id, "");
}

TEST_F(AssumeRoleTest, CachesUntilFiveMinutesBeforeExpiry) {
  auto assumed = provider(options());
  auto first = assumed->get();
  ASSERT_TRUE(first.ok()) << first.error().toString();
  clock_.advance(minutes(54));
  auto second = assumed->get();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->access_key_id, first->access_key_id);
  EXPECT_EQ(sts_.requests().size(), 1u);

  clock_.advance(minutes(1) + seconds(1));  // 55:01 after issue: inside the last 5 minutes
  auto third = assumed->get();
  ASSERT_TRUE(third.ok());
  EXPECT_NE(third->access_key_id, first->access_key_id);
  EXPECT_EQ(sts_.requests().size(), 2u);
  EXPECT_TRUE(clock_.sleeps().empty());  // nothing was retried
}

TEST_F(AssumeRoleTest, ADeniedRoleIsForbiddenWithStsCodeAndRecovers) {
  sts_.denyAssumeRole(kRole);
  auto assumed = provider(options());
  auto denied = assumed->get();
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(denied.error().message.find("AccessDenied"), std::string::npos) << denied.error().message;
  EXPECT_NE(denied.error().message.find(kRole), std::string::npos);
  EXPECT_EQ(denied.error().message.find(kSecret), std::string::npos);
  EXPECT_EQ(sts_.requests().size(), 1u);  // 403 is not retried

  sts_.denyAssumeRole(kRole, false);
  clock_.advance(seconds(11));  // past the cache's pause after a failed fetch, if it keeps one
  auto recovered = assumed->get();
  ASSERT_TRUE(recovered.ok()) << recovered.error().toString();
}

TEST_F(AssumeRoleTest, AWrongExternalIdIsDenied) {
  sts_.requireExternalId(kRole, "right");
  auto assumed = provider(options("wrong"));
  auto denied = assumed->get();
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(denied.error().message.find("AccessDenied"), std::string::npos);
}

TEST_F(AssumeRoleTest, AnUnknownCallerIsRefusedWithoutLeakingItsSecret) {
  OwnCredentials stranger("AKIASTRANGER00000001");
  auto assumed = provider(options(), &stranger);
  auto refused = assumed->get();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(refused.error().message.find("InvalidClientTokenId"), std::string::npos);
  EXPECT_EQ(refused.error().message.find(kSecret), std::string::npos);
  EXPECT_EQ(sts_.requests().at(0).status, 403);
}

TEST_F(AssumeRoleTest, RetriesTransientFailuresWithBackoffOnTheClock) {
  sts_.failNext(2, 503, "ServiceUnavailable");
  auto assumed = provider(options());
  auto creds = assumed->get();
  ASSERT_TRUE(creds.ok()) << creds.error().toString();
  EXPECT_EQ(sts_.requests().size(), 3u);
  // Full jitter at random 0.5: 50 ms, then 100 ms (RetryPolicy defaults: 100 ms base).
  EXPECT_EQ(clock_.sleeps(), (std::vector<std::chrono::nanoseconds>{std::chrono::milliseconds(50),
                                                                    std::chrono::milliseconds(100)}));
}

TEST_F(AssumeRoleTest, GivesUpAfterTheRetryBudget) {
  sts_.failNext(5, 500, "InternalFailure");
  auto assumed = provider(options());
  auto creds = assumed->get();
  ASSERT_FALSE(creds.ok());
  EXPECT_EQ(creds.error().kind, ErrorKind::kServer);
  EXPECT_NE(creds.error().message.find("after 3 attempts"), std::string::npos) << creds.error().message;
  EXPECT_EQ(sts_.requests().size(), 3u);
}

TEST_F(AssumeRoleTest, HonoursAwsEndpointUrlWhenNoStsOverride) {
  env_.unset("AWS_ENDPOINT_URL_STS");
  env_.set("AWS_ENDPOINT_URL", sts_.url());
  auto assumed = provider(options());
  ASSERT_TRUE(assumed->get().ok());
  EXPECT_EQ(sts_.requests().size(), 1u);
}

TEST_F(AssumeRoleTest, RejectsAMissingRoleArnAndABadEndpoint) {
  AssumeRoleOptions o = options();
  o.role_arn.clear();
  auto none = makeAssumeRoleCredentialsProvider(env_.lookup(), http_, own_, o);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().kind, ErrorKind::kInvalidArgument);
  env_.set("AWS_ENDPOINT_URL_STS", "ftp://nope");
  auto bad = makeAssumeRoleCredentialsProvider(env_.lookup(), http_, own_, options());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
}

TEST(AssumeRoleXmlTest, ReadsTheCredentialsOfAnAssumeRoleResponse) {
  const std::string xml =
      "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
      "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/s</Arn>"
      "<AssumedRoleId>AROA123EXAMPLE123:s</AssumedRoleId></AssumedRoleUser><Credentials>"
      "<SessionToken>tok</SessionToken><SecretAccessKey>sec</SecretAccessKey>"
      "<Expiration>2026-11-30T12:00:00Z</Expiration><AccessKeyId>ASIAEXAMPLE</AccessKeyId></Credentials>"
      "<PackedPolicySize>8</PackedPolicySize></AssumeRoleResult></AssumeRoleResponse>";
  auto creds = parseAssumeRoleXml(xml);
  ASSERT_TRUE(creds.ok()) << creds.error().toString();
  EXPECT_EQ(creds->access_key_id, "ASIAEXAMPLE");
  EXPECT_EQ(creds->provider, "assume-role");
  EXPECT_FALSE(parseAssumeRoleXml("<AssumeRoleWithWebIdentityResponse/>").ok());
  EXPECT_FALSE(parseAssumeRoleXml("not xml").ok());
}

}  // namespace
}  // namespace aar::aws
