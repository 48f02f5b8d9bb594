// Proves FakeIam faithful with an official AWS client: Debian's python3-boto3 (in /usr/bin/python3, not the
// pyenv python3 on PATH) lists users through boto3's paginator and is refused with SignatureDoesNotMatch when
// its secret is wrong. Skips, saying so, only when /usr/bin/python3 or boto3 is absent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boto3_support.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "support/temp_dir.hpp"

namespace aar::fakes {
namespace {

using boto3::kPython;
using boto3::kSkipExit;
using boto3::RunResult;
using boto3::runScript;
constexpr char kAkid[] = "AKIABOTO3FAKEIAM0001";
constexpr char kSecret[] = "boto3/SecretKey+ForTheFakeIam0000000000";
constexpr auto kTimeout = std::chrono::seconds(60);

class IamBoto3Test : public testing::Test {
 protected:
  void SetUp() override {
    if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is absent: cannot run the boto3 check";
    ASSERT_GT(fake_.start(), 0);
    fake_.allowCredentials(kAkid, kSecret);
  }

  // Runs boto3_list_users.py; skips the test when boto3 is not installed.
  nlohmann::json listUsers(const std::string& secret, const std::string& token = "",
                           const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{kPython, std::string(AAR_SOURCE_DIR) + "/tests/aws/boto3_list_users.py",
                                  "--endpoint", fake_.url()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto env = boto3::cleanEnv(home_.path(), kAkid, secret, token);
    RunResult r = runScript(args, env, kTimeout);
    if (r.exit_code == kSkipExit) {
      skipped_ = true;
      return nullptr;
    }
    EXPECT_EQ(r.exit_code, 0) << r.out;
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << r.out;
    return doc;
  }

  FakeIam fake_;
  test::TempDir home_{"aar-boto3"};
  bool skipped_ = false;
};

#define SKIP_IF_NO_BOTO3() \
  if (skipped_)            \
  GTEST_SKIP() << "python3-boto3 is not installed for " << kPython << " (scripts/setup.sh installs it)"

TEST_F(IamBoto3Test, Boto3ListsEveryUserAcrossPages) {
  fake_.addUsers(250, "boto-", "/team/");
  fake_.addUser("outsider", "/other/");
  auto doc = listUsers(kSecret, "", {"--page-size", "100"});
  SKIP_IF_NO_BOTO3();
  ASSERT_TRUE(doc.value("ok", false)) << doc.dump();
  ASSERT_EQ(doc["users"].size(), 251u);
  EXPECT_EQ(doc["pages"], 3);
  EXPECT_EQ(doc["users"][0]["UserName"], "boto-00000");
  EXPECT_EQ(doc["users"][0]["Arn"], fake_.userArn("boto-00000", "/team/"));
  EXPECT_EQ(doc["users"][0]["Path"], "/team/");
  EXPECT_EQ(doc["users"][250]["Arn"], "arn:aws:iam::123456789012:user/other/outsider");
  EXPECT_EQ(doc["users"][0]["CreateDate"], "2019-06-01T12:00:00+00:00");

  auto log = fake_.requests();
  ASSERT_EQ(log.size(), 3u);
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].action, "ListUsers");
    EXPECT_EQ(log[i].status, 200);
    EXPECT_EQ(log[i].max_items, 100);
    EXPECT_EQ(log[i].page, static_cast<int>(i) + 1);
    EXPECT_EQ(log[i].access_key_id, kAkid);
  }
}

TEST_F(IamBoto3Test, Boto3FollowsMarkersWhenPagesComeBackShort) {
  fake_.addUsers(120, "short-");
  fake_.setPageCap(50);
  auto doc = listUsers(kSecret);
  SKIP_IF_NO_BOTO3();
  ASSERT_TRUE(doc.value("ok", false)) << doc.dump();
  EXPECT_EQ(doc["users"].size(), 120u);
  EXPECT_EQ(doc["pages"], 3);
}

TEST_F(IamBoto3Test, Boto3SendsPathPrefix) {
  fake_.addUser("a", "/eng/");
  fake_.addUser("b", "/ops/");
  auto doc = listUsers(kSecret, "", {"--path-prefix", "/eng/"});
  SKIP_IF_NO_BOTO3();
  ASSERT_TRUE(doc.value("ok", false)) << doc.dump();
  ASSERT_EQ(doc["users"].size(), 1u);
  EXPECT_EQ(doc["users"][0]["UserName"], "a");
  EXPECT_EQ(fake_.requests().at(0).path_prefix, "/eng/");
}

TEST_F(IamBoto3Test, Boto3GetsSignatureDoesNotMatchWithAWrongSecret) {
  fake_.addUsers(3, "x");
  auto doc = listUsers(std::string(kSecret) + "-wrong");
  SKIP_IF_NO_BOTO3();
  ASSERT_FALSE(doc.value("ok", true)) << doc.dump();
  EXPECT_EQ(doc["code"], "SignatureDoesNotMatch");
  EXPECT_EQ(doc["status"], 403);
  EXPECT_FALSE(doc["request_id"].get<std::string>().empty());
  ASSERT_EQ(fake_.requests().size(), 1u);
  EXPECT_EQ(fake_.requests()[0].error_code, "SignatureDoesNotMatch");
}

TEST_F(IamBoto3Test, Boto3SignsItsSessionToken) {
  const std::string token = "FwoGZXIvYXdzEBoaDFAKE+session/token==";
  fake_.allowCredentials(kAkid, kSecret, token);
  fake_.addUsers(2, "t");
  auto doc = listUsers(kSecret, token);
  SKIP_IF_NO_BOTO3();
  ASSERT_TRUE(doc.value("ok", false)) << doc.dump();
  EXPECT_EQ(doc["users"].size(), 2u);

  auto refused = listUsers(kSecret, token + "x");
  ASSERT_FALSE(refused.value("ok", true)) << refused.dump();
  EXPECT_EQ(refused["code"], "InvalidClientTokenId");
}

TEST_F(IamBoto3Test, Boto3RetriesTheFakesThrottlingAsItsStandardModeDoes) {
  fake_.addUsers(2, "t");
  fake_.throttleNext(1);
  auto doc = listUsers(kSecret);  // the script allows boto3 one retry
  SKIP_IF_NO_BOTO3();
  ASSERT_TRUE(doc.value("ok", false)) << doc.dump();
  auto log = fake_.requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].status, 400);
  EXPECT_EQ(log[0].error_code, "Throttling");
  EXPECT_EQ(log[1].status, 200);

  fake_.clearLog();
  fake_.throttleNext(2);
  auto refused = listUsers(kSecret);
  ASSERT_FALSE(refused.value("ok", true)) << refused.dump();
  EXPECT_EQ(refused["code"], "Throttling");
  EXPECT_EQ(refused["status"], 400);
}

}  // namespace
}  // namespace aar::fakes
