// reconcile() over both lists (issue #12): role rules, the managed-roles record, per-user names and frozen
// accounts. reconcile_test.cpp covers the mapUsers behaviour on its own.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/aws_auth_codec.hpp"
#include "core/config_map.hpp"
#include "core/ownership.hpp"
#include "core/reconcile.hpp"

namespace aar::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kUid[] = "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d";
constexpr char kNodeRoles[] = R"(- rolearn: arn:aws:iam::111122223333:role/eks-node
  username: system:node:{{EC2PrivateDNSName}}
  groups:
  - system:bootstrappers
  - system:nodes
)";
constexpr char kSsoPath[] = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/";
constexpr char kSsoAdmin[] = "AWSReservedSSO_Admin_0123456789abcdef";
constexpr char kSsoDev[] = "AWSReservedSSO_Dev_fedcba9876543210";
constexpr char kRoleRules[] =
    R"(- arnRegex: ^arn:aws:iam::\d{12}:role/aws-reserved/sso\.amazonaws\.com/.*/AWSReservedSSO_Admin_[0-9a-f]{16}$
  username: "sso-admin:{{SessionName}}"
  groups:
  - system:masters
- arnRegex: ^arn:aws:iam::\d{12}:role/aws-reserved/sso\.amazonaws\.com/.*/AWSReservedSSO_(?P<set>[A-Za-z]+)_[0-9a-f]{16}$
  username: "sso-${set}:{{SessionNameRaw}}"
  groups:
  - viewers
- arnRegex: ^arn:aws:iam::\d{12}:role/
  username: any-role
)";

RuleSet ruleSet(const std::string& yaml, RuleSet::Kind kind) {
  RuleSet::ParseOptions options;
  options.kind = kind;
  auto r = RuleSet::parse(yaml, options);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : RuleSet();
}

// Rules with these mapUsers and mapRoles values (empty: the key is absent).
RulesConfig config(const std::string& users_yaml, const std::string& roles_yaml) {
  RulesConfig c;
  if (!users_yaml.empty()) c.users = ruleSet(users_yaml, RuleSet::Kind::kUsers);
  if (!roles_yaml.empty()) c.roles = ruleSet(roles_yaml, RuleSet::Kind::kRoles);
  return c;
}

std::string sso(const char* name) { return std::string(kSsoPath) + name; }
std::string written(const char* name) { return std::string("arn:aws:iam::111122223333:role/") + name; }

IamSnapshot roles(std::vector<std::string> arns) {
  IamSnapshot iam;
  for (auto& a : arns) iam.roles.push_back(Principal{std::move(a), {}, {}});
  return iam;
}

ReconcileResult must(const RulesConfig& r, const IamSnapshot& iam, const ConfigMapContent& c) {
  ReconcileOptions options;
  options.object_uid = kUid;
  auto result = reconcile(r, iam, c, options);
  EXPECT_TRUE(result.ok()) << result.error().message;
  return result.ok() ? *result : ReconcileResult{};
}

std::vector<RoleMapping> roleEntries(const ConfigMapContent& c) {
  auto parsed = parseMapRoles(c.data.at(kMapRolesKey));
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  return parsed.ok() ? *parsed : std::vector<RoleMapping>{};
}

std::vector<std::string> describe(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) {
    out.push_back(std::string(principalKindName(c.principal)) + " " + changeKindName(c.kind) + " " + c.arn +
                  " " + c.username);
  }
  return out;
}

ConfigMapContent withNodeRole() {
  ConfigMapContent c;
  c.data[kMapRolesKey] = kNodeRoles;
  return c;
}

const RoleMapping kNode{"arn:aws:iam::111122223333:role/eks-node",
                        "system:node:{{EC2PrivateDNSName}}",
                        {"system:bootstrappers", "system:nodes"}};

