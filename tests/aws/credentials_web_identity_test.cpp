// WebIdentityCredentialsProvider (IRSA) against FakeSts over real HTTP on 127.0.0.1; the issued credentials
// then sign IAM requests that FakeIam verifies.
#include "aws/credentials_web_identity.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "aws/credentials_cache.hpp"
#include "aws/credentials_test_support.hpp"
#include "aws/iam_client.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "fakes/aws/fake_sts.hpp"
#include "support/manual_clock.hpp"

namespace aar::aws {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using testing::TestClock;
using testing::TestEnv;

constexpr char kRoleArn[] = "arn:aws:iam::123456789012:role/aws-auth-refresher";
constexpr char kToken[] = "eyJhbGciOiJSUzI1NiJ9.projected-token-one.sig";
constexpr char kRotatedToken[] = "eyJhbGciOiJSUzI1NiJ9.projected-token-two.sig";

class WebIdentityCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fakes::FakeSts::Options o;
    o.expected_token = kToken;
    o.clock = &clock_;
    o.iam = &iam_;
    sts_ = std::make_unique<fakes::FakeSts>(o);
    ASSERT_GT(sts_->start(), 0);
    ASSERT_GT(iam_.start(), 0);
    env_.set("AWS_ROLE_ARN", kRoleArn);
    env_.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir_.write("token", std::string(kToken) + "\n"));
    env_.set("AWS_ENDPOINT_URL_STS", sts_->url());
    env_.set("AWS_REGION", "us-east-1");
  }

  WebIdentityCredentialsProvider provider() {
    WebIdentityOptions o;
    o.clock = &clock_;
    o.timeout = 3s;
    // Retries back off on the manual clock (recorded, not slept), with the jitter pinned at 0.5.
    o.random = [] { return 0.5; };
    return WebIdentityCredentialsProvider(env_.lookup(), http_, o);
  }

  TestClock clock_;
  TempDir dir_;
  TestEnv env_;
  fakes::FakeIam iam_;
  std::unique_ptr<fakes::FakeSts> sts_;
  net::HttpClient http_;  // destroyed first: its kept-alive connections close before the servers stop
};

TEST_F(WebIdentityCredentialsTest, AssumesTheRoleWithTheProjectedToken) {
  auto p = provider();
  auto c = p.get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  ASSERT_EQ(sts_->issued().size(), 1u);
  const auto issued = sts_->issued()[0];
  EXPECT_EQ(c->access_key_id, issued.access_key_id);
  EXPECT_EQ(c->secret_access_key, issued.secret_access_key);
  EXPECT_EQ(c->session_token, issued.session_token);
  ASSERT_TRUE(c->expiration.has_value());
  EXPECT_EQ(*c->expiration, clock_.wallNow() + 1h);
  EXPECT_EQ(c->provider, "web-identity");

  auto log = sts_->requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "AssumeRoleWithWebIdentity");
  EXPECT_EQ(log[0].role_arn, kRoleArn);
  EXPECT_EQ(log[0].role_session_name.rfind("aws-auth-refresher-", 0), 0u) << log[0].role_session_name;
}

TEST_F(WebIdentityCredentialsTest, UsesTheConfiguredSessionName) {
  env_.set("AWS_ROLE_SESSION_NAME", "my-session");
  ASSERT_TRUE(provider().get().ok());
  EXPECT_EQ(sts_->requests().at(0).role_session_name, "my-session");
}

TEST_F(WebIdentityCredentialsTest, IssuedCredentialsSignIamRequests) {
  iam_.addUser("tmp-foo-one");
  auto inner = std::make_unique<WebIdentityCredentialsProvider>(provider());
  CachedCredentialsProvider cached(std::move(inner), {&clock_, 300s});
  IamClientOptions o;
  o.endpoint = Endpoint{iam_.url(), "us-east-1", "aws"};
  o.clock = &clock_;
  IamClient iam(http_, cached, o);
  auto users = iam.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ(iam_.requests().at(0).access_key_id, sts_->issued().at(0).access_key_id);
}

