// The steps of reconcile(), one by one (reconcile_steps.hpp). reconcile_test.cpp tests them together.
#include "core/reconcile_steps.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/ownership.hpp"

namespace aar::core::reconcile_steps {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kUid[] = "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d";
constexpr char kFoo[] = "arn:aws:iam::1:user/foo";
constexpr char kBar[] = "arn:aws:iam::1:user/bar";
constexpr char kAdmin[] = "arn:aws:iam::1:user/admin";

RuleSet rules(const std::string& yaml) {
  auto r = RuleSet::parse(yaml);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : RuleSet();
}

// Rule 0 gives foo-ish users "f", rule 1 every user "any" (so it shadows rule 0 for foo).
RuleSet twoRules() {
  return rules("- arnRegex: user/foo\n  username: f\n  groups: [g]\n- arnRegex: user/\n  username: any\n");
}

std::vector<MapUsersEntry> entries(const std::string& yaml) {
  auto e = parseMapUsers(yaml);
  EXPECT_TRUE(e.ok()) << e.error().message;
  return e.ok() ? *e : std::vector<MapUsersEntry>{};
}

// The owned fingerprints as a record holds them: sorted.
std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string fp(const std::string& arn, const std::string& username, const std::vector<std::string>& groups) {
  return entryFingerprint(arn, username, groups);
}

TEST(ReconcileStepsTest, LowerArnFoldsAsciiOnly) {
  EXPECT_EQ(lowerArn("arn:aws:IAM::1:user/Dave"), "arn:aws:iam::1:user/dave");
  EXPECT_EQ(lowerArn("user/\xC3\x84"), "user/\xC3\x84");  // Ä stays as it is
}

TEST(ReconcileStepsTest, ReadOwnershipStatesAndBinding) {
  auto absent = readOwnership(std::nullopt, kUid);
  ASSERT_TRUE(absent.ok());
  EXPECT_EQ(absent->state, RecordState::kAbsent);
  EXPECT_EQ(absent->bound_uid, kUid);
  EXPECT_THAT(absent->owned, IsEmpty());

  const std::string token = fp(kFoo, "f", {"g"});
  auto unbound = readOwnership("v1:" + token, kUid);
  ASSERT_TRUE(unbound.ok());
  EXPECT_EQ(unbound->state, RecordState::kUnbound);
  EXPECT_THAT(unbound->owned, ElementsAre(token));
  EXPECT_EQ(unbound->bound_uid, kUid);

  const std::string bound_text = std::string("v2:") + kUid + ":" + token;
  auto bound = readOwnership(bound_text, kUid);
  ASSERT_TRUE(bound.ok());
  EXPECT_EQ(bound->state, RecordState::kBound);
  EXPECT_THAT(bound->owned, ElementsAre(token));

  auto unknown_object = readOwnership(bound_text, "");  // plan without a uid: the record's binding is kept
  ASSERT_TRUE(unknown_object.ok());
  EXPECT_EQ(unknown_object->state, RecordState::kBound);
  EXPECT_EQ(unknown_object->bound_uid, kUid);

  auto other = readOwnership(bound_text, "another-uid");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->state, RecordState::kOtherObject);
  EXPECT_THAT(other->owned, IsEmpty());
  EXPECT_EQ(other->bound_uid, "another-uid");
}

TEST(ReconcileStepsTest, ReadOwnershipRefusesABadUidBeforeABadRecord) {
  auto bad_uid = readOwnership("garbage", "a uid with spaces");
  ASSERT_FALSE(bad_uid.ok());
  EXPECT_EQ(bad_uid.error().kind, ErrorKind::kInvalidArgument);
  auto bad_record = readOwnership("garbage", kUid);
  ASSERT_FALSE(bad_record.ok());
  EXPECT_EQ(bad_record.error().kind, ErrorKind::kParse);
  EXPECT_THAT(bad_record.error().message,
              HasSubstr("aws-auth annotation aws-auth-refresher/managed-users: "));
}