TEST(ReconcileRolesTest, AnSsoRoleIsWrittenWithoutItsPathNextToTheUntouchedNodeRoleAndRemovedWithIt) {
  const RulesConfig r = config("", kRoleRules);
  ReconcileResult added =
      must(r, roles({sso(kSsoAdmin), "arn:aws:iam::111122223333:role/eks-node"}), withNodeRole());
  EXPECT_TRUE(added.changed);
  // The node role has a hand-written entry: it wins, ours is not written.
  EXPECT_THAT(added.skipped_unmanaged, ElementsAre("arn:aws:iam::111122223333:role/eks-node"));
  EXPECT_THAT(describe(added.changes),
              ElementsAre("role added " + written(kSsoAdmin) + " sso-admin:{{SessionName}}"));
  EXPECT_THAT(
      roleEntries(added.desired),
      ElementsAre(RoleMapping{written(kSsoAdmin), "sso-admin:{{SessionName}}", {"system:masters"}}, kNode));
  EXPECT_THAT(added.desired.data.at(kMapRolesKey),
              HasSubstr("- rolearn: " + written(kSsoAdmin) + "\n  username: sso-admin:{{SessionName}}\n"));
  EXPECT_EQ(added.desired.annotations.at(kManagedRolesAnnotation),
            formatOwnership(kUid, {entryFingerprint(written(kSsoAdmin), "sso-admin:{{SessionName}}",
                                                    {"system:masters"})}));
  EXPECT_EQ(added.desired.annotations.count(kManagedUsersAnnotation), 0u);  // no user is managed
  EXPECT_EQ(added.roles.managed_count, 1u);
  EXPECT_EQ(added.users.managed_count, 0u);
  EXPECT_EQ(added.managed_count, 1u);
  EXPECT_EQ(added.desired.data.count(kMapUsersKey), 0u);  // mapUsers not created

  // A second pass changes nothing.
  ReconcileResult again = must(r, roles({sso(kSsoAdmin)}), added.desired);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.desired, added.desired);
  EXPECT_EQ(again.roles.record_state, RecordState::kBound);
  EXPECT_EQ(again.roles.recorded_count, 1u);
  EXPECT_EQ(again.recorded_count, 1u);                  // both records
  EXPECT_EQ(again.record_state, RecordState::kAbsent);  // mapUsers'
  EXPECT_EQ(again.users.record_state, RecordState::kAbsent);

  // The role is deleted: its entry goes, the node role stays exactly as it was.
  ReconcileResult removed = must(r, roles({}), added.desired);
  EXPECT_THAT(describe(removed.changes),
              ElementsAre("role removed " + written(kSsoAdmin) + " sso-admin:{{SessionName}}"));
  EXPECT_THAT(roleEntries(removed.desired), ElementsAre(kNode));
  EXPECT_EQ(removed.desired.annotations.at(kManagedRolesAnnotation), formatOwnership(kUid, {}));
}

TEST(ReconcileRolesTest, ServiceLinkedRolesNeverMatchEvenARuleThatMatchesEveryRole) {
  const RulesConfig r = config("", kRoleRules);
  const ReconcileResult result =
      must(r,
           roles({"arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForEKS",
                  "arn:aws:iam::111122223333:role/plain"}),
           ConfigMapContent{});
  EXPECT_THAT(describe(result.changes),
              ElementsAre("role added arn:aws:iam::111122223333:role/plain any-role"));
}

// What IAM never returns never matches, even a rule that matches everything: a role ARN that is not
// arn:<partition>:iam::<account>:role/..., and any ARN with a space, a control character or a line break YAML
// readers disagree on (they need not agree on how it reads back; found by fuzzing reconcile). UTF-8 letters
// are no such thing.
TEST(ReconcileRolesTest, ArnsIamCannotHaveNeverMatch) {
  const RulesConfig r =
      config("- arnRegex: .\n  username: any-user\n", "- arnRegex: .\n  username: any-role\n");
  IamSnapshot iam =
      roles({"arn:aws:iam::1:role/ok", "iam::1:role/aws-service-role/x", "arn:aws:iam::1:user/r",
             "arn:aws:role/iam::1:role/sso/R", "arn:;iam::1:role/a:role/R", "arn:aws:sts::1:role/R",
             "arn:aws:iam:eu-west-1:1:role/R", "arn:aws:iam:::role/R", "arn::iam::1:role/R",
             "arn:aws:iam::1:role/p\xE2\x80\xA9", "arn:aws:iam::1:role/a b"});
  for (const char* user :
       {"arn:aws:iam::1:user/ok", "- USERARN\xE2\x80\xA9: arn:aws:iam::1:user/AMY", "arn:aws:iam::1:user/a b",
        "arn:aws:iam::1:user/\xC3\xA9", "arn:aws:iam::1:user/\t"}) {
    iam.users.push_back(Principal{user, {}, {}});
  }
  const ReconcileResult result = must(r, iam, ConfigMapContent{});
  EXPECT_THAT(describe(result.changes), ElementsAre("role added arn:aws:iam::1:role/ok any-role",
                                                    "user added arn:aws:iam::1:user/ok any-user",
                                                    "user added arn:aws:iam::1:user/\xC3\xA9 any-user"));
}

