#include "core/access_entries.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace aar::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Op = AccessEntryOperation;

constexpr char kView[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
constexpr char kEdit[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";

RuleSet parseRules(const char* yaml, RuleSet::Kind kind = RuleSet::Kind::kUsers) {
  RuleSet::ParseOptions options;
  options.kind = kind;
  auto r = RuleSet::parse(yaml, options);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : RuleSet();
}

RulesConfig usersRules(const char* yaml) {
  RulesConfig c;
  c.users = parseRules(yaml);
  return c;
}

Principal user(const std::string& name, const std::string& id, const std::string& account = "111122223333") {
  return Principal{"arn:aws:iam::" + account + ":user/" + name, id, {}};
}

// An entry of ours, as a previous cycle created it.
ExistingAccessEntry ours(const std::string& arn, const std::string& id, const std::string& username,
                         std::vector<std::string> groups, std::vector<AccessPolicy> policies = {}) {
  ExistingAccessEntry e;
  e.principal_arn = arn;
  e.username = username;
  e.kubernetes_groups = std::move(groups);
  e.tags = {{kAccessEntryOwnerTag, kDefaultAccessEntryOwnerId}, {kAccessEntryPrincipalIdTag, id}};
  e.policies = std::move(policies);
  return e;
}

AccessPolicy clusterScoped(const std::string& arn) {
  return AccessPolicy{arn, {AccessScope::Type::kCluster, {}}};
}
AccessPolicy namespaced(const std::string& arn, std::vector<std::string> namespaces) {
  return AccessPolicy{arn, {AccessScope::Type::kNamespace, std::move(namespaces)}};
}

DesiredAccessEntry desired(const std::string& arn, const std::string& id, const std::string& username,
                           std::vector<std::string> groups, std::vector<AccessPolicy> policies = {}) {
  return DesiredAccessEntry{PrincipalKind::kUser, arn, id, 0, username, std::move(groups),
                            std::move(policies)};
}

AccessEntryPlan plan(const RulesConfig& rules, const IamSnapshot& iam,
                     const std::vector<ExistingAccessEntry>& existing,
                     const AccessEntryOptions& options = {}) {
  auto p = planAccessEntries(rules, iam, existing, options);
  EXPECT_TRUE(p.ok()) << p.error().message;
  return p.ok() ? *p : AccessEntryPlan{};
}

AccessEntryPlan planTargets(const AccessEntryTargets& targets,
                            const std::vector<ExistingAccessEntry>& existing,
                            const AccessEntryOptions& options = {}) {
  auto p = planAccessEntries(targets, existing, options);
  EXPECT_TRUE(p.ok()) << p.error().message;
  return p.ok() ? *p : AccessEntryPlan{};
}

// The plan's calls as text lines (the rendering is tested in access_entry_render_test.cpp).
std::vector<std::string> lines(const AccessEntryPlan& p) {
  std::vector<std::string> out;
  for (const Op& op : p.operations) {
    std::string line = std::string(accessEntryOperationName(op.kind)) + " " + op.principal_arn;
    if (!op.policy.policy_arn.empty()) line += " " + op.policy.policy_arn;
    if (op.kind == Op::Kind::kDeleteAccessEntry) line += std::string(" ") + deleteReasonName(op.reason);
    out.push_back(line);
  }
  return out;
}

constexpr char kDevRules[] = R"(- arnRegex: ^arn:aws:iam::111122223333:user/dev-.*$
  username: dev
  groups:
  - developers
)";

TEST(AccessEntriesTest, CreatesOneTaggedStandardEntryPerMatchingPrincipal) {
  IamSnapshot iam;
  iam.users = {user("dev-b", "AIDAB"), user("dev-a", "AIDAA"), user("ops-x", "AIDAX")};
  const AccessEntryPlan p = plan(usersRules(kDevRules), iam, {});
  ASSERT_EQ(p.operations.size(), 2u);
  const Op& a = p.operations[0];
  EXPECT_EQ(a.kind, Op::Kind::kCreateAccessEntry);
  EXPECT_EQ(a.principal_arn, "arn:aws:iam::111122223333:user/dev-a");
  EXPECT_EQ(a.username, "dev");
  EXPECT_THAT(a.kubernetes_groups, ElementsAre("developers"));
  EXPECT_EQ(a.tags, (std::map<std::string, std::string>{{"aws-auth-refresher/owner", "aws-auth-refresher"},
                                                        {"aws-auth-refresher/principal-id", "AIDAA"}}));
  EXPECT_EQ(p.operations[1].principal_arn, "arn:aws:iam::111122223333:user/dev-b");
  ASSERT_EQ(p.desired.size(), 2u);
  EXPECT_EQ(p.desired[0].principal_id, "AIDAA");
}

TEST(AccessEntriesTest, TagsCarryTheConfiguredOwnerId) {
  IamSnapshot iam;
  iam.users = {user("dev-a", "AIDAA")};
  AccessEntryOptions options;
  options.owner_id = "team-a";
  const AccessEntryPlan p = plan(usersRules(kDevRules), iam, {}, options);
  ASSERT_EQ(p.operations.size(), 1u);
  EXPECT_EQ(p.operations[0].tags.at(kAccessEntryOwnerTag), "team-a");
}

TEST(AccessEntriesTest, NoOperationWhenEverythingIsAsItShouldBe) {
  AccessEntryTargets t;
  t.entries = {desired("arn:aws:iam::1:user/a", "AIDAA", "a", {"g2", "g1"},
                       {namespaced(kView, {"prod", "dev"}), clusterScoped(kEdit)})};
  // EKS returns groups, namespaces and policies in any order: sets, not lists.
  const std::vector<ExistingAccessEntry> existing = {
      ours("arn:aws:iam::1:user/a", "AIDAA", "a", {"g1", "g2", "g1"},
           {clusterScoped(kEdit), namespaced(kView, {"dev", "prod"})})};
  const AccessEntryPlan p = planTargets(t, existing);
  EXPECT_THAT(p.operations, IsEmpty());
  EXPECT_EQ(p.desired.size(), 1u);
}

TEST(AccessEntriesTest, SteadyStateThroughTheRulesGivesNoOperation) {
  IamSnapshot iam;
  iam.users = {user("dev-a", "AIDAA")};
  const std::vector<ExistingAccessEntry> existing = {
      ours("arn:aws:iam::111122223333:user/dev-a", "AIDAA", "dev", {"developers"})};
  EXPECT_THAT(plan(usersRules(kDevRules), iam, existing).operations, IsEmpty());
}

TEST(AccessEntriesTest, ForeignEntryForThePrincipalIsLeftAloneAndThePrincipalSkipped) {
  IamSnapshot iam;
  iam.users = {user("dev-a", "AIDAA"), user("dev-b", "AIDAB")};
  ExistingAccessEntry hand_made;
  hand_made.principal_arn = "arn:aws:iam::111122223333:user/dev-a";
  hand_made.username = "alice";
  ExistingAccessEntry other_owner = ours("arn:aws:iam::111122223333:user/dev-b", "AIDAB", "x", {});
  other_owner.tags[kAccessEntryOwnerTag] = "someone-else";
  const AccessEntryPlan p = plan(usersRules(kDevRules), iam, {hand_made, other_owner});
  EXPECT_THAT(p.operations, IsEmpty());
  ASSERT_EQ(p.skipped.size(), 2u);
  EXPECT_EQ(p.skipped[0].principal_arn, "arn:aws:iam::111122223333:user/dev-a");
  EXPECT_EQ(p.skipped[0].reason, SkippedPrincipal::Reason::kForeignEntry);
  EXPECT_EQ(p.skipped[1].reason, SkippedPrincipal::Reason::kForeignEntry);
  EXPECT_EQ(p.foreign_count, 2u);
  EXPECT_THAT(p.desired, IsEmpty());
}

TEST(AccessEntriesTest, NonStandardEntriesAreNeverOursEvenWithOurTag) {
  ExistingAccessEntry node =
      ours("arn:aws:iam::1:role/NodeRole", "AROAN", "system:node:{{EC2PrivateDNSName}}", {});
  node.type = "EC2_LINUX";
  ExistingAccessEntry fargate;
  fargate.principal_arn = "arn:aws:iam::1:role/FargatePod";
  fargate.type = "FARGATE_LINUX";
  const AccessEntryPlan p = planTargets(AccessEntryTargets{}, {node, fargate});
  EXPECT_THAT(p.operations, IsEmpty());
  EXPECT_EQ(p.foreign_count, 2u);
}

TEST(AccessEntriesTest, ClusterCreatorEntryIsNeverDeleted) {
  ExistingAccessEntry creator;
  creator.principal_arn = "arn:aws:iam::1:role/Admin";
  creator.policies = {clusterScoped("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")};
  IamSnapshot iam;  // the role is not even listed
  const AccessEntryPlan p = plan(usersRules(kDevRules), iam, {creator});
  EXPECT_THAT(p.operations, IsEmpty());
}

TEST(AccessEntriesTest, DeletesOursWhosePrincipalIsGoneOrNoLongerMatches) {
  IamSnapshot iam;
  iam.users = {user("ops-x", "AIDAX")};
  const std::vector<ExistingAccessEntry> existing = {
      ours("arn:aws:iam::111122223333:user/dev-gone", "AIDAG", "dev", {"developers"}),
      ours("arn:aws:iam::111122223333:user/ops-x", "AIDAX", "dev", {"developers"})};
  const AccessEntryPlan p = plan(usersRules(kDevRules), iam, existing);
  EXPECT_THAT(lines(p),
              ElementsAre("DeleteAccessEntry arn:aws:iam::111122223333:user/dev-gone principal-gone",
                          "DeleteAccessEntry arn:aws:iam::111122223333:user/ops-x no-rule-matches"));
}

TEST(AccessEntriesTest, RecreatedPrincipalIsDeletedThenCreatedAnew) {
  IamSnapshot iam;
  iam.users = {user("dev-a", "AIDANEW")};
  const std::vector<ExistingAccessEntry> existing = {
      ours("arn:aws:iam::111122223333:user/dev-a", "AIDAOLD", "dev", {"developers"})};
  const AccessEntryPlan p = plan(usersRules(kDevRules), iam, existing);
  EXPECT_THAT(lines(p),
              ElementsAre("DeleteAccessEntry arn:aws:iam::111122223333:user/dev-a principal-recreated",
                          "CreateAccessEntry arn:aws:iam::111122223333:user/dev-a"));
  EXPECT_EQ(p.operations[1].tags.at(kAccessEntryPrincipalIdTag), "AIDANEW");
}

TEST(AccessEntriesTest, OurEntryWithoutPrincipalIdTagIsRecreated) {
  ExistingAccessEntry e = ours("arn:aws:iam::1:user/a", "", "a", {});
  e.tags.erase(kAccessEntryPrincipalIdTag);
  AccessEntryTargets t;
  t.entries = {desired("arn:aws:iam::1:user/a", "AIDAA", "a", {})};
  EXPECT_THAT(lines(planTargets(t, {e})),
              ElementsAre("DeleteAccessEntry arn:aws:iam::1:user/a principal-recreated",
                          "CreateAccessEntry arn:aws:iam::1:user/a"));
}

TEST(AccessEntriesTest, UnknownPrincipalIdNeverCausesARecreate) {
  // `plan` without IAM ids: the tag cannot be checked, so it is not.
  AccessEntryTargets t;
  t.entries = {desired("arn:aws:iam::1:user/a", "", "a", {})};
  EXPECT_THAT(planTargets(t, {ours("arn:aws:iam::1:user/a", "AIDAA", "a", {})}).operations, IsEmpty());
}

TEST(AccessEntriesTest, UsernameAndGroupChangesAreOneUpdate) {
  AccessEntryTargets t;
  t.entries = {desired("arn:aws:iam::1:user/a", "AIDAA", "alice", {"g1", "g3"})};
  const AccessEntryPlan p = planTargets(t, {ours("arn:aws:iam::1:user/a", "AIDAA", "a", {"g1", "g2"})});
  ASSERT_EQ(p.operations.size(), 1u);
  EXPECT_EQ(p.operations[0].kind, Op::Kind::kUpdateAccessEntry);
  EXPECT_EQ(p.operations[0].username, "alice");
  EXPECT_THAT(p.operations[0].kubernetes_groups, ElementsAre("g1", "g3"));
}

TEST(AccessEntriesTest, PolicyScopeChangeIsOneAssociateWithTheNewScope) {
  AccessEntryTargets t;
  t.entries = {desired("arn:aws:iam::1:user/a", "AIDAA", "a", {}, {namespaced(kView, {"dev", "prod"})})};
  const AccessEntryPlan p =
      planTargets(t, {ours("arn:aws:iam::1:user/a", "AIDAA", "a", {}, {namespaced(kView, {"dev"})})});
  ASSERT_EQ(p.operations.size(), 1u);
  EXPECT_EQ(p.operations[0].kind, Op::Kind::kAssociateAccessPolicy);
  EXPECT_EQ(p.operations[0].policy, namespaced(kView, {"dev", "prod"}));

  t.entries[0].policies = {clusterScoped(kView)};
  const AccessEntryPlan q =
      planTargets(t, {ours("arn:aws:iam::1:user/a", "AIDAA", "a", {}, {namespaced(kView, {"dev"})})});
  ASSERT_EQ(q.operations.size(), 1u);
  EXPECT_EQ(q.operations[0].policy, clusterScoped(kView));
}

TEST(AccessEntriesTest, MakeBeforeBreakOrderAcrossPrincipals) {
  AccessEntryTargets t;
  t.entries = {desired("arn:aws:iam::1:user/a", "AIDAA", "a", {}, {clusterScoped(kEdit)}),  // swap a policy
               desired("arn:aws:iam::1:user/b", "AIDAB", "b2", {}),                         // update
               desired("arn:aws:iam::1:user/c", "AIDAC", "c", {}, {clusterScoped(kView)}),  // create
               desired("arn:aws:iam::1:user/e", "AIDAE2", "e", {})};                        // recreate
  const std::vector<ExistingAccessEntry> existing = {
      ours("arn:aws:iam::1:user/a", "AIDAA", "a", {}, {clusterScoped(kView)}),
      ours("arn:aws:iam::1:user/b", "AIDAB", "b", {}), ours("arn:aws:iam::1:user/d", "AIDAD", "d", {}),
      ours("arn:aws:iam::1:user/e", "AIDAE1", "e", {})};
  const AccessEntryPlan p = planTargets(t, existing);
  EXPECT_THAT(lines(p), ElementsAre("DeleteAccessEntry arn:aws:iam::1:user/e principal-recreated",
                                    "CreateAccessEntry arn:aws:iam::1:user/c",
                                    "CreateAccessEntry arn:aws:iam::1:user/e",
                                    std::string("AssociateAccessPolicy arn:aws:iam::1:user/a ") + kEdit,
                                    std::string("AssociateAccessPolicy arn:aws:iam::1:user/c ") + kView,
                                    "UpdateAccessEntry arn:aws:iam::1:user/b",
                                    std::string("DisassociateAccessPolicy arn:aws:iam::1:user/a ") + kView,
                                    "DeleteAccessEntry arn:aws:iam::1:user/d principal-gone"));
}

TEST(AccessEntriesTest, FrozenAccountEntriesAreLeftExactlyAsTheyAre) {
  RulesConfig rules = usersRules(R"(- {arnRegex: "user/dev-", username: dev, groups: [developers]}
)");
  IamSnapshot iam;
  // The frozen account's listing is incomplete: its principals are ignored, its entries kept as they are.
  iam.users = {user("dev-a", "AIDAA", "111111111111"), user("dev-new", "AIDAN", "222222222222")};
  iam.frozen_accounts = {"222222222222"};
  const std::vector<ExistingAccessEntry> existing = {
      ours("arn:aws:iam::222222222222:user/dev-gone", "AIDAG", "dev", {"developers"}),
      ours("arn:aws:iam::222222222222:user/dev-stale", "AIDAS", "old-name", {"old"})};
  const AccessEntryPlan p = plan(rules, iam, existing);
  EXPECT_THAT(lines(p), ElementsAre("CreateAccessEntry arn:aws:iam::111111111111:user/dev-a"));
  EXPECT_EQ(p.frozen_kept, 2u);
  EXPECT_EQ(p.managed_count, 3u);
}

TEST(AccessEntriesTest, HandWrittenAwsAuthMappingGetsNoEntryInApiAndConfigMapMode) {
  IamSnapshot iam;
  iam.users = {user("dev-a", "AIDAA"), user("dev-b", "AIDAB")};
  AccessEntryOptions options;
  options.mode = AuthenticationMode::kApiAndConfigMap;
  options.hand_written_aws_auth_arns = {"ARN:AWS:IAM::111122223333:USER/DEV-A",
                                        "arn:aws:iam::111122223333:user/dev-b"};
  const std::vector<ExistingAccessEntry> existing = {
      ours("arn:aws:iam::111122223333:user/dev-b", "AIDAB", "dev", {"developers"})};
  const AccessEntryPlan p = plan(usersRules(kDevRules), iam, existing, options);
  // Ours would take precedence over the hand-written mapping: it goes.
  EXPECT_THAT(lines(p), ElementsAre("DeleteAccessEntry arn:aws:iam::111122223333:user/dev-b not-eligible"));
  ASSERT_EQ(p.skipped.size(), 2u);
  EXPECT_EQ(p.skipped[0].reason, SkippedPrincipal::Reason::kHandWrittenMapping);

  options.mode = AuthenticationMode::kApi;  // aws-auth is ignored by EKS: the mapping does not count.
  EXPECT_THAT(lines(plan(usersRules(kDevRules), iam, existing, options)),
              ElementsAre("CreateAccessEntry arn:aws:iam::111122223333:user/dev-a"));
}

TEST(AccessEntriesTest, ConfigMapModeIsRefused) {
  AccessEntryOptions options;
  options.mode = AuthenticationMode::kConfigMap;
  auto p = planAccessEntries(usersRules(kDevRules), IamSnapshot{}, {}, options);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(p.error().message, HasSubstr("CONFIG_MAP"));
}

TEST(AccessEntriesTest, InvalidRulesPlanNothing) {
  auto p = planAccessEntries(usersRules("- {arnRegex: x, username: a, groups: [system:masters]}\n"),
                             IamSnapshot{}, {}, AccessEntryOptions{});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(p.error().message, HasSubstr("mapUsers rule 0"));
  EXPECT_THAT(p.error().message, HasSubstr("system:masters"));
}

TEST(AccessEntriesTest, CreatesStopAtTheEntryLimitAndAreCounted) {
  AccessEntryTargets t;
  for (const char* name : {"a", "b", "c", "d"}) {
    t.entries.push_back(
        desired(std::string("arn:aws:iam::1:user/") + name, std::string("AIDA") + name, name, {}));
  }
  ExistingAccessEntry foreign;
  foreign.principal_arn = "arn:aws:iam::1:role/Admin";
  // Limit 4: the foreign entry and a gone one of ours (deleted only after the creates) leave room for 2.
  AccessEntryOptions options;
  options.max_entries = 4;
  const AccessEntryPlan p =
      planTargets(t, {foreign, ours("arn:aws:iam::1:user/z", "AIDAZ", "z", {})}, options);
  EXPECT_THAT(lines(p), ElementsAre("CreateAccessEntry arn:aws:iam::1:user/a",
                                    "CreateAccessEntry arn:aws:iam::1:user/b",
                                    "DeleteAccessEntry arn:aws:iam::1:user/z principal-gone"));
  EXPECT_EQ(p.not_created_over_limit, 2u);
  EXPECT_EQ(p.managed_count, 2u);  // a and b; z goes.
  ASSERT_EQ(p.skipped.size(), 2u);
  EXPECT_EQ(p.skipped[0].principal_arn, "arn:aws:iam::1:user/c");
  EXPECT_EQ(p.skipped[0].reason, SkippedPrincipal::Reason::kOverLimit);
}

TEST(AccessEntriesTest, RecreateMakesItsOwnRoomAtTheLimit) {
  AccessEntryTargets t;
  t.entries = {desired("arn:aws:iam::1:user/a", "AIDANEW", "a", {})};
  AccessEntryOptions options;
  options.max_entries = 1;
  const AccessEntryPlan p = planTargets(t, {ours("arn:aws:iam::1:user/a", "AIDAOLD", "a", {})}, options);
  EXPECT_THAT(lines(p), ElementsAre("DeleteAccessEntry arn:aws:iam::1:user/a principal-recreated",
                                    "CreateAccessEntry arn:aws:iam::1:user/a"));
  EXPECT_EQ(p.not_created_over_limit, 0u);
}

TEST(AccessEntriesTest, DefaultLimitIsEksQuota) {
  AccessEntryTargets t;
  for (int i = 0; i < 3001; ++i) {
    t.entries.push_back(
        desired("arn:aws:iam::1:user/u" + std::to_string(10000 + i), "AIDA" + std::to_string(i), "u", {}));
  }
  const AccessEntryPlan p = planTargets(t, {});
  EXPECT_EQ(p.operations.size(), 3000u);
  EXPECT_EQ(p.not_created_over_limit, 1u);
}

TEST(AccessEntriesTest, RolesAreKeyedWithoutTheirPathAndServiceLinkedRolesNeverMatch) {
  RulesConfig rules;
  rules.roles = parseRules(R"(- {arnRegex: "role/.*", username: "sso-admin", groups: [admins]}
)",
                           RuleSet::Kind::kRoles);
  IamSnapshot iam;
  iam.roles = {
      Principal{"arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123",
                "AROA1",
                {}},
      Principal{
          "arn:aws:iam::1:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS", "AROA2", {}}};
  const AccessEntryPlan p =
      plan(rules, iam, {ours("arn:aws:iam::1:role/AWSServiceRoleForAmazonEKS", "AROA2", "x", {})});
  EXPECT_THAT(
      lines(p),
      ElementsAre("CreateAccessEntry arn:aws:iam::1:role/AWSReservedSSO_Admin_0123",
                  "DeleteAccessEntry arn:aws:iam::1:role/AWSServiceRoleForAmazonEKS no-rule-matches"));
  EXPECT_EQ(p.desired.at(0).principal, PrincipalKind::kRole);
}

