// EnvironmentCredentialsProvider: unit tests with an injected environment.
#include "aws/credentials_environment.hpp"

#include <gtest/gtest.h>

#include "aws/credentials_test_support.hpp"
#include "aws/credentials_util.hpp"

namespace aar::aws {
namespace {

using testing::TestEnv;

TEST(EnvironmentCredentialsTest, ReadsKeysAndSessionToken) {
  TestEnv env;
  env.set("AWS_ACCESS_KEY_ID", "AKIAENVTEST000000001");
  env.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  env.set("AWS_SESSION_TOKEN", "env-token");
  EnvironmentCredentialsProvider p(env.lookup());
  auto c = p.get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(c->access_key_id, "AKIAENVTEST000000001");
  EXPECT_EQ(c->secret_access_key, "env-secret");
  EXPECT_EQ(c->session_token, "env-token");
  EXPECT_FALSE(c->expiration.has_value());
  EXPECT_EQ(c->provider, "environment");
}

TEST(EnvironmentCredentialsTest, IsUnavailableWhenNeitherKeyIsSet) {
  TestEnv env;
  env.set("AWS_SESSION_TOKEN", "lonely-token");
  auto c = EnvironmentCredentialsProvider(env.lookup()).get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kUnavailable);
}

TEST(EnvironmentCredentialsTest, FailsWhenOnlyOneKeyIsSet) {
  TestEnv env;
  env.set("AWS_ACCESS_KEY_ID", "AKIAENVTEST000000001");
  auto c = EnvironmentCredentialsProvider(env.lookup()).get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(c.error().message.find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos) << c.error().message;

  TestEnv only_secret;
  only_secret.set("AWS_SECRET_ACCESS_KEY", "s3cr3t-value");
  auto d = EnvironmentCredentialsProvider(only_secret.lookup()).get();
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(d.error().message.find("s3cr3t-value"), std::string::npos);
}

TEST(EnvironmentCredentialsTest, ReadsAnExpirationWhenGiven) {
  TestEnv env;
  env.set("AWS_ACCESS_KEY_ID", "ASIAENVTEST000000001");
  env.set("AWS_SECRET_ACCESS_KEY", "env-secret");
  env.set("AWS_CREDENTIAL_EXPIRATION", "2026-11-28T16:00:00Z");
  auto c = EnvironmentCredentialsProvider(env.lookup()).get();
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->expiration.has_value());
  EXPECT_EQ(formatIso8601(*c->expiration), "2026-11-28T16:00:00Z");

  env.set("AWS_CREDENTIAL_EXPIRATION", "tomorrow");
  auto bad = EnvironmentCredentialsProvider(env.lookup()).get();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
}

TEST(Iso8601Test, ParsesTheFormsAwsSends) {
  auto a = parseIso8601("2011-07-11T19:55:29.611Z");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(formatIso8601(*a), "2011-07-11T19:55:29Z");
  auto b = parseIso8601("2026-11-28T18:00:00+02:00");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(formatIso8601(*b), "2026-11-28T16:00:00Z");
  EXPECT_FALSE(parseIso8601("2026-11-28 16:00:00").has_value());
  EXPECT_FALSE(parseIso8601("2026-02-30T16:00:00Z").has_value());
  EXPECT_FALSE(parseIso8601("2026-11-28T16:00:00").has_value());
  EXPECT_FALSE(parseIso8601("2026-11-28T16:00:00Zjunk").has_value());
}

// system_clock holds int64 nanoseconds, 1677-09-21 .. 2262-04-11: a year it cannot hold whole is refused
// rather than overflowing into some other time.
TEST(Iso8601Test, AcceptsTheFirstAndLastYearsTheClockHolds) {
  auto first = parseIso8601("1678-01-01T00:00:00Z");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(formatIso8601(*first), "1678-01-01T00:00:00Z");
  EXPECT_LT(*first, std::chrono::system_clock::time_point{});
  auto last = parseIso8601("2261-12-31T23:59:59Z");
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(formatIso8601(*last), "2261-12-31T23:59:59Z");
  // An offset may move a time within those years.
  auto shifted = parseIso8601("1678-01-06T00:00:00+99:59");
  ASSERT_TRUE(shifted.has_value());
  EXPECT_EQ(formatIso8601(*shifted), "1678-01-01T20:01:00Z");
}

TEST(Iso8601Test, RefusesYearsTheClockCannotHold) {
  EXPECT_FALSE(parseIso8601("1677-12-31T23:59:59Z").has_value());
  EXPECT_FALSE(parseIso8601("2262-01-01T00:00:00Z").has_value());
  EXPECT_FALSE(parseIso8601("2262-04-11T23:47:16Z").has_value());  // one second past the clock's end
  EXPECT_FALSE(parseIso8601("9999-12-31T23:59:59Z").has_value());
  EXPECT_FALSE(parseIso8601("0000-01-01T00:00:00Z").has_value());
  EXPECT_FALSE(parseIso8601("0001-01-01T00:00:00.000Z").has_value());
  // Nor an offset that carries a time in range out of those years: it would format as a year we refuse.
  EXPECT_FALSE(parseIso8601("2261-12-31T23:59:60-99:59").has_value());
  EXPECT_FALSE(parseIso8601("2261-12-31T23:00:00-01:00").has_value());
  EXPECT_FALSE(parseIso8601("1678-01-01T00:00:00+00:01").has_value());
}

}  // namespace
}  // namespace aar::aws