TEST(ReconcileRolesTest, ExpandedNamesAndTemplatesReadBackExactlyAndShadowingIsReported) {
  const RulesConfig r = config("", kRoleRules);
  const ReconcileResult result = must(r, roles({sso(kSsoDev), sso(kSsoAdmin)}), ConfigMapContent{});
  EXPECT_THAT(roleEntries(result.desired),
              ElementsAre(RoleMapping{written(kSsoAdmin), "sso-admin:{{SessionName}}", {"system:masters"}},
                          RoleMapping{written(kSsoDev), "sso-Dev:{{SessionNameRaw}}", {"viewers"}}));
  ASSERT_EQ(result.shadowed.size(), 2u);
  EXPECT_EQ(result.shadowed[0].arn, written(kSsoAdmin));
  EXPECT_EQ(result.shadowed[0].principal, PrincipalKind::kRole);
  EXPECT_THAT(result.shadowed[0].shadowed_rules, ElementsAre(1u, 2u));
  EXPECT_THAT(result.changes[0].principal, PrincipalKind::kRole);
}

TEST(ReconcileRolesTest, HandWrittenRoleEntriesSurviveAddAndRemoveOfManagedRolesUnderAnySpelling) {
  ConfigMapContent c;
  c.data[kMapRolesKey] =
      std::string(kNodeRoles) + "- RoleArn: " + written(kSsoDev) + "\n  username: mine\n  extra: field\n";
  const RulesConfig r = config("", kRoleRules);
  const ReconcileResult one = must(r, roles({sso(kSsoDev), sso(kSsoAdmin)}), c);
  EXPECT_THAT(one.skipped_unmanaged, ElementsAre(written(kSsoDev)));
  EXPECT_THAT(describe(one.changes),
              ElementsAre("role added " + written(kSsoAdmin) + " sso-admin:{{SessionName}}"));
  const auto entries = roleEntries(one.desired);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[1], kNode);
  EXPECT_EQ(entries[2], (RoleMapping{written(kSsoDev), "mine", {}}));
  EXPECT_THAT(one.desired.data.at(kMapRolesKey), HasSubstr("extra: field"));
  const ReconcileResult two = must(r, roles({}), one.desired);
  const auto left = roleEntries(two.desired);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0], kNode);
  EXPECT_EQ(left[1], (RoleMapping{written(kSsoDev), "mine", {}}));
}

TEST(ReconcileRolesTest, WithoutRoleRulesMapRolesAndItsAnnotationAreNotTouched) {
  ConfigMapContent c = withNodeRole();
  c.data[kMapRolesKey] += "# a comment that a re-emission would lose\n";
  c.annotations[kManagedRolesAnnotation] = "v1:";  // unbound and empty: would be rebound if roles were ours
  const RulesConfig r = config("- arnRegex: user/\n  username: u\n", "");
  IamSnapshot iam = roles({sso(kSsoAdmin)});
  iam.users.push_back(Principal{"arn:aws:iam::1:user/a", {}, {}});
  const ReconcileResult result = must(r, iam, c);
  EXPECT_EQ(result.desired.data.at(kMapRolesKey), c.data.at(kMapRolesKey));
  EXPECT_EQ(result.desired.annotations.at(kManagedRolesAnnotation), "v1:");
  EXPECT_THAT(describe(result.changes), ElementsAre("user added arn:aws:iam::1:user/a u"));

  // A user change leaves mapRoles byte-identical even when role rules exist and roles are managed.
  const RulesConfig both = config("- arnRegex: user/\n  username: u\n", kRoleRules);
  const ReconcileResult managed = must(both, iam, withNodeRole());
  IamSnapshot more = iam;
  more.users.push_back(Principal{"arn:aws:iam::1:user/b", {}, {}});
  const ReconcileResult user_only = must(both, more, managed.desired);
  EXPECT_THAT(describe(user_only.changes), ElementsAre("user added arn:aws:iam::1:user/b u"));
  EXPECT_EQ(user_only.desired.data.at(kMapRolesKey), managed.desired.data.at(kMapRolesKey));
  EXPECT_EQ(user_only.desired.annotations.at(kManagedRolesAnnotation),
            managed.desired.annotations.at(kManagedRolesAnnotation));
}