// The same principals never match as in aws-auth (reconcile_steps::kindSpec): a role ARN that is not
// arn:<partition>:iam::<account>:role/..., and an ARN with a space, a control character or a line break.
TEST(AccessEntriesTest, ArnsIamCannotHaveNeverMatch) {
  RulesConfig rules;
  rules.users = parseRules("- {arnRegex: \".\", username: u}\n", RuleSet::Kind::kUsers);
  rules.roles = parseRules("- {arnRegex: \".\", username: r}\n", RuleSet::Kind::kRoles);
  IamSnapshot iam;
  for (const char* arn : {"arn:aws:iam::1:role/ok", "arn:aws:role/iam::1:role/sso/R", "arn:aws:sts::1:role/R",
                          "arn:aws:iam::1:role/a b", "arn:aws:iam::1:role/p\xE2\x80\xA9"}) {
    iam.roles.push_back(Principal{arn, "AROA" + std::to_string(iam.roles.size()), {}});
  }
  for (const char* arn : {"arn:aws:iam::1:user/ok", "arn:aws:iam::1:user/a\tb", "arn:aws:iam::1:user/a\rb"}) {
    iam.users.push_back(Principal{arn, "AIDA" + std::to_string(iam.users.size()), {}});
  }
  EXPECT_THAT(lines(plan(rules, iam, {})), ElementsAre("CreateAccessEntry arn:aws:iam::1:role/ok",
                                                       "CreateAccessEntry arn:aws:iam::1:user/ok"));
}

