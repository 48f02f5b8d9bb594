#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/access_entries.hpp"

namespace aar::core {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kClusterAdmin[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
constexpr char kAdmin[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy";

Rule rule(std::string username, std::vector<std::string> groups = {},
          std::vector<AccessPolicy> policies = {}) {
  Rule r;
  r.arn_regex = "^arn:aws:iam::1:user/x$";
  r.username = std::move(username);
  r.groups = std::move(groups);
  r.access_policies = std::move(policies);
  r.line = 4;
  return r;
}

AccessPolicy clusterScoped(const std::string& arn) {
  return AccessPolicy{arn, {AccessScope::Type::kCluster, {}}};
}

std::vector<AccessEntryRuleError> check(const Rule& r, bool allow_admin = false) {
  AccessEntryOptions options;
  options.allow_cluster_admin_policy = allow_admin;
  return validateAccessEntryRule(PrincipalKind::kUser, 2, r, options);
}

TEST(AccessEntryValidationTest, SystemGroupIsRefusedWithTheAccessPolicyToUseInstead) {
  const auto errors = check(rule("alice", {"developers", "system:masters"}));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_EQ(errors[0].rule_index, 2u);
  EXPECT_THAT(errors[0].message, HasSubstr("mapUsers rule 2 (line 4): groups: \"system:masters\""));
  EXPECT_THAT(errors[0].message, HasSubstr("EKS rejects"));
  EXPECT_THAT(errors[0].message, HasSubstr("AmazonEKSClusterAdminPolicy"));
  EXPECT_THAT(errors[0].message, HasSubstr("accessScope: {type: cluster}"));
}

TEST(AccessEntryValidationTest, ReservedUsernamePrefixesAreRefusedInAnyCase) {
  for (const char* name : {"system:alice", "eks:x", "aws:x", "amazon:x", "iam:x", "AWS:x", "System:x"}) {
    const auto errors = check(rule(name));
    ASSERT_THAT(errors, SizeIs(1)) << name;
    EXPECT_THAT(errors[0].message, HasSubstr("prefix EKS reserves")) << name;
  }
  for (const char* name : {"alice", "awsuser", "eks-admin", "sso:{{SessionName}}", "team:${name}"}) {
    EXPECT_THAT(check(rule(name)), IsEmpty()) << name;
  }
}

TEST(AccessEntryValidationTest, ReservedPrefixInTheLiteralStartOfATemplateIsRefused) {
  EXPECT_THAT(check(rule("eks:${name}")), SizeIs(1));
  EXPECT_THAT(check(rule("system:$$${1}")), SizeIs(1));
  // What follows a reference depends on the principal: checked per principal by the plan instead.
  EXPECT_THAT(check(rule("${team}:x")), IsEmpty());
  EXPECT_FALSE(hasReservedUsernamePrefix("$$eks:x"));
}

TEST(AccessEntryValidationTest, ClusterAdminPoliciesNeedTheFlag) {
  const auto errors = check(rule("a", {}, {clusterScoped(kClusterAdmin)}));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_THAT(errors[0].message, HasSubstr("--allow-cluster-admin-policy"));
  EXPECT_THAT(check(rule("a", {}, {clusterScoped(kClusterAdmin)}), /*allow_admin=*/true), IsEmpty());

  EXPECT_THAT(check(rule("a", {}, {clusterScoped(kAdmin)})), SizeIs(1));
  EXPECT_THAT(check(rule("a", {}, {clusterScoped(kAdmin)}), true), IsEmpty());
  // AmazonEKSAdminPolicy on namespaces is not cluster-wide admin.
  EXPECT_THAT(check(rule("a", {}, {AccessPolicy{kAdmin, {AccessScope::Type::kNamespace, {"dev"}}}})),
              IsEmpty());
  // Any partition; no spelling trick gets past it.
  EXPECT_THAT(
      check(rule("a", {},
                 {clusterScoped("arn:aws-cn:eks::aws:cluster-access-policy/amazoneksclusteradminpolicy")})),
      SizeIs(1));
}

TEST(AccessEntryValidationTest, SamePolicyTwiceInOneRuleIsRefused) {
  const AccessPolicy view{"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                          {AccessScope::Type::kNamespace, {"a"}}};
  const auto errors = check(rule("a", {}, {view, view}));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_THAT(errors[0].message, HasSubstr("appears twice"));
}

TEST(AccessEntryValidationTest, ValidatesUsersThenRolesAndNamesTheKey) {
  RulesConfig config;
  auto users = RuleSet::parse("- {arnRegex: a, username: ok}\n- {arnRegex: b, username: 'eks:bad'}\n");
  ASSERT_TRUE(users.ok()) << users.error().message;
  RuleSet::ParseOptions roles_options;
  roles_options.kind = RuleSet::Kind::kRoles;
  auto roles = RuleSet::parse("- {arnRegex: r, username: r, groups: ['system:masters']}\n", roles_options);
  ASSERT_TRUE(roles.ok()) << roles.error().message;
  config.users = *users;
  config.roles = *roles;
  const auto errors = validateAccessEntryRules(config, AccessEntryOptions{});
  ASSERT_THAT(errors, SizeIs(2));
  EXPECT_EQ(errors[0].principal, PrincipalKind::kUser);
  EXPECT_THAT(errors[0].message, HasSubstr("mapUsers rule 1 (line 2)"));
  EXPECT_EQ(errors[1].principal, PrincipalKind::kRole);
  EXPECT_THAT(errors[1].message, HasSubstr("mapRoles rule 0"));
}

}  // namespace
}  // namespace aar::core