TEST(ReconcileRolesTest, RemovingEveryRoleRuleRemovesOnlyTheManagedRoleEntries) {
  const ReconcileResult managed = must(config("", kRoleRules), roles({sso(kSsoAdmin)}), withNodeRole());
  const ReconcileResult after = must(config("[]", ""), roles({sso(kSsoAdmin)}), managed.desired);
  EXPECT_THAT(describe(after.changes),
              ElementsAre("role removed " + written(kSsoAdmin) + " sso-admin:{{SessionName}}"));
  EXPECT_THAT(roleEntries(after.desired), ElementsAre(kNode));
}

TEST(ReconcileRolesTest, AnEditedManagedRoleEntryIsNoLongerOursAndABrokenRecordIsAnError) {
  const RulesConfig r = config("", kRoleRules);
  ReconcileResult managed = must(r, roles({sso(kSsoAdmin)}), ConfigMapContent{});
  ConfigMapContent edited = managed.desired;
  const std::string& text = edited.data.at(kMapRolesKey);
  edited.data[kMapRolesKey] = text.substr(0, text.find("system:masters")) + "system:edited\n";
  const ReconcileResult after = must(r, roles({}), edited);
  EXPECT_THAT(after.changes, IsEmpty());  // hand-written now: not removed with its role
  EXPECT_EQ(after.desired.data.at(kMapRolesKey), edited.data.at(kMapRolesKey));

  ConfigMapContent broken = managed.desired;
  broken.annotations[kManagedRolesAnnotation] = "not a record";
  auto refused = reconcile(r, roles({}), broken);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kParse);
  EXPECT_THAT(refused.error().message, HasSubstr(kManagedRolesAnnotation));
}

TEST(ReconcileRolesTest, AFailedExpansionGetsNoEntryIsReportedAndRemovesAnEarlierEntry) {
  const std::string rules =
      "- arnRegex: ^arn:aws:iam::1:user/vault-(?P<who>[^-]*)-ro$\n"
      "  username: \"vault:${who}\"\n";
  const RulesConfig r = config(rules, "");
  IamSnapshot iam;
  iam.users = {Principal{"arn:aws:iam::1:user/vault-alice-ro", {}, {}},
               Principal{"arn:aws:iam::1:user/vault--ro", {}, {}}};  // empty capture
  const ReconcileResult first = must(r, iam, ConfigMapContent{});
  EXPECT_THAT(describe(first.changes),
              ElementsAre("user added arn:aws:iam::1:user/vault-alice-ro vault:alice"));
  ASSERT_EQ(first.expansion_failures.size(), 1u);
  EXPECT_EQ(first.expansion_failures[0].arn, "arn:aws:iam::1:user/vault--ro");
  EXPECT_EQ(first.expansion_failures[0].rule_index, 0u);
  EXPECT_EQ(first.expansion_failures[0].principal, PrincipalKind::kUser);
  EXPECT_FALSE(first.expansion_failures[0].reason.empty());

  // An entry we wrote earlier for a principal whose expansion now fails is removed like any other.
  ConfigMapContent earlier;
  earlier.data[kMapUsersKey] = "- userarn: arn:aws:iam::1:user/vault--ro\n  username: vault:old\n";
  earlier.annotations[kManagedUsersAnnotation] =
      formatOwnership(kUid, {entryFingerprint("arn:aws:iam::1:user/vault--ro", "vault:old", {})});
  const ReconcileResult second = must(r, iam, earlier);
  EXPECT_THAT(describe(second.changes),
              ElementsAre("user removed arn:aws:iam::1:user/vault--ro vault:old",
                          "user added arn:aws:iam::1:user/vault-alice-ro vault:alice"));
}