TEST(AccessEntriesTest, PrincipalArnHelpers) {
  EXPECT_EQ(accessEntryPrincipalArn("arn:aws:iam::1:role/a/b/Name"), "arn:aws:iam::1:role/Name");
  EXPECT_EQ(accessEntryPrincipalArn("arn:aws:iam::1:role/Name"), "arn:aws:iam::1:role/Name");
  EXPECT_EQ(accessEntryPrincipalArn("arn:aws-cn:iam::1:user/path/u"), "arn:aws-cn:iam::1:user/path/u");
  EXPECT_TRUE(isServiceLinkedRoleArn("arn:aws:iam::1:role/aws-service-role/x.amazonaws.com/R"));
  EXPECT_FALSE(isServiceLinkedRoleArn("arn:aws:iam::1:role/R"));
  EXPECT_FALSE(isServiceLinkedRoleArn("arn:aws:iam::1:user/aws-service-role/u"));
  // Not a role ARN: left as it is.
  EXPECT_EQ(accessEntryPrincipalArn("arn:aws:role/iam::1:role/a/N"), "arn:aws:role/iam::1:role/a/N");
}

TEST(AccessEntriesTest, ArnsDifferingOnlyInCaseAreOnePrincipal) {
  AccessEntryTargets t;
  t.entries = {desired("arn:aws:iam::1:user/Alice", "AIDAA", "a", {})};
  const AccessEntryPlan p = planTargets(t, {ours("arn:aws:iam::1:user/alice", "AIDAA", "a", {}),
                                            ours("arn:aws:iam::1:user/ALICE", "AIDAA", "a", {})});
  EXPECT_THAT(lines(p), ElementsAre("DeleteAccessEntry arn:aws:iam::1:user/alice duplicate"));
}

