// The controller's side of rules v2 (issue #12): what it asks the PrincipalSource for (users always; roles,
// GetGroup and further accounts only when the rules need them), per-account freezing, missing IAM groups and
// username expansion failures, through the in-memory ports.
//
// Parsing mapRoles, iamGroup, accounts and ${...} expansions is the core's (core::parseRulesConfig,
// core::reconcile); the tests that need one of those skip, saying so, while the core is the users-only seam.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "controller/controller.hpp"
#include "controller/controller_fixture.hpp"
#include "controller/in_memory_ports.hpp"
#include "core/aws_auth_codec.hpp"
#include "core/reconcile.hpp"
#include "core/rules.hpp"

namespace aar::controller {
namespace {

using testing::InMemoryAwsAuth;
using testing::InMemoryIdentities;
using testing::InMemoryRules;
using testing::ManualClock;
using testing::RecordingEvents;

constexpr char kOther[] = "222233334444";
constexpr char kUsersRules[] = R"(- arnRegex: ^arn:aws:iam::[0-9]+:user/tmp-.*$
  username: tmp
  groups:
  - developers
)";
constexpr char kAccounts[] = "- roleArn: arn:aws:iam::222233334444:role/aws-auth-refresher-reader\n";
constexpr char kFoo[] = "arn:aws:iam::1234567890:user/tmp-foo";
constexpr char kFooTwo[] = "arn:aws:iam::1234567890:user/tmp-foo-two";
constexpr char kBaz[] = "arn:aws:iam::222233334444:user/tmp-baz";
constexpr char kSsoRole[] =
    "arn:aws:iam::1234567890:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
    "AWSReservedSSO_Admin_0123456789abcdef";

bool coreParses(const core::RulesText& text, bool (*has)(const core::RulesConfig&)) {
  auto parsed = core::parseRulesConfig(text, "probe");
  return parsed.ok() && has(*parsed);
}
// Whether core::reconcile(RulesConfig, IamSnapshot) handles both lists and frozen accounts (the seam reads
// mapUsers only and ignores frozen accounts).
bool coreReconcilesV2() {
  core::RulesText t;
  t.map_users = "- arnRegex: ^arn:aws:iam::111122223333:user/\n  username: someone\n";
  t.map_roles = "- arnRegex: ^arn:aws:iam::111122223333:role/\n  username: someone\n";
  auto rules = core::parseRulesConfig(t, "probe");
  if (!rules.ok() || rules->roles.empty()) return false;
  core::IamSnapshot iam;
  iam.users = {core::Principal{"arn:aws:iam::111122223333:user/u", "", {}}};
  iam.roles = {core::Principal{"arn:aws:iam::111122223333:role/p/r", "", {}}};
  auto both = core::reconcile(*rules, iam, {});
  if (!both.ok() || both->desired.data.count(core::kMapRolesKey) == 0) return false;
  iam.frozen_accounts = {"111122223333"};
  auto frozen = core::reconcile(*rules, iam, {});
  return frozen.ok() && frozen->users.managed_count == 0;
}
bool coreHasRoleRules() {
  core::RulesText t;
  t.map_roles = "- arnRegex: x\n  username: someone\n";
  return coreParses(t, [](const core::RulesConfig& c) { return !c.roles.empty(); });
}
bool coreHasGroupRules() {
  core::RulesText t;
  t.map_users = "- iamGroup: g\n  username: someone\n";
  return coreParses(t, [](const core::RulesConfig& c) { return !c.users.iamGroups().empty(); });
}
bool coreHasAccounts() {
  core::RulesText t;
  t.map_users = "[]";
  t.accounts = kAccounts;
  return coreParses(t, [](const core::RulesConfig& c) { return !c.accounts.empty(); });
}
bool coreHasExpansion() {
  auto rules = core::RuleSet::parse("- arnRegex: ^(?P<who>.*)$\n  username: \"u:${who}\"\n");
  if (!rules.ok()) return false;
  auto m = rules->match(core::Principal{"abc", {}, {}});
  return m && m->username == "u:abc";
}

std::vector<std::string> userArns(InMemoryAwsAuth& store) {
  std::vector<std::string> out;
  auto parsed = core::parseMapUsers(store.mapUsers());
  EXPECT_TRUE(parsed.ok());
  if (!parsed.ok()) return out;
  for (const auto& e : *parsed) out.push_back(e.mapping.user_arn);
  return out;
}

class ControllerRulesV2Test : public testing::ControllerFixture {
 protected:
  ControllerRulesV2Test() : ControllerFixture(kUsersRules) {}
};

TEST_F(ControllerRulesV2Test, The2019FormatAsksForTheOwnAccountsUsersOnly) {
  identities.set({kFoo});
  identities.roles = {kSsoRole};
  identities.groups["admins"] = {kFoo};
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_EQ(identities.queries.size(), 1u);
  EXPECT_FALSE(identities.queries[0].account.has_value());
  EXPECT_FALSE(identities.queries[0].roles);
  EXPECT_TRUE(identities.queries[0].iam_groups.empty());
  EXPECT_EQ(userArns(aws_auth), std::vector<std::string>{kFoo});
  EXPECT_EQ(aws_auth.content()->data.count("mapRoles"), 0u);
  EXPECT_TRUE(metricsShow("aws_auth_refresher_managed_entries_by_kind{kind=\"user\"} 1"));
  EXPECT_TRUE(metricsShow("aws_auth_refresher_managed_entries_by_kind{kind=\"role\"} 0"));
  EXPECT_TRUE(metricsShow("aws_auth_refresher_managed_entries 1"));
}

TEST_F(ControllerRulesV2Test, TheOwnAccountFailingFailsTheCycleAndWritesNothing) {
  identities.set({kFoo});
  identities.error = makeError(ErrorKind::kForbidden, "IAM ListUsers: AccessDenied");
  auto c = make();
  auto r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_FALSE(r.partial);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find("listing IAM users: IAM ListUsers: AccessDenied"), std::string::npos);
  EXPECT_EQ(aws_auth.creates + aws_auth.update_attempts, 0);
  EXPECT_TRUE(events.has("Warning", "ListUsersFailed"));
  EXPECT_FALSE(c->synced());
}