TEST(ReconcileRolesTest, AFrozenAccountKeepsItsManagedEntriesWhileOtherAccountsAreReconciled) {
  const RulesConfig r = config("- arnRegex: user/\n  username: u\n", kRoleRules);
  IamSnapshot iam;
  iam.users = {Principal{"arn:aws:iam::111122223333:user/a", {}, {}},
               Principal{"arn:aws:iam::444455556666:user/b", {}, {}}};
  iam.roles = {Principal{sso(kSsoAdmin), {}, {}}};
  const ReconcileResult before = must(r, iam, withNodeRole());
  ASSERT_EQ(before.managed_count, 3u);

  // Account 444455556666 fails to list: its user b is neither removed nor is its new user c added; account
  // 111122223333 loses user a and its SSO role as usual.
  IamSnapshot frozen;
  frozen.users = {Principal{"arn:aws:iam::444455556666:user/c", {}, {}}};
  frozen.frozen_accounts = {"444455556666"};
  const ReconcileResult during = must(r, frozen, before.desired);
  EXPECT_THAT(describe(during.changes),
              ElementsAre("role removed " + written(kSsoAdmin) + " sso-admin:{{SessionName}}",
                          "user removed arn:aws:iam::111122223333:user/a u"));  // sorted by ARN
  EXPECT_EQ(during.users.managed_count, 1u);
  EXPECT_EQ(during.desired.annotations.at(kManagedUsersAnnotation),
            formatOwnership(kUid, {entryFingerprint("arn:aws:iam::444455556666:user/b", "u", {})}));

  // Recovered: b is gone, c arrives.
  frozen.frozen_accounts.clear();
  const ReconcileResult after = must(r, frozen, during.desired);
  EXPECT_THAT(describe(after.changes), ElementsAre("user removed arn:aws:iam::444455556666:user/b u",
                                                   "user added arn:aws:iam::444455556666:user/c u"));
}

TEST(ReconcileRolesTest, GroupRulesFollowMembershipAndAMemberLeavingLosesTheEntry) {
  const RulesConfig r = config("- iamGroup: oncall\n  username: oncall\n  groups: [system:masters]\n", "");
  IamSnapshot iam;
  iam.users = {Principal{"arn:aws:iam::1:user/alice", {}, {"oncall"}},
               Principal{"arn:aws:iam::1:user/bob", {}, {"other"}}};
  const ReconcileResult one = must(r, iam, ConfigMapContent{});
  EXPECT_THAT(describe(one.changes), ElementsAre("user added arn:aws:iam::1:user/alice oncall"));
  iam.users[0].iam_groups.clear();  // removed from the group
  const ReconcileResult two = must(r, iam, one.desired);
  EXPECT_THAT(describe(two.changes), ElementsAre("user removed arn:aws:iam::1:user/alice oncall"));
}

TEST(ReconcileRolesTest, AHandWrittenRolearnInAnotherCaseWinsAndAdoptionNeverTakesRoleEntries) {
  ConfigMapContent c;
  // Exactly what rule 2 would write, but hand-written (no record) and spelled in another case.
  c.data[kMapRolesKey] = "- rolearn: arn:aws:iam::111122223333:role/PLAIN\n  username: any-role\n";
  const RulesConfig r = config("", kRoleRules);
  ReconcileOptions options;
  options.object_uid = kUid;
  options.adopt_matching_entries = true;
  auto result = reconcile(r, roles({"arn:aws:iam::111122223333:role/plain"}), c, options);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_FALSE(result->changed);
  EXPECT_THAT(result->skipped_unmanaged, ElementsAre("arn:aws:iam::111122223333:role/plain"));
  EXPECT_THAT(result->adopted, IsEmpty());
  EXPECT_EQ(result->desired, c);
}

TEST(ReconcileRolesTest, TheSizeLimitCountsBothListsAndEveryOtherKey) {
  ConfigMapContent c;
  c.data[kMapUsersKey] = "- userarn: arn:aws:iam::1:user/admin\n  username: admin\n";
  const size_t used = dataSize(c.data);
  c.data["filler"] = std::string(kMaxConfigMapDataBytes - used - std::string("filler").size() - 40, 'x');
  // One role entry (~80 bytes) tips it over: nothing to write, and the message counts the managed entries.
  auto result = reconcile(config("", kRoleRules), roles({sso(kSsoAdmin)}), c);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kTooLarge);
  EXPECT_THAT(result.error().message, HasSubstr("(1 managed entries)"));
  // Without the role it fits.
  EXPECT_TRUE(reconcile(config("", kRoleRules), roles({}), c).ok());
}

}  // namespace
}  // namespace aar::core
