// IamClient's rules-v2 calls against FakeIam over real HTTP on 127.0.0.1: ListRoles with paths and ids,
// GetGroup with paging, NoSuchEntity, a failed page; and listAccount (the per-account listing) on top.
#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "aws/account_listing.hpp"
#include "aws/credentials_test_support.hpp"
#include "aws/iam_client.hpp"
#include "fakes/aws/fake_iam.hpp"

namespace aar::aws {
namespace {

using testing::FixedCredentials;

using fakes::FakeIam;

constexpr char kAkid[] = "AKIAGROUPSROLES00001";
constexpr char kSecret[] = "groups/roles+secret/cccccccccccccccccccc";

class IamGroupsRolesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(fake_.start(), 0);
    fake_.allowCredentials(kAkid, kSecret);
  }

  IamClient client(int max_items = 1000) {
    IamClientOptions o;
    o.endpoint = Endpoint{fake_.url(), "us-east-1", "aws"};
    o.request_timeout = std::chrono::milliseconds(3000);
    o.max_items = max_items;
    o.clock = testing::noWaitClock();
    o.random = [] { return 0.0; };
    o.on_request = [this](std::string_view op, std::string_view code) {
      std::lock_guard<std::mutex> lock(mu_);
      ++hook_[std::string(op) + " " + std::string(code)];
    };
    return IamClient(http_, creds_, o);
  }

  std::vector<std::string> actions() {
    std::vector<std::string> out;
    for (const auto& r : fake_.requests())
      out.push_back(r.action + (r.group_name.empty() ? "" : ":" + r.group_name));
    return out;
  }

  FakeIam fake_;
  net::HttpClient http_;
  FixedCredentials creds_{kAkid, kSecret};
  std::mutex mu_;
  std::map<std::string, int> hook_;
};

TEST_F(IamGroupsRolesTest, ListRolesKeepsPathsAndIdsOverEveryPage) {
  const std::string sso = "/aws-reserved/sso.amazonaws.com/eu-west-1/";
  fake_.addRole("AWSReservedSSO_Admin_0123456789abcdef", sso);
  fake_.addRole("AWSServiceRoleForEKS", "/aws-service-role/eks.amazonaws.com/");
  for (int i = 0; i < 5; ++i) fake_.addRole("plain-" + std::to_string(i));
  auto iam = client(2);
  auto roles = iam.listRoles();
  ASSERT_TRUE(roles.ok()) << roles.error().toString();
  ASSERT_EQ(roles->size(), 7u);
  EXPECT_EQ((*roles)[0].arn,
            "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
            "AWSReservedSSO_Admin_0123456789abcdef");
  EXPECT_EQ((*roles)[0].path, sso);
  EXPECT_EQ((*roles)[0].name, "AWSReservedSSO_Admin_0123456789abcdef");
  EXPECT_EQ((*roles)[0].id.substr(0, 4), "AROA");
  EXPECT_EQ((*roles)[1].path, "/aws-service-role/eks.amazonaws.com/");
  const auto log = fake_.requests();
  ASSERT_EQ(log.size(), 4u);  // 7 roles at 2 per page
  for (const auto& r : log) {
    EXPECT_EQ(r.action, "ListRoles");
    EXPECT_EQ(r.max_items, 2);
  }
  EXPECT_EQ(hook_["ListRoles 200"], 4);
}