TEST_F(ControllerRulesV2Test, ListsRolesOnlyWhenSomeMapRolesRuleExists) {
  if (!coreHasRoleRules() || !coreReconcilesV2())
    GTEST_SKIP() << "core::parseRulesConfig does not read mapRoles yet, or core::reconcile does not handle "
                    "rules v2 yet (seam)";
  identities.set({kFoo});
  identities.roles = {kSsoRole};
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_EQ(identities.queries.size(), 1u);
  EXPECT_FALSE(identities.queries.back().roles);

  rules.setKeys(
      "- arnRegex: ^arn:aws:iam::1234567890:role/aws-reserved/sso.amazonaws.com/.*/AWSReservedSSO_Admin_"
      "[0-9a-f]+$\n  username: sso-admin\n  groups:\n  - system:masters\n",
      std::nullopt);
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_EQ(identities.queries.size(), 2u);
  EXPECT_TRUE(identities.queries.back().roles);
  EXPECT_TRUE(metricsShow("aws_auth_refresher_managed_entries_by_kind{kind=\"role\"} 1"));

  rules.setKeys(std::nullopt, std::nullopt);  // mapRoles removed again
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_FALSE(identities.queries.back().roles);
}

TEST_F(ControllerRulesV2Test, AsksGetGroupOnlyForTheGroupsTheRulesName) {
  if (!coreHasGroupRules() || !coreReconcilesV2())
    GTEST_SKIP()
        << "core::RuleSet does not read iamGroup yet, or core::reconcile does not handle rules v2 yet (seam)";
  identities.set({kFoo, kFooTwo});
  identities.groups["admins"] = {kFooTwo};
  identities.groups["unrelated"] = {kFoo};
  rules.setText("- iamGroup: admins\n  username: admin\n  groups:\n  - system:masters\n");
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_EQ(identities.queries.size(), 1u);
  EXPECT_EQ(identities.queries[0].iam_groups, std::vector<std::string>{"admins"});
  EXPECT_FALSE(identities.queries[0].roles);
  EXPECT_EQ(userArns(aws_auth), std::vector<std::string>{kFooTwo});

  identities.groups["admins"] = {};  // removed from the group: the entry goes
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_TRUE(userArns(aws_auth).empty());
}

