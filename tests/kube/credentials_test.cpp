#include "kube/credentials.hpp"

#include <gtest/gtest.h>

#include "kube_test_support.hpp"

namespace aar::kube {
namespace {

using testing::ManualClock;
using testing::TempDir;

ConnectionConfig tokenFileConfig(const std::string& path) {
  ConnectionConfig c;
  c.server = "https://127.0.0.1:1";
  c.auth.token_file = path;
  return c;
}

TEST(CredentialsTest, ReReadsARotatedTokenFileWithinAMinute) {
  TempDir dir;
  ManualClock clock;
  const std::string path = dir.write("token", "first\n");
  CredentialOptions options;
  options.clock = &clock;
  auto source = makeCredentialSource(tokenFileConfig(path), options);
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_EQ((*source)->get()->token, "first");
  dir.write("token", "second\n");
  clock.advance(std::chrono::seconds(30));
  EXPECT_EQ((*source)->get()->token, "first");  // within the refresh period: the cached token
  clock.advance(std::chrono::seconds(30));
  EXPECT_EQ((*source)->get()->token, "second");
}

TEST(CredentialsTest, ReReadsTheTokenFileAtOnceAfterA401) {
  TempDir dir;
  ManualClock clock;
  const std::string path = dir.write("token", "first");
  CredentialOptions options;
  options.clock = &clock;
  auto source = makeCredentialSource(tokenFileConfig(path), options);
  ASSERT_TRUE(source.ok());
  auto first = (*source)->get();
  dir.write("token", "second");
  EXPECT_TRUE((*source)->invalidate(*first));
  EXPECT_EQ((*source)->get()->token, "second");
}

TEST(CredentialsTest, KeepsTheLastTokenWhileTheFileIsBrieflyMissing) {
  TempDir dir;
  ManualClock clock;
  const std::string path = dir.write("token", "first");
  CredentialOptions options;
  options.clock = &clock;
  auto source = makeCredentialSource(tokenFileConfig(path), options);
  ASSERT_TRUE(source.ok());
  std::filesystem::remove(path);
  clock.advance(std::chrono::minutes(2));
  auto c = (*source)->get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->token, "first");
}

TEST(CredentialsTest, FailsAtCreationWhenTheTokenFileIsMissing) {
  TempDir dir;
  auto source = makeCredentialSource(tokenFileConfig(dir.file("absent")));
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().message.find(dir.file("absent")), std::string::npos);
}

TEST(CredentialsTest, AStaticTokenCannotBeRefreshed) {
  ConnectionConfig c;
  c.auth.token = "static";
  auto source = makeCredentialSource(c);
  ASSERT_TRUE(source.ok());
  auto got = (*source)->get();
  EXPECT_EQ(got->token, "static");
  EXPECT_FALSE((*source)->invalidate(*got));
}

}  // namespace
}  // namespace aar::kube