TEST(AccessEntriesTest, ShadowedMatchesAreReportedAndTheFirstRuleDecides) {
  RulesConfig rules = usersRules(R"(- {arnRegex: "user/dev-a$", username: alice, groups: [a]}
- {arnRegex: "user/dev-", username: dev, groups: [developers]}
)");
  IamSnapshot iam;
  iam.users = {user("dev-a", "AIDAA")};
  const AccessEntryPlan p = plan(rules, iam, {});
  ASSERT_EQ(p.operations.size(), 1u);
  EXPECT_EQ(p.operations[0].username, "alice");
  ASSERT_EQ(p.shadowed.size(), 1u);
  EXPECT_THAT(p.shadowed[0].shadowed_rules, ElementsAre(1u));
}

TEST(AccessEntriesTest, NewEntryGetsItsPoliciesAssociatedAfterTheCreate) {
  AccessEntryTargets t;
  t.entries = {
      desired("arn:aws:iam::1:user/a", "AIDAA", "a", {}, {namespaced(kView, {"dev"}), clusterScoped(kEdit)})};
  const AccessEntryPlan p = planTargets(t, {});
  EXPECT_THAT(lines(p), ElementsAre("CreateAccessEntry arn:aws:iam::1:user/a",
                                    std::string("AssociateAccessPolicy arn:aws:iam::1:user/a ") + kEdit,
                                    std::string("AssociateAccessPolicy arn:aws:iam::1:user/a ") + kView));
}