TEST_F(ControllerRulesV2Test, AMissingGroupIsAnInvalidRuleAndTheLastValidRulesStay) {
  if (!coreHasGroupRules() || !coreReconcilesV2())
    GTEST_SKIP()
        << "core::RuleSet does not read iamGroup yet, or core::reconcile does not handle rules v2 yet (seam)";
  identities.set({kFoo});
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_EQ(userArns(aws_auth), std::vector<std::string>{kFoo});

  rules.setText("- iamGroup: no-such-group\n  username: admin\n");
  identities.set({kFoo, kFooTwo});
  auto r = c->runCycle();
  EXPECT_TRUE(r.success) << (r.error ? r.error->toString() : "");
  // The previous rules (tmp-.*) stay in effect: the new user gets their entry, the old one keeps it.
  EXPECT_EQ(userArns(aws_auth), (std::vector<std::string>{kFoo, kFooTwo}));
  EXPECT_EQ(metrics.configValid().value(), 0);
  bool named = false;
  for (const auto& e : events.all()) {
    named = named || (e.reason == "InvalidRules" && e.message.find("rule 0") != std::string::npos &&
                      e.message.find("no-such-group") != std::string::npos);
  }
  EXPECT_TRUE(named);
  // Reported once per rules version, not every cycle.
  size_t before = events.all().size();
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(events.all().size(), before);

  identities.groups["no-such-group"] = {kFoo};  // created: the new rules take effect
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(userArns(aws_auth), std::vector<std::string>{kFoo});
  EXPECT_EQ(metrics.configValid().value(), 1);
}

TEST_F(ControllerRulesV2Test, AMissingGroupWithNoEarlierValidRulesActsOnNothing) {
  if (!coreHasGroupRules() || !coreReconcilesV2())
    GTEST_SKIP()
        << "core::RuleSet does not read iamGroup yet, or core::reconcile does not handle rules v2 yet (seam)";
  identities.set({kFoo});
  rules.setText("- iamGroup: no-such-group\n  username: admin\n");
  auto c = make();
  auto r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_TRUE(events.has("Warning", "InvalidRules"));
  EXPECT_EQ(aws_auth.creates + aws_auth.update_attempts, 0);
}

TEST_F(ControllerRulesV2Test, AFailingAccountIsFrozenWhileTheOthersAreReconciled) {
  if (!coreHasAccounts() || !coreReconcilesV2())
    GTEST_SKIP() << "core::parseRulesConfig does not read accounts yet, or core::reconcile does not handle "
                    "rules v2 yet (seam)";
  identities.set({kFoo});
  identities.accounts[kOther].users = {core::Principal{kBaz, "AIDAOTHER", {}}};
  rules.setKeys(std::nullopt, kAccounts);
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_EQ(identities.queries.size(), 2u);
  ASSERT_TRUE(identities.queries[1].account.has_value());
  EXPECT_EQ(identities.queries[1].account->account_id, kOther);
  EXPECT_EQ(userArns(aws_auth), (std::vector<std::string>{kFoo, kBaz}));

  // The second account fails: its entry stays although it is not listed; the own account's change applies.
  identities.account_errors.emplace(kOther, makeError(ErrorKind::kForbidden, "STS AssumeRole: AccessDenied"));
  identities.set({kFoo, kFooTwo});
  auto r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_TRUE(r.partial);
  EXPECT_EQ(r.frozen_accounts, std::vector<std::string>{kOther});
  EXPECT_TRUE(r.wrote);
  EXPECT_EQ(userArns(aws_auth), (std::vector<std::string>{kFoo, kFooTwo, kBaz}));
  EXPECT_TRUE(events.has("Warning", "AccountListingFailed"));
  EXPECT_TRUE(metricsShow("aws_auth_refresher_account_listing_failures_total{account=\"222233334444\"} 1"));
  EXPECT_TRUE(c->synced());

  // Recovered, and the user is gone there: now its entry goes.
  identities.account_errors.clear();
  identities.accounts[kOther].users.clear();
  auto r3 = c->runCycle();
  EXPECT_TRUE(r3.success);
  EXPECT_FALSE(r3.partial);
  EXPECT_EQ(userArns(aws_auth), (std::vector<std::string>{kFoo, kFooTwo}));
}