TEST(ReconcileStepsTest, ReadCurrentStateReadsEveryValueItMustAndNamesTheBrokenOne) {
  ConfigMapContent c;
  c.data[kMapUsersKey] = std::string("- userarn: ") + kFoo + "\n  username: f\n";
  c.annotations[kManagedUsersAnnotation] = "v2::";
  auto ok = readCurrentState(c, kUid);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_EQ(ok->users.entries.size(), 1u);
  EXPECT_EQ(ok->users.entries[0].mapping.user_arn, kFoo);
  ASSERT_TRUE(ok->users.record_text.has_value());
  EXPECT_EQ(*ok->users.record_text, "v2::");
  EXPECT_EQ(ok->users.ownership.state, RecordState::kUnbound);
  EXPECT_THAT(ok->roles.entries, IsEmpty());
  EXPECT_EQ(ok->roles.ownership.state, RecordState::kAbsent);

  ConfigMapContent none;  // no mapUsers, no record: nothing, and nothing owned
  auto empty = readCurrentState(none, "");
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(empty->users.entries, IsEmpty());
  EXPECT_FALSE(empty->users.record_text.has_value());

  ConfigMapContent roles = c;  // mapRoles is read with rolearn, and its own record
  roles.data[kMapRolesKey] = "- rolearn: arn:aws:iam::1:role/Node\n  username: node\n";
  roles.annotations[kManagedRolesAnnotation] = std::string("v2:") + kUid + ":";
  auto with_roles = readCurrentState(roles, kUid);
  ASSERT_TRUE(with_roles.ok()) << with_roles.error().message;
  ASSERT_EQ(with_roles->roles.entries.size(), 1u);
  EXPECT_EQ(with_roles->roles.entries[0].mapping.user_arn, "arn:aws:iam::1:role/Node");
  EXPECT_TRUE(with_roles->roles.entries[0].canonical);
  EXPECT_EQ(with_roles->roles.ownership.state, RecordState::kBound);
  roles.annotations[kManagedRolesAnnotation] = "garbage";
  auto bad_record = readCurrentState(roles, kUid);
  ASSERT_FALSE(bad_record.ok());
  EXPECT_THAT(bad_record.error().message,
              HasSubstr(std::string("aws-auth annotation ") + kManagedRolesAnnotation + ": "));

  for (const char* key : {kMapUsersKey, kMapRolesKey, kMapAccountsKey}) {
    ConfigMapContent broken = c;
    broken.data[key] = "{not: a list}";
    auto r = readCurrentState(broken, kUid);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.error().kind, ErrorKind::kParse);
    EXPECT_THAT(r.error().message, HasSubstr(std::string("aws-auth data.") + key + ": ")) << key;
  }
}

TEST(ReconcileStepsTest, ClassifiesRecordedCanonicalEntriesAsOursAndEveryOtherAsHandWritten) {
  const auto list = entries(std::string("- userarn: ") + kFoo + "\n  username: f\n  groups: [g]\n" +
                            "- UserArn: " + kAdmin + "\n  username: admin\n" +  // not canonical
                            "- userarn: " + kBar + "\n  username: bar\n");      // canonical, not recorded
  const std::string foo_fp = fp(kFoo, "f", {"g"});
  const std::vector<std::string> owned = sorted({foo_fp, fp(kAdmin, "admin", {})});
  const Classification c = classifyEntries(list, owned, twoRules(), false);
  EXPECT_THAT(c.is_managed, ElementsAre(true, false, false));
  EXPECT_EQ(c.fingerprint_of[0], foo_fp);
  ASSERT_EQ(c.managed_by_arn.size(), 1u);
  EXPECT_THAT(c.managed_by_arn.at(kFoo), ElementsAre(0u));
  EXPECT_THAT(c.unmanaged_arns, UnorderedElementsAre(kAdmin, kBar));
  EXPECT_THAT(c.adopted, IsEmpty());
}

TEST(ReconcileStepsTest, ClassifyKeysHandWrittenArnsLowerCased) {
  const auto list = entries("- userarn: arn:aws:iam::1:user/Dave\n  username: d\n");
  const Classification c = classifyEntries(list, {}, twoRules(), false);
  EXPECT_THAT(c.unmanaged_arns, UnorderedElementsAre("arn:aws:iam::1:user/dave"));
}