TEST(AccessEntriesTest, AccessPoliciesFromTheRulesWhenTheParserReadsThem) {
  RuleSet::ParseOptions options;
  auto rules = RuleSet::parse(R"(- arnRegex: "user/dev-"
  username: dev
  accessPolicies:
  - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
    accessScope: {type: namespace, namespaces: [dev]}
)",
                              options);
  if (!rules.ok())
    GTEST_SKIP() << "rules parser does not read accessPolicies yet (rules v2 seam): "
                 << rules.error().message;
  RulesConfig config;
  config.users = *rules;
  IamSnapshot iam;
  iam.users = {user("dev-a", "AIDAA")};
  EXPECT_THAT(
      lines(plan(config, iam, {})),
      ElementsAre("CreateAccessEntry arn:aws:iam::111122223333:user/dev-a",
                  std::string("AssociateAccessPolicy arn:aws:iam::111122223333:user/dev-a ") + kView));
}

TEST(AccessEntriesMigrationTest, RemovesOurAwsAuthEntriesOnlyOnceTheirEntryIsComplete) {
  AccessEntryTargets t;
  t.entries = {desired("arn:aws:iam::1:user/a", "AIDAA", "a", {"g"}, {clusterScoped(kView)}),
               desired("arn:aws:iam::1:user/b", "AIDAB", "b", {"g"}, {clusterScoped(kView)}),
               desired("arn:aws:iam::1:role/R", "AROAR", "r", {"g"})};
  const AccessEntryPlan p = planTargets(t, {});
  const std::vector<ExistingAccessEntry> now = {
      ours("arn:aws:iam::1:user/a", "AIDAA", "a", {"g"}, {clusterScoped(kView)}),
      ours("arn:aws:iam::1:user/b", "AIDAB", "b", {"g"}),  // its policy is not associated yet
      ours("arn:aws:iam::1:role/R", "AROAR", "r", {"g"})};
  const std::vector<AwsAuthMapping> in_aws_auth = {
      {PrincipalKind::kUser, "arn:aws:iam::1:user/a"},
      {PrincipalKind::kUser, "arn:aws:iam::1:user/b"},
      {PrincipalKind::kRole, "arn:aws:iam::1:role/R"},
      {PrincipalKind::kUser, "arn:aws:iam::1:user/c"}};  // no entry
  EXPECT_THAT(awsAuthArnsToRemove(in_aws_auth, p, now, AccessEntryOptions{}),
              ElementsAre("arn:aws:iam::1:role/R", "arn:aws:iam::1:user/a"));
}

