// Tests of the aws-iam-authenticator model itself (tests/core/authenticator_model.hpp), so that the oracle of
// the reconcile property test, the fuzz target and the end-to-end tests is right before it judges anything.
#include "core/authenticator_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace aar::testmodel {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

AuthenticatorView users(const std::string& map_users) { return readAwsAuth({{"mapUsers", map_users}}); }

// aws-iam-authenticator's own fixture pkg/mapper/configmap/yaml/aws-auth-crazy-case-keys.yaml (its data).
TEST(AuthenticatorModelTest, ReadsTheCrazyCaseKeysFixture) {
  const AuthenticatorView v = readAwsAuth({
      {"mapRoles",
       R"(- rOlEaRn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6
  UsErNaMe: system:node:{{EC2PrivateDNSName}}
  gRoUpS:
    - system:bootstrappers
    - system:nodes
)"},
      {"mapUsers", R"(- uSeRaRn: arn:aws:iam::555555555555:user/admin
  UsErNaMe: admin
  gRoUpS:
    - system:masters
)"},
      {"mapAccounts", "- 555555555555\n"},
  });
  EXPECT_TRUE(v.parsed());
  ASSERT_THAT(v.users, SizeIs(1));
  EXPECT_EQ(v.users.at("arn:aws:iam::555555555555:user/admin"),
            (Mapping{"arn:aws:iam::555555555555:user/admin", "admin", {"system:masters"}}));
  ASSERT_THAT(v.roles, SizeIs(1));
  const Mapping& role =
      v.roles.at("arn:aws:iam::555555555555:role/devel-worker-nodes-nodeinstancerole-74rf4ubdukl6");
  EXPECT_EQ(role.username, "system:node:{{EC2PrivateDNSName}}");
  EXPECT_THAT(role.groups, ElementsAre("system:bootstrappers", "system:nodes"));
}

TEST(AuthenticatorModelTest, KeysByTheLowerCasedArnAndTheLastEntryWins) {
  const AuthenticatorView v = users(R"(- UserArn: arn:aws:iam::1234567890:user/Dave
  username: dave-view
  groups: [view]
- userarn: arn:aws:iam::1234567890:user/dave
  username: dave-admin
  groups: [system:masters]
- userarn: arn:aws:iam::1234567890:user/erin
  username: erin
)");
  EXPECT_TRUE(v.parsed());
  ASSERT_THAT(v.users, SizeIs(2));
  EXPECT_EQ(v.users.at("arn:aws:iam::1234567890:user/dave").username, "dave-admin");
  EXPECT_THAT(v.users.at("arn:aws:iam::1234567890:user/erin").groups, IsEmpty());
}