TEST(ReconcileStepsTest, ClassifyAdoptsOnlyEntriesExactlyAsTheirRuleWritesThem) {
  const auto list = entries(std::string("- userarn: ") + kBar + "\n  username: any\n" +  // as rule 1 writes
                            "- userarn: " + kFoo + "\n  username: f\n");                 // rule 0 wants [g]
  const Classification off = classifyEntries(list, {}, twoRules(), false);
  EXPECT_THAT(off.is_managed, ElementsAre(false, false));
  const Classification on = classifyEntries(list, {}, twoRules(), true);
  EXPECT_THAT(on.is_managed, ElementsAre(true, false));
  EXPECT_EQ(on.fingerprint_of[0], fp(kBar, "any", {}));
  EXPECT_THAT(on.adopted, ElementsAre(kBar));
}

TEST(ReconcileStepsTest, DistinctArnsSortsDeduplicatesAndKeepsOneSpellingPerArn) {
  EXPECT_THAT(distinctArns({"b", "a", "b", "user/Dave", "user/dave", "user/DAVE"}),
              ElementsAre("a", "b", "user/DAVE"));
}

std::vector<Principal> principals(const std::vector<std::string>& arns) {
  std::vector<Principal> out;
  for (const auto& arn : arns) out.push_back(Principal{arn, {}, {}});
  return out;
}

// rule_index -> username of each desired entry.
std::map<std::string, std::pair<size_t, std::string>> desiredMap(const DesiredEntries& d) {
  std::map<std::string, std::pair<size_t, std::string>> out;
  for (const auto& [arn, e] : d.by_arn) out[std::string(arn)] = {e.rule_index, e.username};
  return out;
}

TEST(ReconcileStepsTest, ArnHelpersStripRolePathsAndFindAccountsAndServiceLinkedRoles) {
  EXPECT_EQ(roleArnWithoutPath("arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
                               "AWSReservedSSO_Admin_0123456789abcdef"),
            "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef");
  EXPECT_EQ(roleArnWithoutPath("arn:aws:iam::1:role/Plain"), "arn:aws:iam::1:role/Plain");
  EXPECT_EQ(roleArnWithoutPath("arn:aws-cn:iam::1:role/a/b/C"), "arn:aws-cn:iam::1:role/C");
  EXPECT_EQ(roleArnWithoutPath("arn:aws:iam::1:user/a/b/C"), "arn:aws:iam::1:user/a/b/C");  // not a role
  EXPECT_TRUE(
      isServiceLinkedRole("arn:aws:iam::1:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForEKS"));
  EXPECT_FALSE(isServiceLinkedRole("arn:aws:iam::1:role/aws-service-roleX/y"));
  EXPECT_FALSE(isServiceLinkedRole("arn:aws:iam::1:role/x/aws-service-role/y"));
  EXPECT_FALSE(isServiceLinkedRole("arn:aws:iam::1:user/aws-service-role/y"));
  EXPECT_EQ(arnAccount("arn:aws:iam::111122223333:role/x"), "111122223333");
  EXPECT_EQ(arnAccount("not-an-arn"), "");
}

TEST(ReconcileStepsTest, RoleCandidatesAreWrittenWithoutPathSkipServiceLinkedAndFrozenAccounts) {
  const std::vector<Principal> listed = principals({
      "arn:aws:iam::2:role/aws-reserved/sso.amazonaws.com/Admin",
      "arn:aws:iam::1:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForEKS",
      "arn:aws:iam::1:role/team/Dev",
      "arn:aws:iam::3:role/Frozen",
  });
  const auto c = candidates(listed, kindSpec(PrincipalKind::kRole), {"3"});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].arn, "arn:aws:iam::1:role/Dev");
  EXPECT_EQ(c[0].principal->arn, "arn:aws:iam::1:role/team/Dev");  // rules see the path
  EXPECT_EQ(c[1].arn, "arn:aws:iam::2:role/Admin");
  const auto users = candidates(principals({"arn:aws:iam::1:user/p/x"}), kindSpec(PrincipalKind::kUser), {});
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].arn, "arn:aws:iam::1:user/p/x");  // user ARNs are written as listed
}

TEST(ReconcileStepsTest, DesiredEntriesTakeTheFirstRuleAndSkipHandWrittenArns) {
  const std::vector<Principal> listed = principals({kAdmin, kBar, kFoo, "arn:aws:iam::1:role/none"});
  const auto arns = candidates(listed, kindSpec(PrincipalKind::kUser), {});
  const RuleSet r = twoRules();
  const DesiredEntries d = desiredEntries(arns, r, {kAdmin}, PrincipalKind::kUser);
  EXPECT_THAT(desiredMap(d), ElementsAre(Pair(kBar, Pair(1u, "any")), Pair(kFoo, Pair(0u, "f"))));
  EXPECT_THAT(d.skipped_unmanaged, ElementsAre(kAdmin));
  ASSERT_EQ(d.shadowed.size(), 1u);
  EXPECT_EQ(d.shadowed[0].arn, kFoo);
  EXPECT_EQ(d.shadowed[0].rule_index, 0u);
  EXPECT_THAT(d.shadowed[0].shadowed_rules, ElementsAre(1u));
}