TEST(AccessEntriesMigrationTest, AForeignEntryNeverReleasesAnAwsAuthMapping) {
  AccessEntryTargets t;
  t.entries = {desired("arn:aws:iam::1:user/a", "AIDAA", "a", {})};
  const AccessEntryPlan p = planTargets(t, {});
  ExistingAccessEntry other = ours("arn:aws:iam::1:user/a", "AIDAA", "a", {});
  other.tags[kAccessEntryOwnerTag] = "another-controller";
  EXPECT_THAT(awsAuthArnsToRemove({{PrincipalKind::kUser, "arn:aws:iam::1:user/a"}}, p, {other},
                                  AccessEntryOptions{}),
              IsEmpty());
}

TEST(AccessEntriesTest, ExpandedUsernameWithReservedPrefixGetsNoEntry) {
  // A capture cannot hold ':', but one before a literal ':' can spell a reserved prefix.
  RulesConfig rules =
      usersRules(R"(- {arnRegex: '^arn:aws:iam::1:user/(?P<team>\w+)-', username: '${team}:x', groups: [g]}
)");
  IamSnapshot iam;
  iam.users = {Principal{"arn:aws:iam::1:user/eks-bob", "AIDA1", {}}};
  auto p = planAccessEntries(rules, iam, {}, AccessEntryOptions{});
  ASSERT_TRUE(p.ok()) << p.error().message;
  if (p->expansion_failures.empty() && p->operations.size() == 1 &&
      p->operations[0].username == "${team}:x") {
    GTEST_SKIP() << "RuleSet::match does not expand ${...} yet (rules v2 seam)";
  }
  EXPECT_THAT(p->operations, IsEmpty());
  ASSERT_EQ(p->expansion_failures.size(), 1u);
  EXPECT_THAT(p->expansion_failures[0].reason, HasSubstr("prefix EKS reserves"));
}