TEST(AuthenticatorModelTest, KeysRolesByTheLowerCasedRolearnAndTheLastEntryWins) {
  const AuthenticatorView v = readAwsAuth({{"mapRoles", R"(- RoleArn: arn:aws:iam::1:role/Node
  username: first
- rolearn: arn:aws:iam::1:role/node
  username: second
  groups: [system:nodes]
- userarn: arn:aws:iam::1:role/ignored
  username: not-a-role-field
)"}});
  EXPECT_TRUE(v.parsed());
  EXPECT_THAT(v.users, IsEmpty());
  ASSERT_THAT(v.roles, SizeIs(2));  // "" (no rolearn) and the node role
  EXPECT_EQ(v.roles.at("arn:aws:iam::1:role/node"),
            (Mapping{"arn:aws:iam::1:role/node", "second", {"system:nodes"}}));
  EXPECT_EQ(v.roles.at("").username, "not-a-role-field");
}

TEST(AuthenticatorModelTest, OfTwoSpellingsInOneEntryTheGreatestInByteOrderWins) {
  // json.Marshal sorts the keys: "USERNAME" < "UserName" < "username"; each sets the field in turn.
  const AuthenticatorView v = users(R"(- username: exact
  UserName: mixed
  USERNAME: upper
  userarn: arn:aws:iam::1:user/a
- USERNAME: upper
  UserName: mixed
  userarn: arn:aws:iam::1:user/b
)");
  EXPECT_EQ(v.users.at("arn:aws:iam::1:user/a").username, "exact");
  EXPECT_EQ(v.users.at("arn:aws:iam::1:user/b").username, "mixed");
}

TEST(AuthenticatorModelTest, NullLeavesAStringAndEmptiesGroups) {
  const AuthenticatorView v = users(R"(- userarn: arn:aws:iam::1:user/a
  Username: kept
  username: ~
  Groups: [g]
  groups: null
)");
  EXPECT_TRUE(v.parsed());
  EXPECT_EQ(v.users.at("arn:aws:iam::1:user/a"), (Mapping{"arn:aws:iam::1:user/a", "kept", {}}));
}

TEST(AuthenticatorModelTest, FoldsTheLongSAsEncodingJsonDoes) {
  EXPECT_TRUE(jsonFieldMatches("u\u017ferArn", "userarn"));
  EXPECT_TRUE(jsonFieldMatches("GROUPS", "groups"));
  EXPECT_FALSE(jsonFieldMatches("user_arn", "userarn"));
  EXPECT_FALSE(jsonFieldMatches("userarns", "userarn"));
  const AuthenticatorView v = users("- u\u017ferarn: arn:aws:iam::1:user/a\n  username: a\n");
  EXPECT_THAT(v.users, SizeIs(1));
  EXPECT_TRUE(v.users.count("arn:aws:iam::1:user/a"));
}

TEST(AuthenticatorModelTest, AWrongTypeIsAnErrorButTheRestIsKept) {
  // encoding/json records an UnmarshalTypeError and goes on; startLoadConfigMap saves what decoded.
  const AuthenticatorView v = users(R"(- userarn: arn:aws:iam::1:user/a
  username: 123
  groups: [ok, yes]
- userarn: arn:aws:iam::1:user/b
  username: b
)");
  EXPECT_FALSE(v.parsed());
  EXPECT_EQ(v.users.at("arn:aws:iam::1:user/a"), (Mapping{"arn:aws:iam::1:user/a", "", {"ok", ""}}));
  EXPECT_EQ(v.users.at("arn:aws:iam::1:user/b").username, "b");
}

TEST(AuthenticatorModelTest, QuotedScalarsAreStrings) {
  const AuthenticatorView v =
      users("- userarn: arn:aws:iam::1:user/a\n  username: \"123\"\n  groups: ['yes']\n");
  EXPECT_TRUE(v.parsed());
  EXPECT_EQ(v.users.at("arn:aws:iam::1:user/a"), (Mapping{"arn:aws:iam::1:user/a", "123", {"yes"}}));
}

TEST(AuthenticatorModelTest, BrokenYamlOrAComplexKeyLosesTheWholeValue) {
  AuthenticatorView v = users("- userarn: arn:aws:iam::1:user/a\n  username: [unclosed\n");
  EXPECT_FALSE(v.parsed());
  EXPECT_THAT(v.users, IsEmpty());
  v = users("- userarn: arn:aws:iam::1:user/a\n  username: a\n- ? [x]\n  : y\n");
  EXPECT_FALSE(v.parsed());
  EXPECT_THAT(v.users, IsEmpty());
  v = users("userarn: arn:aws:iam::1:user/a\n");
  EXPECT_FALSE(v.parsed());
  EXPECT_THAT(v.users, IsEmpty());
}

TEST(AuthenticatorModelTest, SkipsBlankValuesAndKeysUnknownFields) {
  EXPECT_TRUE(users("\"\"").parsed());
  EXPECT_TRUE(users("``").parsed());
  EXPECT_THAT(users("  \n").users, IsEmpty());
  const AuthenticatorView v =
      users("- userarn: arn:aws:iam::1:user/a\n  username: a\n  extra: {x: 1}\n- ~\n");
  EXPECT_TRUE(v.parsed());
  EXPECT_THAT(v.users, SizeIs(2));  // a null entry is the zero mapping, keyed by ""
  EXPECT_TRUE(v.users.count(""));
}

}  // namespace
}  // namespace aar::testmodel
