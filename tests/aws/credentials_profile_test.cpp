// ProfileCredentialsProvider and the shared-file INI parser: unit tests on temporary files.
#include "aws/credentials_profile.hpp"

#include <gtest/gtest.h>

#include "aws/credentials_test_support.hpp"

namespace aar::aws {
namespace {

using testing::TempDir;
using testing::TestEnv;

TEST(IniParseTest, ReadsSectionsKeysAndCommentsAsTheSdksDo) {
  auto ini = parseIni(
      "# a comment\n"
      "; another\n"
      "[default]   # trailing note\n"
      "aws_access_key_id = AKIADEFAULT ; inline note\n"
      "aws_secret_access_key=abc#def\n"
      "\r\n"
      "[ profile dev ]\n"
      "region = eu-west-1\n"
      "s3 =\n"
      "  max_concurrent_requests = 20\n",
      "test.ini");
  ASSERT_TRUE(ini.ok()) << ini.error().toString();
  EXPECT_EQ(ini->at("default").at("aws_access_key_id"), "AKIADEFAULT");
  EXPECT_EQ(ini->at("default").at("aws_secret_access_key"), "abc#def");  // no whitespace before '#': value
  EXPECT_EQ(ini->at("profile dev").at("region"), "eu-west-1");
  EXPECT_EQ(ini->at("profile dev").at("s3"), "max_concurrent_requests = 20");
}

TEST(IniParseTest, RejectsMalformedLinesNamingTheLineButNotItsContent) {
  auto ini = parseIni("[default]\naws_access_key_id = AKIA\nthisIsNotAProperty-s3cr3t\n", "/tmp/creds");
  ASSERT_FALSE(ini.ok());
  EXPECT_EQ(ini.error().kind, ErrorKind::kParse);
  EXPECT_NE(ini.error().message.find("/tmp/creds line 3"), std::string::npos) << ini.error().message;
  EXPECT_EQ(ini.error().message.find("s3cr3t"), std::string::npos);

  EXPECT_FALSE(parseIni("key = outside\n", "x").ok());
  EXPECT_FALSE(parseIni("[unclosed\n", "x").ok());
}

class ProfileCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.set("HOME", dir_.path()); }
  TempDir dir_;
  TestEnv env_;
};

TEST_F(ProfileCredentialsTest, ReadsTheDefaultProfileFromHome) {
  dir_.write(".aws/credentials",
             "[default]\naws_access_key_id = AKIAHOME\naws_secret_access_key = home-secret\n");
  auto c = ProfileCredentialsProvider(env_.lookup()).get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(c->access_key_id, "AKIAHOME");
  EXPECT_EQ(c->secret_access_key, "home-secret");
  EXPECT_EQ(c->session_token, "");
  EXPECT_EQ(c->provider, "profile");
}

TEST_F(ProfileCredentialsTest, ReadsANamedProfileFromTheConfigFileWithItsPrefix) {
  env_.set("AWS_PROFILE", "dev");
  env_.set("AWS_CONFIG_FILE",
           dir_.write("cfg",
                      "[dev]\naws_access_key_id = WRONG\naws_secret_access_key = x\n"
                      "[profile dev]\naws_access_key_id = AKIADEV\n"
                      "aws_secret_access_key = dev-secret\naws_session_token = dev-tok\n"));
  env_.set("AWS_SHARED_CREDENTIALS_FILE", dir_.path() + "/missing");
  auto c = ProfileCredentialsProvider(env_.lookup()).get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(c->access_key_id, "AKIADEV");
  EXPECT_EQ(c->session_token, "dev-tok");
}

TEST_F(ProfileCredentialsTest, PrefersTheCredentialsFileOverTheConfigFile) {
  env_.set("AWS_SHARED_CREDENTIALS_FILE",
           dir_.write("creds", "[default]\naws_access_key_id = AKIACREDS\naws_secret_access_key = c\n"));
  env_.set("AWS_CONFIG_FILE",
           dir_.write("config", "[default]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = k\n"));
  auto c = ProfileCredentialsProvider(env_.lookup()).get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKIACREDS");
}

TEST_F(ProfileCredentialsTest, IsUnavailableWithoutFiles) {
  auto c = ProfileCredentialsProvider(env_.lookup()).get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable);
}

TEST_F(ProfileCredentialsTest, IsUnavailableWhenTheDefaultProfileIsAbsent) {
  dir_.write(".aws/credentials", "[other]\naws_access_key_id = A\naws_secret_access_key = B\n");
  auto c = ProfileCredentialsProvider(env_.lookup()).get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable);
}

TEST_F(ProfileCredentialsTest, FailsWhenAnExplicitProfileIsAbsent) {
  dir_.write(".aws/credentials", "[other]\naws_access_key_id = A\naws_secret_access_key = B\n");
  env_.set("AWS_PROFILE", "prod");
  auto c = ProfileCredentialsProvider(env_.lookup()).get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(c.error().message.find("'prod'"), std::string::npos);
}

TEST_F(ProfileCredentialsTest, FailsOnHalfAKeyPairOrAnUnsupportedSource) {
  dir_.write(".aws/credentials", "[default]\naws_access_key_id = AKIAHALF\n");
  auto half = ProfileCredentialsProvider(env_.lookup()).get();
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.error().kind, ErrorKind::kInvalidArgument);

  dir_.write(".aws/credentials", "[default]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n");
  auto role = ProfileCredentialsProvider(env_.lookup()).get();
  ASSERT_FALSE(role.ok());
  EXPECT_EQ(role.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(role.error().message.find("not supported"), std::string::npos);

  dir_.write(".aws/credentials", "[default]\nregion = us-east-1\n");
  auto nothing = ProfileCredentialsProvider(env_.lookup()).get();
  ASSERT_FALSE(nothing.ok());
  EXPECT_EQ(nothing.error().kind, ErrorKind::kUnavailable);
}

TEST_F(ProfileCredentialsTest, FailsOnAFileItCannotParse) {
  dir_.write(".aws/credentials", "[default]\naws_access_key_id AKIA-no-equals\n");
  auto c = ProfileCredentialsProvider(env_.lookup()).get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kParse);
  EXPECT_EQ(c.error().message.find("AKIA-no-equals"), std::string::npos);
}

}  // namespace
}  // namespace aar::aws