TEST_F(IamGroupsRolesTest, GetGroupListsEveryMemberPage) {
  fake_.addUsers(7, "member-");
  fake_.addUser("outsider");
  fake_.addGroup("Admins");
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(fake_.addGroupMember("Admins", "member-0000" + std::to_string(i)));
  fake_.setPageCap(2);  // IAM may return fewer than MaxItems while IsTruncated stays true
  auto iam = client(3);
  auto members = iam.listGroupMembers("Admins");
  ASSERT_TRUE(members.ok()) << members.error().toString();
  ASSERT_EQ(members->size(), 7u);
  EXPECT_EQ((*members)[0].arn, fake_.userArn("member-00000"));
  EXPECT_EQ((*members)[6].arn, fake_.userArn("member-00006"));
  EXPECT_EQ((*members)[0].id.substr(0, 4), "AIDA");
  for (const auto& m : *members) EXPECT_NE(m.name, "outsider");
  const auto log = fake_.requests();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].action, "GetGroup");
  EXPECT_EQ(log[0].group_name, "Admins");
  EXPECT_EQ(log[0].max_items, 3);
  EXPECT_TRUE(log[0].marker.empty());
  EXPECT_FALSE(log[1].marker.empty());
  EXPECT_EQ(hook_["GetGroup 200"], 4);
}

TEST_F(IamGroupsRolesTest, AnEmptyGroupHasNoMembers) {
  fake_.addGroup("Nobody");
  auto iam = client();
  auto members = iam.listGroupMembers("Nobody");
  ASSERT_TRUE(members.ok()) << members.error().toString();
  EXPECT_TRUE(members->empty());
}

TEST_F(IamGroupsRolesTest, AMissingGroupIsNotFoundNamingTheGroup) {
  auto iam = client();
  AwsError details;
  auto members = iam.listGroupMembers("Ghosts", &details);
  ASSERT_FALSE(members.ok());
  EXPECT_EQ(members.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(members.error().message.find("\"Ghosts\""), std::string::npos) << members.error().message;
  EXPECT_EQ(details.code, "NoSuchEntity");
  EXPECT_EQ(details.http_status, 404);
  EXPECT_EQ(fake_.requests().size(), 1u);  // never retried
  EXPECT_EQ(hook_["GetGroup 404"], 1);
}

TEST_F(IamGroupsRolesTest, AFailedGroupPageFailsTheWholeListing) {
  fake_.addUsers(4, "m-");
  fake_.addGroup("Ops");
  for (int i = 0; i < 4; ++i) fake_.addGroupMember("Ops", "m-0000" + std::to_string(i));
  fake_.failPage(2, 500, -1);
  auto iam = client(2);
  auto members = iam.listGroupMembers("Ops");
  ASSERT_FALSE(members.ok());
  EXPECT_EQ(members.error().kind, ErrorKind::kServer);
  EXPECT_NE(members.error().message.find("GetGroup"), std::string::npos);
  EXPECT_NE(members.error().message.find("page 2"), std::string::npos) << members.error().message;
  EXPECT_EQ(fake_.requests().size(), 4u);  // page 1, then page 2 three times (retried)
}

TEST_F(IamGroupsRolesTest, ListAccountAsksOnlyForWhatTheRulesNeed) {
  fake_.addUser("alice");
  fake_.addRole("r1", "/x/");
  auto iam = client();
  auto listing = listAccount(iam, AccountQuery{});
  ASSERT_TRUE(listing.ok()) << listing.error().toString();
  EXPECT_EQ(listing->users.size(), 1u);
  EXPECT_TRUE(listing->roles.empty());
  EXPECT_TRUE(listing->groups.empty());
  EXPECT_EQ(actions(), (std::vector<std::string>{"ListUsers"}));
}

TEST_F(IamGroupsRolesTest, ListAccountListsRolesAndEachGroupOnce) {
  fake_.addUser("alice");
  fake_.addUser("bob");
  fake_.addRole("r1", "/x/");
  fake_.addGroup("Admins");
  fake_.addGroup("Devs");
  fake_.addGroupMember("Admins", "alice");
  fake_.addGroupMember("Devs", "alice");
  fake_.addGroupMember("Devs", "bob");
  auto iam = client();
  auto listing = listAccount(iam, AccountQuery{true, {"Devs", "Admins", "Devs", "Missing"}});
  ASSERT_TRUE(listing.ok()) << listing.error().toString();
  EXPECT_EQ(actions(), (std::vector<std::string>{"ListUsers", "ListRoles", "GetGroup:Devs", "GetGroup:Admins",
                                                 "GetGroup:Missing"}));
  ASSERT_EQ(listing->roles.size(), 1u);
  EXPECT_EQ(listing->roles[0].arn, "arn:aws:iam::123456789012:role/x/r1");
  ASSERT_EQ(listing->groups.size(), 3u);
  EXPECT_EQ(listing->groups[0].name, "Devs");
  EXPECT_EQ(listing->groups[0].member_arns,
            (std::vector<std::string>{fake_.userArn("alice"), fake_.userArn("bob")}));
  EXPECT_FALSE(listing->groups[0].missing);
  EXPECT_EQ(listing->groups[1].member_arns, (std::vector<std::string>{fake_.userArn("alice")}));
  EXPECT_TRUE(listing->groups[2].missing);
  EXPECT_TRUE(listing->groups[2].member_arns.empty());
  EXPECT_NE(listing->groups[2].missing_reason.find("Missing"), std::string::npos);

  auto users = userPrincipals(*listing);
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].arn, fake_.userArn("alice"));
  EXPECT_EQ(users[0].id.substr(0, 4), "AIDA");
  EXPECT_EQ(users[0].iam_groups, (std::vector<std::string>{"Devs", "Admins"}));
  EXPECT_EQ(users[1].iam_groups, (std::vector<std::string>{"Devs"}));
  auto roles = rolePrincipals(*listing);
  ASSERT_EQ(roles.size(), 1u);
  EXPECT_EQ(roles[0].arn, "arn:aws:iam::123456789012:role/x/r1");
  EXPECT_TRUE(roles[0].iam_groups.empty());
}