constexpr char kTeamRoleRules[] = "- arnRegex: ^arn:aws:iam::1234567890:role/team/r-.*$\n  username: team\n";
std::vector<std::string> teamRoles(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("arn:aws:iam::1234567890:role/team/r-" + std::to_string(i));
  return out;
}

TEST_F(ControllerRulesV2Test, ALostMapRolesRecordIsReportedLikeTheMapUsersOne) {
  if (!coreHasRoleRules() || !coreReconcilesV2())
    GTEST_SKIP() << "core::parseRulesConfig does not read mapRoles yet, or core::reconcile does not handle "
                    "rules v2 yet (seam)";
  identities.set({kFoo});
  identities.roles = teamRoles(2);
  rules.setKeys(kTeamRoleRules, std::nullopt);
  auto c = make();
  ASSERT_TRUE(c->runCycle().wrote);
  ASSERT_EQ(aws_auth.content()->annotations.count(core::kManagedRolesAnnotation), 1u);
  aws_auth.outsideWrite(
      [](core::ConfigMapContent& content) { content.annotations.erase(core::kManagedRolesAnnotation); });
  ASSERT_TRUE(c->runCycle().success);
  bool reported = false;
  for (const auto& e : aws_auth_events.all()) {
    reported = reported || (e.reason == "OwnershipRecordLost" &&
                            e.message.find(core::kManagedRolesAnnotation) != std::string::npos &&
                            e.message.find("2 managed mapRoles entries") != std::string::npos);
  }
  EXPECT_TRUE(reported);
  EXPECT_TRUE(metricsShow("aws_auth_refresher_ownership_record_lost_total{reason=\"absent\"} 1"));
}

TEST_F(ControllerRulesV2Test, TheMassRemovalGuardCountsManagedRolesToo) {
  if (!coreHasRoleRules() || !coreReconcilesV2())
    GTEST_SKIP() << "core::parseRulesConfig does not read mapRoles yet, or core::reconcile does not handle "
                    "rules v2 yet (seam)";
  identities.set({kFoo});
  identities.roles = teamRoles(12);
  rules.setKeys(kTeamRoleRules, std::nullopt);
  auto c = make();
  ASSERT_TRUE(c->runCycle().wrote);
  EXPECT_TRUE(metricsShow("aws_auth_refresher_managed_entries_by_kind{kind=\"role\"} 12"));
  identities.roles.clear();  // an empty ListRoles: 12 of 13 managed entries would go
  auto r = c->runCycle();
  EXPECT_TRUE(r.held);
  EXPECT_FALSE(r.wrote);
  EXPECT_TRUE(events.has("Warning", "MassRemovalHeld"));
  EXPECT_TRUE(metricsShow("aws_auth_refresher_managed_entries_by_kind{kind=\"role\"} 12"));
}

TEST_F(ControllerRulesV2Test, AnExpansionFailureIsLoggedAndCountedAndGetsNoEntry) {
  if (!coreHasExpansion() || !coreReconcilesV2())
    GTEST_SKIP()
        << "core::RuleSet does not expand ${...} yet, or core::reconcile does not handle rules v2 yet (seam)";
  rules.setText(
      "- arnRegex: ^arn:aws:iam::1234567890:user/vault-(?P<who>[^-]*)-x$\n  username: \"vault:${who}\"\n");
  identities.set({"arn:aws:iam::1234567890:user/vault-alice-x", "arn:aws:iam::1234567890:user/vault--x"});
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(userArns(aws_auth), std::vector<std::string>{"arn:aws:iam::1234567890:user/vault-alice-x"});
  EXPECT_TRUE(metricsShow("aws_auth_refresher_username_expansion_failures_total 1"));
}

}  // namespace
}  // namespace aar::controller