// Runs the steps up to the diff on `yaml` (all of it recorded as ours) and `arns`.
struct DiffFixture {
  DiffFixture(const std::string& yaml, const std::vector<std::string>& iam,
              const std::vector<std::string>& owned, std::vector<std::string> frozen_accounts = {})
      : list(entries(yaml)),
        r(twoRules()),
        classes(classifyEntries(list, sorted(owned), r, false)),
        frozen(std::move(frozen_accounts)),
        listed(principals(iam)),
        arns(candidates(listed, kindSpec(PrincipalKind::kUser), frozen)),
        desired(desiredEntries(arns, r, classes.unmanaged_arns, PrincipalKind::kUser)),
        diff(diffEntries(list, classes, desired, arns, r, frozen, PrincipalKind::kUser)) {}
  std::vector<MapUsersEntry> list;
  RuleSet r;
  Classification classes;
  std::vector<std::string> frozen;
  std::vector<Principal> listed;
  std::vector<Candidate> arns;
  DesiredEntries desired;
  Diff diff;
};

TEST(ReconcileStepsTest, DiffKeepsUpdatesRemovesAddsAndDropsDuplicates) {
  const std::string yaml = std::string("- userarn: ") + kFoo + "\n  username: f\n  groups: [g]\n" +  // kept
                           "- userarn: " + kFoo + "\n  username: f\n  groups: [g]\n" +  // duplicate
                           "- userarn: " + kBar + "\n  username: old\n" +               // updated
                           "- userarn: " + kAdmin + "\n  username: gone\n";             // removed
  const DiffFixture f(yaml, {kFoo, kBar, "arn:aws:iam::1:user/new"},
                      {fp(kFoo, "f", {"g"}), fp(kBar, "old", {}), fp(kAdmin, "gone", {})});
  EXPECT_THAT(f.diff.keep, ElementsAre(true, false, false, false));
  EXPECT_TRUE(f.diff.dropped_duplicate);
  ASSERT_EQ(f.diff.changes.size(), 3u);
  EXPECT_EQ(f.diff.changes[0].kind, Change::Kind::kRemoved);
  EXPECT_EQ(f.diff.changes[0].arn, kAdmin);
  EXPECT_EQ(f.diff.changes[1].kind, Change::Kind::kUpdated);
  EXPECT_EQ(f.diff.changes[1].arn, kBar);
  EXPECT_EQ(f.diff.changes[1].previous_username, "old");
  EXPECT_EQ(f.diff.changes[1].username, "any");
  EXPECT_EQ(f.diff.changes[2].kind, Change::Kind::kAdded);
  EXPECT_EQ(f.diff.changes[2].arn, "arn:aws:iam::1:user/new");
  ASSERT_EQ(f.diff.to_write.size(), 2u);  // the updated and the added, in ARN order
  EXPECT_EQ(f.diff.to_write[0].arn, kBar);
  EXPECT_EQ(f.diff.to_write[1].arn, "arn:aws:iam::1:user/new");
  EXPECT_EQ(f.diff.to_write[1].entry->rule_index, 1u);
  EXPECT_EQ(f.diff.to_write[1].entry->username, "any");
}

