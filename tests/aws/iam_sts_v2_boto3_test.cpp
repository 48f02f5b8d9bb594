// Proves the rules-v2 parts of FakeIam and FakeSts faithful with an official AWS client (Debian's
// python3-boto3, see boto3_support.hpp): the list_roles paginator with role paths, the get_group paginator,
// NoSuchEntity, and sts assume_role whose credentials then list the OTHER account's users. Skips, saying so,
// only when /usr/bin/python3 or boto3 is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boto3_support.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "fakes/aws/fake_sts.hpp"
#include "support/temp_dir.hpp"

namespace aar::fakes {
namespace {

constexpr char kAkid[] = "AKIABOTO3RULESV20001";
constexpr char kSecret[] = "boto3/SecretKey+ForRulesV2000000000000";
constexpr char kOther[] = "222233334444";
constexpr char kRole[] = "arn:aws:iam::222233334444:role/aws-auth-refresher-reader";

class RulesV2Boto3Test : public testing::Test {
 protected:
  RulesV2Boto3Test()
      : sts_(FakeSts::Options{"", "", "123456789012", std::chrono::seconds(3600), &base::systemClock(),
                              &iam_}) {}

  void SetUp() override {
    if (access(boto3::kPython, X_OK) != 0) GTEST_SKIP() << boto3::kPython << " is absent";
    ASSERT_GT(iam_.start(), 0);
    ASSERT_GT(sts_.start(), 0);
    iam_.allowCredentials(kAkid, kSecret);
  }

  nlohmann::json run(const std::vector<std::string>& extra) {
    std::vector<std::string> args{boto3::kPython,
                                  std::string(AAR_SOURCE_DIR) + "/tests/aws/boto3_rules_v2.py"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {"--endpoint", iam_.url()});
    auto r = boto3::runScript(args, boto3::cleanEnv(home_.path(), kAkid, kSecret));
    if (r.exit_code == boto3::kSkipExit) {
      skipped_ = true;
      return nullptr;
    }
    EXPECT_EQ(r.exit_code, 0) << r.out;
    auto doc = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << r.out;
    return doc;
  }

  FakeIam iam_;
  FakeSts sts_;
  test::TempDir home_{"aar-boto3-v2"};
  bool skipped_ = false;
};

#define SKIP_IF_NO_BOTO3() \
  if (skipped_) GTEST_SKIP() << "python3-boto3 is not installed for " << boto3::kPython

TEST_F(RulesV2Boto3Test, ListRolesPaginatorSeesPathsAndIds) {
  iam_.addRole("AWSReservedSSO_Admin_0123456789abcdef", "/aws-reserved/sso.amazonaws.com/eu-west-1/");
  iam_.addRole("eks-node");
  iam_.addRole("AWSServiceRoleForEKS", "/aws-service-role/eks.amazonaws.com/");
  auto doc = run({"roles", "--page-size", "2"});
  SKIP_IF_NO_BOTO3();
  ASSERT_TRUE(doc.value("ok", false)) << doc.dump();
  EXPECT_EQ(doc["pages"], 2);
  ASSERT_EQ(doc["roles"].size(), 3u);
  EXPECT_EQ(doc["roles"][0]["Arn"],
            "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
            "AWSReservedSSO_Admin_0123456789abcdef");
  EXPECT_EQ(doc["roles"][0]["Path"], "/aws-reserved/sso.amazonaws.com/eu-west-1/");
  EXPECT_EQ(doc["roles"][0]["RoleId"].get<std::string>().substr(0, 4), "AROA");
  EXPECT_EQ(doc["roles"][1]["Path"], "/aws-service-role/eks.amazonaws.com/");
  EXPECT_EQ(doc["roles"][2]["Arn"], "arn:aws:iam::123456789012:role/eks-node");
}

TEST_F(RulesV2Boto3Test, GetGroupPaginatorListsEveryMember) {
  iam_.addUsers(5, "m-");
  iam_.addGroup("Admins", "/ops/");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(iam_.addGroupMember("Admins", "m-0000" + std::to_string(i)));
  auto doc = run({"group", "--name", "Admins", "--page-size", "2"});
  SKIP_IF_NO_BOTO3();
  ASSERT_TRUE(doc.value("ok", false)) << doc.dump();
  EXPECT_EQ(doc["pages"], 3);
  EXPECT_EQ(doc["group"]["Arn"], "arn:aws:iam::123456789012:group/ops/Admins");
  ASSERT_EQ(doc["users"].size(), 5u);
  EXPECT_EQ(doc["users"][4]["Arn"], iam_.userArn("m-00004"));
  for (const auto& r : iam_.requests()) EXPECT_EQ(r.group_name, "Admins");
}

TEST_F(RulesV2Boto3Test, GetGroupOfAMissingGroupIsNoSuchEntity) {
  auto doc = run({"group", "--name", "Ghosts"});
  SKIP_IF_NO_BOTO3();
  ASSERT_FALSE(doc.value("ok", true)) << doc.dump();
  EXPECT_EQ(doc["code"], "NoSuchEntity");
  EXPECT_EQ(doc["status"], 404);
}

TEST_F(RulesV2Boto3Test, AssumeRoleCredentialsSeeTheOtherAccount) {
  iam_.addUser("local");
  iam_.addUser("remote-a", "/", kOther);
  iam_.addUser("remote-b", "/team/", kOther);
  sts_.requireExternalId(kRole, "ext-7");
  auto doc = run({"assume", "--sts-endpoint", sts_.url(), "--role-arn", kRole, "--external-id", "ext-7"});
  SKIP_IF_NO_BOTO3();
  ASSERT_TRUE(doc.value("ok", false)) << doc.dump();
  EXPECT_EQ(doc["assumed_role_arn"],
            "arn:aws:sts::222233334444:assumed-role/aws-auth-refresher-reader/aws-auth-refresher");
  EXPECT_EQ(doc["users"], (nlohmann::json{"arn:aws:iam::222233334444:user/remote-a",
                                          "arn:aws:iam::222233334444:user/team/remote-b"}));
  const auto log = sts_.requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].caller_access_key_id, kAkid);
  EXPECT_EQ(log[0].external_id, "ext-7");
  EXPECT_EQ(log[0].duration_seconds, 3600);
}

TEST_F(RulesV2Boto3Test, AssumeRoleIsDeniedWhileSwitchedOffAndWithAWrongExternalId) {
  sts_.denyAssumeRole(kRole);
  auto denied = run({"assume", "--sts-endpoint", sts_.url(), "--role-arn", kRole});
  SKIP_IF_NO_BOTO3();
  ASSERT_FALSE(denied.value("ok", true)) << denied.dump();
  EXPECT_EQ(denied["code"], "AccessDenied");
  EXPECT_EQ(denied["status"], 403);

  sts_.denyAssumeRole(kRole, false);
  sts_.requireExternalId(kRole, "right");
  auto wrong = run({"assume", "--sts-endpoint", sts_.url(), "--role-arn", kRole, "--external-id", "wrong"});
  ASSERT_FALSE(wrong.value("ok", true)) << wrong.dump();
  EXPECT_EQ(wrong["code"], "AccessDenied");
  auto right = run({"assume", "--sts-endpoint", sts_.url(), "--role-arn", kRole, "--external-id", "right"});
  ASSERT_TRUE(right.value("ok", false)) << right.dump();
}

}  // namespace
}  // namespace aar::fakes