TEST_F(IamGroupsRolesTest, ListAccountFailsAsAWholeWhenAnyCallFails) {
  fake_.addUser("alice");
  fake_.addGroup("Admins");
  fake_.addGroupMember("Admins", "alice");
  auto iam = client();
  {
    fake_.throttleNext(10, "Throttling");  // every attempt of the first call
    auto listing = listAccount(iam, AccountQuery{false, {"Admins"}});
    ASSERT_FALSE(listing.ok());
    EXPECT_EQ(listing.error().kind, ErrorKind::kTooManyRequests);
    EXPECT_NE(listing.error().message.find("ListUsers"), std::string::npos);
  }
  fake_.clearFaults();
  fake_.clearLog();
  {
    fake_.failAction("ListRoles", 403, "AccessDenied");  // roles asked, and not allowed
    auto listing = listAccount(iam, AccountQuery{true, {"Admins"}});
    ASSERT_FALSE(listing.ok());
    EXPECT_EQ(listing.error().kind, ErrorKind::kForbidden);
    EXPECT_EQ(actions(), (std::vector<std::string>{"ListUsers", "ListRoles"}));  // no GetGroup after it
  }
}

TEST_F(IamGroupsRolesTest, ListAccountFailsWhenAGroupFailsOtherThanMissing) {
  fake_.addUser("alice");
  fake_.addGroup("Admins");
  fake_.addGroupMember("Admins", "alice");
  fake_.failAction("GetGroup", 500, "ServiceFailure");
  auto iam = client();
  auto listing = listAccount(iam, AccountQuery{false, {"Admins"}});
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.error().kind, ErrorKind::kServer);
  EXPECT_NE(listing.error().message.find("GetGroup"), std::string::npos) << listing.error().message;
  EXPECT_EQ(actions(),
            (std::vector<std::string>{"ListUsers", "GetGroup:Admins", "GetGroup:Admins", "GetGroup:Admins"}));

  // AccessDenied on GetGroup is a failed listing too, not a missing group.
  fake_.failAction("GetGroup", 403, "AccessDenied");
  listing = listAccount(iam, AccountQuery{false, {"Admins"}});
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.error().kind, ErrorKind::kForbidden);
}

}  // namespace
}  // namespace aar::aws