TEST(AccessEntriesTest, TargetsRefuseAnyUsernameWithAReservedPrefixPerPrincipal) {
  // validateAccessEntryRules refuses the literal prefix; the targets check each principal's username again,
  // so no path through expansion can reach EKS with one.
  IamSnapshot iam;
  iam.users = {user("dev-a", "AIDAA")};
  const AccessEntryTargets t =
      accessEntryTargets(usersRules("- {arnRegex: dev-, username: 'EKS:dev'}\n"), iam);
  EXPECT_THAT(t.entries, IsEmpty());
  ASSERT_EQ(t.expansion_failures.size(), 1u);
  EXPECT_EQ(t.expansion_failures[0].arn, "arn:aws:iam::111122223333:user/dev-a");
  EXPECT_THAT(t.expansion_failures[0].reason, HasSubstr("prefix EKS reserves"));
  EXPECT_THAT(t.failed, ElementsAre("arn:aws:iam::111122223333:user/dev-a"));
  // Our earlier entry for it goes.
  const AccessEntryPlan p =
      planTargets(t, {ours("arn:aws:iam::111122223333:user/dev-a", "AIDAA", "dev", {})});
  EXPECT_THAT(lines(p), ElementsAre("DeleteAccessEntry arn:aws:iam::111122223333:user/dev-a not-eligible"));
}

TEST(AccessEntriesTest, ForeignEntryWrittenWithTheRolePathStillShadowsTheRole) {
  AccessEntryTargets t;
  t.entries = {
      DesiredAccessEntry{PrincipalKind::kRole, "arn:aws:iam::1:role/Admin", "AROA1", 0, "a", {}, {}}};
  ExistingAccessEntry hand_made;
  hand_made.principal_arn = "arn:aws:iam::1:role/team/Admin";
  const AccessEntryPlan p = planTargets(t, {hand_made});
  EXPECT_THAT(p.operations, IsEmpty());
  ASSERT_EQ(p.skipped.size(), 1u);
  EXPECT_EQ(p.skipped[0].reason, SkippedPrincipal::Reason::kForeignEntry);
}

TEST(AccessEntriesTest, HandMadeTargetsInAFrozenAccountPlanNothing) {
  AccessEntryTargets t;
  t.entries = {desired("arn:aws:iam::222222222222:user/a", "AIDAA", "a", {})};
  t.frozen_accounts = {"222222222222"};
  EXPECT_THAT(planTargets(t, {}).operations, IsEmpty());
}

}  // namespace
}  // namespace aar::core