TEST_F(WebIdentityCredentialsTest, CacheRefreshesInsideTheWindowAndRereadsTheRotatedToken) {
  CachedCredentialsProvider cached(std::make_unique<WebIdentityCredentialsProvider>(provider()),
                                   {&clock_, 300s});
  auto first = cached.get();
  ASSERT_TRUE(first.ok()) << first.error().toString();
  EXPECT_EQ(sts_->requests().size(), 1u);

  // The kubelet rotates the token; STS now only accepts the new one.
  dir_.write("token", kRotatedToken);
  sts_->setExpectedToken(kRotatedToken);

  clock_.advance(54min);  // 6 minutes left: outside the refresh window
  auto second = cached.get();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->access_key_id, first->access_key_id);
  EXPECT_EQ(sts_->requests().size(), 1u) << "no request before the refresh window";

  clock_.advance(2min);  // 4 minutes left: inside the window
  auto third = cached.get();
  ASSERT_TRUE(third.ok()) << third.error().toString();
  EXPECT_NE(third->access_key_id, first->access_key_id);
  auto log = sts_->requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].status, 200) << "the rotated token file was re-read";
}

TEST_F(WebIdentityCredentialsTest, AnInvalidTokenIsUnauthorizedAndNotRetried) {
  sts_->setExpectedToken("some-other-token");
  auto c = provider().get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(c.error().message.find("InvalidIdentityToken"), std::string::npos) << c.error().message;
  EXPECT_EQ(c.error().message.find(kToken), std::string::npos);
  EXPECT_EQ(sts_->requests().size(), 1u);
}

TEST_F(WebIdentityCredentialsTest, AnExpiredTokenIsUnauthorized) {
  sts_->setTokenExpired(true);
  auto c = provider().get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(c.error().message.find("ExpiredTokenException"), std::string::npos) << c.error().message;
}

TEST_F(WebIdentityCredentialsTest, RetriesServerErrorsAndIdpCommunicationErrors) {
  sts_->failNext(2, 503, "ServiceUnavailable");
  auto c = provider().get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(sts_->requests().size(), 3u);

  sts_->clearLog();
  sts_->failNext(3, 400, "IDPCommunicationError");
  auto d = provider().get();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(sts_->requests().size(), 3u);
  // Backoff before each retry, 0.5 x 100 ms x 2^retry, and none after the last attempt.
  const std::vector<std::chrono::nanoseconds> expected{50ms, 100ms, 50ms, 100ms};
  EXPECT_EQ(clock_.sleeps(), expected);
}

TEST_F(WebIdentityCredentialsTest, IsUnavailableWhenNotConfiguredAndFailsWhenHalfConfigured) {
  TestEnv none;
  EXPECT_EQ(WebIdentityCredentialsProvider(none.lookup(), http_).get().error().kind, ErrorKind::kUnavailable);
  env_.unset("AWS_ROLE_ARN");
  EXPECT_EQ(provider().get().error().kind, ErrorKind::kInvalidArgument);
}

TEST_F(WebIdentityCredentialsTest, FailsWhenTheTokenFileIsMissingOrEmpty) {
  env_.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir_.path() + "/nope");
  auto missing = provider().get();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kInvalidArgument);
  env_.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir_.write("empty", "\n"));
  EXPECT_FALSE(provider().get().ok());
  EXPECT_TRUE(sts_->requests().empty());
}