TEST(ReconcileStepsTest, DiffKeepsEveryManagedEntryOfAFrozenAccountExactlyAsItIs) {
  const std::string frozen_old = "arn:aws:iam::9:user/old";  // would be removed (not listed)
  const std::string frozen_dup = "arn:aws:iam::9:user/foo";  // would be updated, and has a copy
  const std::string yaml = "- userarn: " + frozen_old + "\n  username: x\n" +  //
                           "- userarn: " + frozen_dup + "\n  username: stale\n" + "- userarn: " + frozen_dup +
                           "\n  username: stale\n" + "- userarn: " + kAdmin +
                           "\n  username: gone\n";  // account 1: removed
  const DiffFixture f(yaml, {frozen_dup, "arn:aws:iam::9:user/new", kBar},
                      {fp(frozen_old, "x", {}), fp(frozen_dup, "stale", {}), fp(kAdmin, "gone", {})}, {"9"});
  EXPECT_THAT(f.diff.keep, ElementsAre(true, true, true, false));
  EXPECT_FALSE(f.diff.dropped_duplicate);
  ASSERT_EQ(f.diff.changes.size(), 2u);  // only account 1: kAdmin removed, kBar added
  EXPECT_EQ(f.diff.changes[0].arn, kAdmin);
  EXPECT_EQ(f.diff.changes[0].kind, Change::Kind::kRemoved);
  EXPECT_EQ(f.diff.changes[1].arn, kBar);
  EXPECT_EQ(f.diff.changes[1].kind, Change::Kind::kAdded);
  ASSERT_EQ(f.diff.to_write.size(), 1u);
  EXPECT_EQ(f.diff.to_write[0].arn, kBar);
  EXPECT_EQ(
      ownershipRecord(kUid, f.classes, f.diff, f.r),
      formatOwnership(kUid, {fp(frozen_old, "x", {}), fp(frozen_dup, "stale", {}), fp(kBar, "any", {})}));
}

TEST(ReconcileStepsTest, DiffOfAnUpToDateStateIsEmpty) {
  const DiffFixture f(std::string("- userarn: ") + kFoo + "\n  username: f\n  groups: [g]\n", {kFoo},
                      {fp(kFoo, "f", {"g"})});
  EXPECT_THAT(f.diff.changes, IsEmpty());
  EXPECT_THAT(f.diff.to_write, IsEmpty());
  EXPECT_FALSE(f.diff.dropped_duplicate);
}

TEST(ReconcileStepsTest, OwnershipRecordListsKeptAndNewEntries) {
  const DiffFixture f(std::string("- userarn: ") + kFoo + "\n  username: f\n  groups: [g]\n", {kFoo, kBar},
                      {fp(kFoo, "f", {"g"})});
  EXPECT_EQ(ownershipRecord(kUid, f.classes, f.diff, f.r),
            formatOwnership(kUid, {fp(kFoo, "f", {"g"}), fp(kBar, "any", {})}));
  const DiffFixture none("", {}, {});
  EXPECT_EQ(ownershipRecord("", none.classes, none.diff, none.r), "v2::");
}

TEST(ReconcileStepsTest, RenderWritesOursSortedThenHandWrittenInTheirOrder) {
  const std::string yaml = std::string("- userarn: arn:aws:iam::1:user/zed\n  username: z\n  extra: kept\n") +
                           "- userarn: " + kFoo + "\n  username: f\n  groups: [g]\n" +
                           "- userarn: " + kAdmin + "\n  username: admin\n";
  const DiffFixture f(yaml, {kFoo, kBar}, {fp(kFoo, "f", {"g"})});
  auto text = renderEntries(f.list, f.classes, f.diff, f.r, MapList::kMapUsers);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text, std::string("- userarn: ") + kBar + "\n  username: any\n" +  //
                       "- userarn: " + kFoo + "\n  username: f\n  groups:\n  - g\n" +
                       "- userarn: arn:aws:iam::1:user/zed\n  username: z\n  extra: kept\n" +  //
                       "- userarn: " + kAdmin + "\n  username: admin\n");
}

TEST(ReconcileStepsTest, CheckLimitsRefusesDataOver1MiBAndAnnotationsOver256KiB) {
  ConfigMapContent c;
  c.data["k"] = std::string(kMaxConfigMapDataBytes - 1, 'x');
  EXPECT_TRUE(checkLimits(c, 7).ok());
  c.data["k"].push_back('x');
  const Status data = checkLimits(c, 7);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.error().kind, ErrorKind::kTooLarge);
  EXPECT_THAT(data.error().message, HasSubstr("(7 managed entries)"));

  ConfigMapContent a;
  a.annotations["k"] = std::string(kMaxAnnotationsBytes, 'x');
  const Status annotations = checkLimits(a, 0);
  ASSERT_FALSE(annotations.ok());
  EXPECT_THAT(annotations.error().message, HasSubstr("over the 256 KiB (262144 bytes) limit"));
}

}  // namespace
}  // namespace aar::core::reconcile_steps