TEST(StsXmlTest, ParsesTheResponseShapeAndRejectsMissingFields) {
  auto ok = parseAssumeRoleWithWebIdentityXml(
      "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
      "<AssumeRoleWithWebIdentityResult><Credentials><SessionToken>T</SessionToken>"
      "<SecretAccessKey>S</SecretAccessKey><Expiration>2011-07-11T19:55:29.611Z</Expiration>"
      "<AccessKeyId>ASIA1</AccessKeyId></Credentials></AssumeRoleWithWebIdentityResult>"
      "</AssumeRoleWithWebIdentityResponse>");
  ASSERT_TRUE(ok.ok()) << ok.error().toString();
  EXPECT_EQ(ok->access_key_id, "ASIA1");
  EXPECT_EQ(ok->session_token, "T");
  auto missing = parseAssumeRoleWithWebIdentityXml(
      "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
      "<AccessKeyId>ASIA1</AccessKeyId></Credentials></AssumeRoleWithWebIdentityResult>"
      "</AssumeRoleWithWebIdentityResponse>");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kParse);
  EXPECT_FALSE(parseAssumeRoleWithWebIdentityXml("not xml <").ok());
}

// A key with whitespace or a control character is refused: a session token with a line feed would go into
// the X-Amz-Security-Token header as it is (found by fuzzing sts_xml).
TEST(StsXmlTest, RefusesWhitespaceAndControlCharactersInTheKeys) {
  const auto doc = [](const std::string& key, const std::string& secret, const std::string& token) {
    return "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
           "<AccessKeyId>" +
           key + "</AccessKeyId><SecretAccessKey>" + secret +
           "</SecretAccessKey>"
           "<SessionToken>" +
           token +
           "</SessionToken><Expiration>2026-11-28T16:00:00Z</Expiration>"
           "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
  };
  ASSERT_TRUE(parseAssumeRoleWithWebIdentityXml(doc("ASIA1", "S/e+c=", "T0k+/=")).ok());
  for (const auto& bad : {doc("ASIA1", "<![CDATA[\n]]>", "T"), doc("ASIA1", "S", "T\nX-Injected: 1"),
                          doc("AS IA", "S", "T"), doc("ASIA1\t", "S", "T"), doc("ASIA1", "S", "T\x7f")}) {
    auto r = parseAssumeRoleWithWebIdentityXml(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kParse);
    EXPECT_NE(r.error().message.find("whitespace or a control character"), std::string::npos)
        << r.error().message;
  }
}

// The fake speaks STS as an official client expects: boto3 (Debian's /usr/bin/python3) assumes the role.
TEST_F(WebIdentityCredentialsTest, Boto3AssumesTheRoleAgainstTheFake) {
  if (std::system("/usr/bin/python3 -c 'import boto3' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "boto3 is not installed for /usr/bin/python3 (scripts/setup.sh installs python3-boto3)";
  }
  const std::string out = dir_.path() + "/boto3.out";
  const std::string script =
      dir_.write("assume.py",
                 "import boto3, sys\n"
                 "sts = boto3.client('sts', region_name='us-east-1', endpoint_url=sys.argv[1],\n"
                 "                   aws_access_key_id='x', aws_secret_access_key='y')\n"
                 "r = sts.assume_role_with_web_identity(RoleArn=sys.argv[2],\n"
                 "    RoleSessionName='boto3', WebIdentityToken=sys.argv[3])\n"
                 "print(r['Credentials']['AccessKeyId'])\n"
                 "try:\n"
                 "    sts.assume_role_with_web_identity(RoleArn=sys.argv[2],\n"
                 "        RoleSessionName='boto3', WebIdentityToken='wrong')\n"
                 "except sts.exceptions.InvalidIdentityTokenException as e:\n"
                 "    print(e.response['Error']['Code'])\n");
  const std::string cmd = "env -i /usr/bin/python3 " + script + " " + sts_->url() + " " + kRoleArn + " " +
                          kToken + " > " + out + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(out);
  std::string akid, code;
  std::getline(in, akid);
  std::getline(in, code);
  ASSERT_EQ(rc, 0) << akid << "\n" << code;
  ASSERT_EQ(sts_->issued().size(), 1u);
  EXPECT_EQ(akid, sts_->issued()[0].access_key_id);
  EXPECT_EQ(code, "InvalidIdentityToken");
}

}  // namespace
}  // namespace aar::aws
