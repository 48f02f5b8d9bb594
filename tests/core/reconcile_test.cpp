#include "core/reconcile.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/aws_auth_codec.hpp"
#include "core/ownership.hpp"

namespace aar::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kSeedRules[] = R"(- arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
  username: foo
  groups:
  - system:masters
- arnRegex: ^arn:aws:iam::1234567890:user/tmp-bar-.*$
  username: bar
  groups:
  - developers
)";
constexpr char kNodeRole[] = R"(- rolearn: arn:aws:iam::1234567890:role/eks-node
  username: system:node:{{EC2PrivateDNSName}}
  groups:
  - system:bootstrappers
  - system:nodes
)";
constexpr char kAdmin[] = R"(# hand-written
- userarn: arn:aws:iam::1234567890:user/admin
  username: admin
  groups:
  - system:masters
)";
constexpr char kFooOne[] = "arn:aws:iam::1234567890:user/tmp-foo-one";
constexpr char kBarOne[] = "arn:aws:iam::1234567890:user/tmp-bar-one";
constexpr char kBarTwo[] = "arn:aws:iam::1234567890:user/tmp-bar-two";
constexpr char kAdminArn[] = "arn:aws:iam::1234567890:user/admin";
constexpr char kUid[] = "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d";  // aws-auth's metadata.uid

RuleSet rules(const std::string& yaml) {
  auto r = RuleSet::parse(yaml);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : RuleSet();
}

ConfigMapContent seedAwsAuth() {
  ConfigMapContent c;
  c.data[kMapRolesKey] = kNodeRole;
  c.data[kMapUsersKey] = kAdmin;
  c.annotations["kubectl.kubernetes.io/last-applied-configuration"] = "{\"x\": 1}";
  return c;
}

ReconcileResult mustReconcile(const RuleSet& r, const std::vector<std::string>& arns,
                              const ConfigMapContent& c) {
  auto result = reconcile(r, arns, c);
  EXPECT_TRUE(result.ok()) << result.error().message;
  return result.ok() ? *result : ReconcileResult{};
}

std::vector<UserMapping> users(const ConfigMapContent& c) {
  auto entries = parseMapUsers(c.data.at(kMapUsersKey));
  EXPECT_TRUE(entries.ok());
  std::vector<UserMapping> out;
  for (const auto& e : *entries) out.push_back(e.mapping);
  return out;
}

UserMapping user(std::string arn, std::string name, std::vector<std::string> groups) {
  return UserMapping{std::move(arn), std::move(name), std::move(groups), std::nullopt};
}

std::string describe(const Change& c) {
  return std::string(changeKindName(c.kind)) + " " + c.arn + " " + c.username;
}

std::vector<std::string> describe(const std::vector<Change>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(describe(c));
  return out;
}

TEST(ReconcileTest, FollowsTheSeedReadmeThroughItsThreeStepsKeepingRolesAndTheAdmin) {
  const RuleSet seed = rules(kSeedRules);
  const ConfigMapContent start = seedAwsAuth();

  // Step 1: only tmp-foo-one exists.
  ReconcileResult one = mustReconcile(seed, {kFooOne, kAdminArn}, start);
  EXPECT_TRUE(one.changed);
  EXPECT_THAT(describe(one.changes), ElementsAre(std::string("added ") + kFooOne + " foo"));
  EXPECT_EQ(one.changes[0].rule_index, 0u);
  EXPECT_THAT(users(one.desired), ElementsAre(user(kFooOne, "foo", {"system:masters"}),
                                              user(kAdminArn, "admin", {"system:masters"})));
  EXPECT_EQ(one.desired.data.at(kMapRolesKey), kNodeRole);
  EXPECT_EQ(one.desired.annotations.at("kubectl.kubernetes.io/last-applied-configuration"), "{\"x\": 1}");
  EXPECT_EQ(one.managed_count, 1u);
  EXPECT_THAT(one.desired.data.at(kMapUsersKey),
              HasSubstr("- userarn: arn:aws:iam::1234567890:user/tmp-foo-one\n"
                        "  username: foo\n"
                        "  groups:\n"
                        "  - system:masters\n"));

  // Step 2: tmp-bar-one and tmp-bar-two appear.
  ReconcileResult two = mustReconcile(seed, {kFooOne, kBarOne, kBarTwo, kAdminArn}, one.desired);
  EXPECT_TRUE(two.changed);
  EXPECT_THAT(describe(two.changes), ElementsAre(std::string("added ") + kBarOne + " bar",
                                                 std::string("added ") + kBarTwo + " bar"));
  EXPECT_THAT(
      users(two.desired),
      ElementsAre(user(kBarOne, "bar", {"developers"}), user(kBarTwo, "bar", {"developers"}),
                  user(kFooOne, "foo", {"system:masters"}), user(kAdminArn, "admin", {"system:masters"})));
  EXPECT_EQ(two.desired.data.at(kMapRolesKey), kNodeRole);

  // Step 3: tmp-foo-one and tmp-bar-two are deleted.
  ReconcileResult three = mustReconcile(seed, {kBarOne, kAdminArn}, two.desired);
  EXPECT_TRUE(three.changed);
  EXPECT_THAT(describe(three.changes), ElementsAre(std::string("removed ") + kBarTwo + " bar",
                                                   std::string("removed ") + kFooOne + " foo"));
  EXPECT_THAT(users(three.desired), ElementsAre(user(kBarOne, "bar", {"developers"}),
                                                user(kAdminArn, "admin", {"system:masters"})));
  EXPECT_EQ(three.desired.data.at(kMapRolesKey), kNodeRole);
  EXPECT_EQ(three.managed_count, 1u);

  // And then nothing changes.
  ReconcileResult again = mustReconcile(seed, {kBarOne, kAdminArn}, three.desired);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.desired, three.desired);
}

TEST(ReconcileTest, ReportsNoChangeAndReturnsCurrentByteForByte) {
  ConfigMapContent current = seedAwsAuth();
  // Nothing managed, nothing to manage: no change and no annotation added.
  ReconcileResult r = mustReconcile(rules(kSeedRules), {kAdminArn}, current);
  EXPECT_FALSE(r.changed);
  EXPECT_EQ(r.desired, current);
  EXPECT_EQ(r.desired.annotations.count(kManagedUsersAnnotation), 0u);
  // No mapUsers key at all and nothing to manage: still nothing to write.
  ConfigMapContent roles_only;
  roles_only.data[kMapRolesKey] = kNodeRole;
  ReconcileResult r2 = mustReconcile(rules("[]"), {kFooOne}, roles_only);
  EXPECT_FALSE(r2.changed);
  EXPECT_EQ(r2.desired, roles_only);
}

TEST(ReconcileTest, KeepsEntriesItDidNotWriteEvenWhenARuleMatchesTheirArn) {
  ConfigMapContent current = seedAwsAuth();
  current.data[kMapUsersKey] = std::string(kAdmin) +
                               "- userarn: arn:aws:iam::1234567890:user/tmp-foo-one\n"
                               "  username: hand-written-foo\n";
  ReconcileResult r = mustReconcile(rules(kSeedRules), {kFooOne, kAdminArn}, current);
  EXPECT_FALSE(r.changed);
  EXPECT_THAT(r.skipped_unmanaged, ElementsAre(kFooOne));
  EXPECT_THAT(r.changes, IsEmpty());
  EXPECT_EQ(r.desired, current);
}

TEST(ReconcileTest, NeverRemovesUnmanagedEntriesWhenTheirUserIsGoneOrRulesChange) {
  ConfigMapContent current = seedAwsAuth();
  // The IAM user "admin" does not exist any more and a rule would match it: still kept, still unmanaged.
  const RuleSet catch_all = rules("- {arnRegex: '.*', username: everyone}\n");
  ReconcileResult r = mustReconcile(catch_all, {kBarOne}, current);
  EXPECT_TRUE(r.changed);
  EXPECT_THAT(users(r.desired),
              ElementsAre(user(kBarOne, "everyone", {}), user(kAdminArn, "admin", {"system:masters"})));
  ReconcileResult r2 = mustReconcile(rules("[]"), {kAdminArn, kBarOne}, r.desired);
  EXPECT_THAT(users(r2.desired), ElementsAre(user(kAdminArn, "admin", {"system:masters"})));
}

TEST(ReconcileTest, RemovingARuleRemovesOnlyTheEntriesItProduced) {
  const RuleSet both = rules(kSeedRules);
  ReconcileResult first = mustReconcile(both, {kFooOne, kBarOne}, seedAwsAuth());
  const RuleSet foo_only = rules(
      "- {arnRegex: '^arn:aws:iam::1234567890:user/tmp-foo-.*$', username: foo, "
      "groups: [system:masters]}\n");
  ReconcileResult second = mustReconcile(foo_only, {kFooOne, kBarOne}, first.desired);
  EXPECT_THAT(describe(second.changes), ElementsAre(std::string("removed ") + kBarOne + " bar"));
  EXPECT_THAT(users(second.desired), ElementsAre(user(kFooOne, "foo", {"system:masters"}),
                                                 user(kAdminArn, "admin", {"system:masters"})));
}

TEST(ReconcileTest, UpdatesAManagedEntryWhenItsRuleChanges) {
  ReconcileResult first = mustReconcile(rules(kSeedRules), {kFooOne}, seedAwsAuth());
  const RuleSet changed = rules("- {arnRegex: 'tmp-foo-', username: foo2, groups: [viewers, devs]}\n");
  ReconcileResult second = mustReconcile(changed, {kFooOne}, first.desired);
  ASSERT_EQ(second.changes.size(), 1u);
  EXPECT_EQ(second.changes[0].kind, Change::Kind::kUpdated);
  EXPECT_EQ(second.changes[0].username, "foo2");
  EXPECT_THAT(second.changes[0].groups, ElementsAre("viewers", "devs"));
  EXPECT_EQ(second.changes[0].previous_username, "foo");
  EXPECT_THAT(second.changes[0].previous_groups, ElementsAre("system:masters"));
  EXPECT_THAT(users(second.desired), ElementsAre(user(kFooOne, "foo2", {"viewers", "devs"}),
                                                 user(kAdminArn, "admin", {"system:masters"})));
}

TEST(ReconcileTest, FirstMatchingRuleWinsAndShadowedMatchesAreReportedNotWritten) {
  const RuleSet r = rules(R"(- {arnRegex: 'tmp-foo-one$', username: exact, groups: [a]}
- {arnRegex: 'tmp-', username: any-tmp, groups: [b]}
- {arnRegex: 'foo', username: any-foo, groups: [c]}
)");
  ReconcileResult result = mustReconcile(r, {kFooOne, kFooOne, kBarOne}, seedAwsAuth());
  EXPECT_THAT(users(result.desired),
              ElementsAre(user(kBarOne, "any-tmp", {"b"}), user(kFooOne, "exact", {"a"}),
                          user(kAdminArn, "admin", {"system:masters"})));
  ASSERT_EQ(result.shadowed.size(), 1u);
  EXPECT_EQ(result.shadowed[0].arn, kFooOne);
  EXPECT_EQ(result.shadowed[0].rule_index, 0u);
  EXPECT_THAT(result.shadowed[0].shadowed_rules, ElementsAre(1u, 2u));
}

TEST(ReconcileTest, LeavesAManagedEntryEditedByHandAlone) {
  ReconcileResult first = mustReconcile(rules(kSeedRules), {kFooOne}, seedAwsAuth());
  ConfigMapContent edited = first.desired;
  std::string& text = edited.data[kMapUsersKey];
  const size_t at = text.find("username: foo");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 13, "username: foo-edited");
  // The edited entry is no longer ours: not reverted, and its user going away does not remove it.
  ReconcileResult second = mustReconcile(rules(kSeedRules), {kFooOne}, edited);
  EXPECT_THAT(second.skipped_unmanaged, ElementsAre(kFooOne));
  EXPECT_THAT(users(second.desired), ElementsAre(user(kFooOne, "foo-edited", {"system:masters"}),
                                                 user(kAdminArn, "admin", {"system:masters"})));
  ReconcileResult third = mustReconcile(rules(kSeedRules), {}, second.desired);
  EXPECT_THAT(users(third.desired), ElementsAre(user(kFooOne, "foo-edited", {"system:masters"}),
                                                user(kAdminArn, "admin", {"system:masters"})));
}

TEST(ReconcileTest, RemovesItsOwnEntryWhenSomeoneAddsAHandWrittenOneForTheSameArn) {
  ReconcileResult first = mustReconcile(rules(kSeedRules), {kFooOne}, seedAwsAuth());
  ConfigMapContent current = first.desired;
  current.data[kMapUsersKey] += "- userarn: arn:aws:iam::1234567890:user/tmp-foo-one\n  username: by-hand\n";
  ReconcileResult r = mustReconcile(rules(kSeedRules), {kFooOne}, current);
  EXPECT_THAT(describe(r.changes), ElementsAre(std::string("removed ") + kFooOne + " foo"));
  EXPECT_THAT(r.skipped_unmanaged, ElementsAre(kFooOne));
  EXPECT_THAT(users(r.desired),
              ElementsAre(user(kAdminArn, "admin", {"system:masters"}), user(kFooOne, "by-hand", {})));
}

TEST(ReconcileTest, RecordsOwnershipInTheAnnotationAndKeepsItWhenNothingIsLeft) {
  ReconcileResult first = mustReconcile(rules(kSeedRules), {kFooOne}, seedAwsAuth());
  const std::string record = first.desired.annotations.at(kManagedUsersAnnotation);
  EXPECT_EQ(record, "v2::" + entryFingerprint(kFooOne, "foo", {"system:masters"}));
  ReconcileResult second = mustReconcile(rules(kSeedRules), {}, first.desired);
  EXPECT_TRUE(second.changed);
  EXPECT_EQ(second.desired.annotations.at(kManagedUsersAnnotation), "v2::");
  ReconcileResult third = mustReconcile(rules(kSeedRules), {}, second.desired);
  EXPECT_FALSE(third.changed);
}

TEST(ReconcileTest, NeverAdoptsAHandWrittenEntryEvenIfItIsExactlyWhatARuleWouldWrite) {
  ConfigMapContent current = seedAwsAuth();
  current.data[kMapUsersKey] = std::string(kAdmin) +
                               "- userarn: arn:aws:iam::1234567890:user/tmp-foo-one\n"
                               "  username: foo\n  groups:\n  - system:masters\n";
  ReconcileResult r = mustReconcile(rules(kSeedRules), {kFooOne}, current);
  EXPECT_FALSE(r.changed);
  EXPECT_THAT(r.skipped_unmanaged, ElementsAre(kFooOne));
  // Its IAM user going away does not remove it either: it is not ours.
  ReconcileResult gone = mustReconcile(rules(kSeedRules), {}, current);
  EXPECT_FALSE(gone.changed);
  EXPECT_EQ(gone.desired, current);
}

TEST(ReconcileTest, CleansAStaleOwnershipRecordWithoutTouchingMapUsers) {
  ConfigMapContent current = seedAwsAuth();
  current.annotations[kManagedUsersAnnotation] =
      "v1:" + entryFingerprint("arn:aws:iam::1234567890:user/deleted-by-hand", "x", {});
  ReconcileResult r = mustReconcile(rules(kSeedRules), {kAdminArn}, current);
  EXPECT_TRUE(r.changed);
  EXPECT_THAT(r.changes, IsEmpty());
  EXPECT_EQ(r.desired.annotations.at(kManagedUsersAnnotation), "v2::");
  EXPECT_EQ(r.desired.data, current.data);  // mapUsers byte-identical: only the record is rewritten.
}

TEST(ReconcileTest, RefusesToActOnAnUnparseableOwnershipRecord) {
  ConfigMapContent current = seedAwsAuth();
  current.annotations[kManagedUsersAnnotation] = "arn:aws:iam::1234567890:user/tmp-foo-one";
  auto r = reconcile(rules(kSeedRules), {kFooOne}, current);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kParse);
  EXPECT_THAT(r.error().message, HasSubstr(kManagedUsersAnnotation));
  current.annotations[kManagedUsersAnnotation] = "v1:short";
  EXPECT_FALSE(reconcile(rules(kSeedRules), {kFooOne}, current).ok());
}

TEST(ReconcileTest, RefusesToOverwriteMapUsersOrMapRolesItCannotRead) {
  ConfigMapContent bad_users = seedAwsAuth();
  bad_users.data[kMapUsersKey] = "- userarn: [oops\n";
  auto r = reconcile(rules(kSeedRules), {kFooOne}, bad_users);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kParse);
  EXPECT_THAT(r.error().message, HasSubstr("data.mapUsers"));

  ConfigMapContent bad_roles = seedAwsAuth();
  bad_roles.data[kMapRolesKey] = "rolearn: not-a-list\n";
  auto r2 = reconcile(rules(kSeedRules), {kFooOne}, bad_roles);
  ASSERT_FALSE(r2.ok());
  EXPECT_THAT(r2.error().message, HasSubstr("data.mapRoles"));

  ConfigMapContent bad_accounts = seedAwsAuth();
  bad_accounts.data[kMapAccountsKey] = "- {a: b}\n";
  EXPECT_FALSE(reconcile(rules(kSeedRules), {kFooOne}, bad_accounts).ok());
}

TEST(ReconcileTest, CarriesOtherKeysByteIdentical) {
  ConfigMapContent current = seedAwsAuth();
  current.data[kMapAccountsKey] = "  - \"111122223333\"   # odd spacing kept\n";
  current.data["custom"] = "not: [yaml\n\tat all";
  ReconcileResult r = mustReconcile(rules(kSeedRules), {kFooOne}, current);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.desired.data.at(kMapAccountsKey), current.data.at(kMapAccountsKey));
  EXPECT_EQ(r.desired.data.at("custom"), current.data.at("custom"));
  EXPECT_EQ(r.desired.data.at(kMapRolesKey), current.data.at(kMapRolesKey));
}

TEST(ReconcileTest, ReturnsTooLargeRatherThanDataOverOneMebibyte) {
  ConfigMapContent current = seedAwsAuth();
  current.data["padding"] = std::string(kMaxConfigMapDataBytes - dataSize(current.data) - 200, 'x');
  auto r = reconcile(rules(kSeedRules), {kFooOne, kBarOne, kBarTwo}, current);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTooLarge);
  EXPECT_THAT(r.error().message, HasSubstr("1 MiB"));
}

// 10,000 managed users. Sizes per block-style entry: ARN + username + groups + 46 bytes of YAML (see
// docs/core.md).
std::vector<std::string> manyArns(size_t n, const char* format) {
  std::vector<std::string> arns;
  for (size_t i = 0; i < n; ++i) {
    char buf[128];
    std::snprintf(buf, sizeof buf, format, (i * 2654435761u) & 0xffffffffu, i % 10000, 1700000000 + i);
    arns.emplace_back(buf);
  }
  return arns;
}

constexpr char kVaultRule[] =
    "- {arnRegex: '^arn:aws:iam::123456789012:user/vault-', username: v, groups: [dev]}\n";

TEST(ReconcileTest, HoldsTenThousandManagedUsersWithinTheAnnotationAndDataLimits) {
  // 53-character ARNs (vault-ci-<8 hex>-<4 digits>): 97 bytes per entry, 970,008 bytes of data.
  const auto arns = manyArns(10000, "arn:aws:iam::123456789012:user/vault-ci-%08zx-%04zu");
  ASSERT_EQ(arns[0].size(), 53u);
  const ReconcileOptions bound{.adopt_matching_entries = false, .object_uid = kUid};
  auto reconciled = reconcile(rules(kVaultRule), arns, ConfigMapContent{}, bound);
  ASSERT_TRUE(reconciled.ok()) << reconciled.error().message;
  const ReconcileResult& result = *reconciled;
  ASSERT_TRUE(result.changed);
  EXPECT_EQ(result.managed_count, 10000u);
  // The ownership record: "v2:" + a 36-character uid + ":" + 13 bytes per user - 1: 130,039 bytes for 10,000,
  // half the 262,144-byte budget (130,071 with the annotation's key).
  EXPECT_EQ(result.desired.annotations.at(kManagedUsersAnnotation).size(), 130039u);
  EXPECT_EQ(annotationsSize(result.desired.annotations), 130071u);
  EXPECT_LE(annotationsSize(result.desired.annotations), kMaxAnnotationsBytes);
  EXPECT_EQ(dataSize(result.desired.data), 8u + 10000u * (53u + 44u));
  EXPECT_LE(dataSize(result.desired.data), kMaxConfigMapDataBytes);
  auto again = reconcile(rules(kVaultRule), arns, result.desired, bound);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_EQ(again->record_state, RecordState::kBound);
  EXPECT_EQ(again->recorded_count, 10000u);
}

TEST(ReconcileTest, ReportsTooLargeForTenThousandLongArnsInsteadOfWritingThem) {
  // The issue's Vault form, vault-token-<role>-<10 digits>-<8 random>: 69 characters with a 6-letter role,
  // 113 bytes per entry, 1,130,008 bytes for 10,000 - over 1 MiB in any YAML layout (flow style saves 2 bytes
  // an entry). The record would fit; the data cannot, and reconcile says so instead of writing.
  const auto arns = manyArns(10000, "arn:aws:iam::123456789012:user/vault-token-deploy-%3$010zu-%1$08zx");
  ASSERT_EQ(arns[0].size(), 69u);
  auto result = reconcile(rules(kVaultRule), arns, ConfigMapContent{});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ErrorKind::kTooLarge);
  EXPECT_THAT(result.error().message, HasSubstr("1130008 bytes (10000 managed entries)"));
}

// What the 2019 Go tool left behind: entries in our exact shape, but no ownership record.
ConfigMapContent goToolAwsAuth() {
  ConfigMapContent c = seedAwsAuth();
  c.data[kMapUsersKey] = std::string(kAdmin) + R"(- userarn: arn:aws:iam::1234567890:user/tmp-foo-one
  username: foo
  groups:
  - system:masters
- userarn: arn:aws:iam::1234567890:user/tmp-foo-gone
  username: foo
  groups:
  - system:masters
- userarn: arn:aws:iam::1234567890:user/tmp-bar-edited
  username: bar
  groups:
  - developers
  - extra-by-hand
)";
  return c;
}

TEST(ReconcileTest, LeavesEntriesWithoutARecordAloneUnlessAskedToAdoptThem) {
  const RuleSet seed = rules(kSeedRules);
  const std::vector<std::string> arns = {kFooOne, kAdminArn, "arn:aws:iam::1234567890:user/tmp-bar-edited"};
  ReconcileResult plain = mustReconcile(seed, arns, goToolAwsAuth());
  EXPECT_FALSE(plain.changed);  // every entry is unmanaged: nothing to add, nothing of ours to remove.
  EXPECT_THAT(plain.adopted, IsEmpty());
}

TEST(ReconcileTest, AdoptsEntriesExactlyAsARuleWritesThemAndRemovesThoseOfDeletedUsers) {
  const RuleSet seed = rules(kSeedRules);
  const std::string edited = "arn:aws:iam::1234567890:user/tmp-bar-edited";
  const std::vector<std::string> arns = {kFooOne, kAdminArn, edited};
  auto adopted = reconcile(seed, arns, goToolAwsAuth(),
                           ReconcileOptions{.adopt_matching_entries = true, .object_uid = {}});
  ASSERT_TRUE(adopted.ok()) << adopted.error().message;
  // tmp-foo-one and tmp-foo-gone are exactly what rule 0 writes; the admin matches no rule; tmp-bar-edited
  // has a group no rule gives, so a human changed it and it stays theirs.
  EXPECT_THAT(adopted->adopted, ElementsAre("arn:aws:iam::1234567890:user/tmp-foo-gone", kFooOne));
  EXPECT_THAT(describe(adopted->changes),
              ElementsAre("removed arn:aws:iam::1234567890:user/tmp-foo-gone foo"));
  EXPECT_THAT(adopted->skipped_unmanaged, ElementsAre(edited));
  EXPECT_THAT(users(adopted->desired), ElementsAre(user(kFooOne, "foo", {"system:masters"}),
                                                   user(kAdminArn, "admin", {"system:masters"}),
                                                   user(edited, "bar", {"developers", "extra-by-hand"})));
  EXPECT_EQ(adopted->managed_count, 1u);
  EXPECT_EQ(adopted->desired.data.at(kMapRolesKey), kNodeRole);

  // From now on tmp-foo-one is ours: it goes when the user does, even without adoption.
  ReconcileResult gone = mustReconcile(seed, {kAdminArn, edited}, adopted->desired);
  EXPECT_THAT(describe(gone.changes), ElementsAre(std::string("removed ") + kFooOne + " foo"));
  EXPECT_THAT(users(gone.desired), ElementsAre(user(kAdminArn, "admin", {"system:masters"}),
                                               user(edited, "bar", {"developers", "extra-by-hand"})));
}

TEST(ReconcileTest, AdoptingEntriesThatStayOnlyWritesTheRecord) {
  const RuleSet seed = rules(kSeedRules);
  ConfigMapContent current = seedAwsAuth();
  current.data[kMapUsersKey] =
      std::string(kAdmin) + "- userarn: " + kFooOne + "\n  username: foo\n  groups:\n  - system:masters\n";
  auto adopted = reconcile(seed, {kFooOne, kAdminArn}, current,
                           ReconcileOptions{.adopt_matching_entries = true, .object_uid = {}});
  ASSERT_TRUE(adopted.ok()) << adopted.error().message;
  EXPECT_TRUE(adopted->changed);
  EXPECT_THAT(adopted->changes, IsEmpty());
  EXPECT_EQ(adopted->desired.data, current.data);  // byte for byte: only the record is new.
  EXPECT_EQ(adopted->desired.annotations.at(kManagedUsersAnnotation),
            formatOwnership("", {entryFingerprint(kFooOne, "foo", {"system:masters"})}));
  auto again = reconcile(seed, {kFooOne, kAdminArn}, adopted->desired,
                         ReconcileOptions{.adopt_matching_entries = true, .object_uid = {}});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->changed);
  EXPECT_THAT(again->adopted, IsEmpty());
}

// Issue #10, problem 1: aws-iam-authenticator reads `UserArn` as userarn, keys by the lower-cased ARN and
// keeps the last entry; a rule that matches everyone must not turn dave's hand-written restriction into
// system:masters.
TEST(ReconcileTest, NeverAddsAnEntryForAnArnWithAHandWrittenEntryUnderAnySpelling) {
  ConfigMapContent c;
  c.data[kMapUsersKey] =
      "- UserArn: arn:aws:iam::1234567890:user/Dave\n  username: dave-view\n  groups: [view]\n";
  const RuleSet everyone = rules("- arnRegex: user/\n  username: all\n  groups: [system:masters]\n");
  const std::string dave = "arn:aws:iam::1234567890:user/dave";
  const std::string erin = "arn:aws:iam::1234567890:user/erin";
  ReconcileResult r = mustReconcile(everyone, {dave, erin}, c);
  EXPECT_THAT(r.skipped_unmanaged, ElementsAre(dave));
  EXPECT_THAT(describe(r.changes), ElementsAre("added " + erin + " all"));
  EXPECT_THAT(users(r.desired),
              ElementsAre(user(erin, "all", {"system:masters"}),
                          user("arn:aws:iam::1234567890:user/Dave", "dave-view", {"view"})));
}

// The same with aws-iam-authenticator's crazy-case fixture: the break-glass admin keeps system:masters.
TEST(ReconcileTest, KeepsTheCrazyCaseAdminAndRemovesOurEntryForIt) {
  const std::string admin = "arn:aws:iam::555555555555:user/admin";
  const std::string ours = "- userarn: " + admin + "\n  username: viewer\n  groups:\n  - viewers\n";
  ConfigMapContent c;
  // An earlier version wrote our entry after the hand-written one (sorted by ARN): the admin was downgraded.
  c.data[kMapUsersKey] =
      "- uSeRaRn: " + admin + "\n  UsErNaMe: admin\n  gRoUpS:\n    - system:masters\n" + ours;
  c.annotations[kManagedUsersAnnotation] =
      formatOwnership("", {entryFingerprint(admin, "viewer", {"viewers"})});
  const RuleSet viewers =
      rules("- arnRegex: ^arn:aws:iam::555555555555:user/\n  username: viewer\n  groups: [viewers]\n");
  ReconcileResult r = mustReconcile(viewers, {admin}, c);
  EXPECT_THAT(describe(r.changes), ElementsAre("removed " + admin + " viewer"));
  EXPECT_THAT(users(r.desired), ElementsAre(user(admin, "admin", {"system:masters"})));
  EXPECT_EQ(r.managed_count, 0u);
  EXPECT_FALSE(mustReconcile(viewers, {admin}, r.desired).changed);
}

// Hand-written entries keep their relative order (the last one for an ARN is the one in force); ours go
// first.
TEST(ReconcileTest, KeepsHandWrittenEntriesInTheirOrderAndPutsOursBeforeThem) {
  ConfigMapContent c;
  c.data[kMapUsersKey] = R"(- userarn: arn:aws:iam::1:user/zed
  username: z
- userarn: arn:aws:iam::1:user/amy
  username: first
- USERARN: arn:aws:iam::1:user/AMY
  username: second
)";
  const RuleSet all = rules("- arnRegex: user/\n  username: all\n");
  ReconcileResult r = mustReconcile(all, {"arn:aws:iam::1:user/bob", "arn:aws:iam::1:user/amy"}, c);
  EXPECT_THAT(users(r.desired), ElementsAre(user("arn:aws:iam::1:user/bob", "all", {}),
                                            user("arn:aws:iam::1:user/zed", "z", {}),
                                            user("arn:aws:iam::1:user/amy", "first", {}),
                                            user("arn:aws:iam::1:user/AMY", "second", {})));
}

// We never write what we could not read: an alias anywhere in mapUsers, mapRoles or mapAccounts stops the
// cycle.
TEST(ReconcileTest, RefusesAnAwsAuthWithYamlAliases) {
  for (const char* key : {kMapUsersKey, kMapRolesKey, kMapAccountsKey}) {
    ConfigMapContent c = seedAwsAuth();
    c.data[key] = std::string(key) == kMapAccountsKey ? "- &a \"111122223333\"\n- *a\n"
                                                      : "- &a {userarn: x, rolearn: y, username: z}\n- *a\n";
    auto r = reconcile(rules(kSeedRules), {kFooOne}, c);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.error().kind, ErrorKind::kParse);
    EXPECT_THAT(r.error().message, HasSubstr(std::string("aws-auth data.") + key + ": "));
    EXPECT_THAT(r.error().message, HasSubstr("YAML alias *a at line 2 is not allowed"));
  }
}

// A lone CR in a hand-written entry is a line break to aws-iam-authenticator but not to every YAML reader:
// the cycle stops rather than rewrite the entry as one reader sees it (found by fuzzing reconcile).
TEST(ReconcileTest, RefusesAnAwsAuthWithALineBreakReadersDisagreeOn) {
  for (const char* key : {kMapUsersKey, kMapRolesKey}) {
    ConfigMapContent c = seedAwsAuth();
    c.data[key] = std::string("- ") + (std::string(key) == kMapUsersKey ? "userarn" : "rolearn") +
                  ": arn:aws:iam::0:user/M\r\r\r\n";
    auto r = reconcile(rules(kSeedRules), {kFooOne}, c);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.error().kind, ErrorKind::kParse);
    EXPECT_THAT(r.error().message, HasSubstr(std::string("aws-auth data.") + key + ": "));
    EXPECT_THAT(r.error().message, HasSubstr("holds a carriage return without a line feed"));
  }
}

// The ownership record is bound to aws-auth's metadata.uid (ReconcileOptions::object_uid).
ReconcileOptions boundTo(std::string uid) {
  return ReconcileOptions{.adopt_matching_entries = false, .object_uid = std::move(uid)};
}

ConfigMapContent withOurFoo(const std::string& record) {
  ConfigMapContent c = seedAwsAuth();
  c.data[kMapUsersKey] =
      std::string("- userarn: ") + kFooOne + "\n  username: foo\n  groups:\n  - system:masters\n" + kAdmin;
  c.annotations[kManagedUsersAnnotation] = record;
  return c;
}

const std::string kFooPrint = entryFingerprint(kFooOne, "foo", {"system:masters"});

TEST(ReconcileTest, WithoutARecordNothingIsOursAndTheNewRecordIsBoundToTheObject) {
  auto r = reconcile(rules(kSeedRules), {kFooOne}, seedAwsAuth(), boundTo(kUid));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->record_state, RecordState::kAbsent);
  EXPECT_EQ(r->recorded_count, 0u);
  EXPECT_EQ(r->desired.annotations.at(kManagedUsersAnnotation), std::string("v2:") + kUid + ":" + kFooPrint);
}

TEST(ReconcileTest, ARecordBoundToThisObjectIsOursAndNothingIsRewritten) {
  const ConfigMapContent c = withOurFoo(std::string("v2:") + kUid + ":" + kFooPrint);
  auto r = reconcile(rules(kSeedRules), {kFooOne}, c, boundTo(kUid));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->record_state, RecordState::kBound);
  EXPECT_EQ(r->recorded_count, 1u);
  EXPECT_FALSE(r->changed);
  EXPECT_EQ(r->desired, c);
  // Its user going away removes it: it is ours.
  auto gone = reconcile(rules(kSeedRules), {}, c, boundTo(kUid));
  ASSERT_TRUE(gone.ok());
  EXPECT_THAT(describe(gone->changes), ElementsAre(std::string("removed ") + kFooOne + " foo"));
}

TEST(ReconcileTest, AnUnboundRecordIsAcceptedAndRewrittenBoundOnce) {
  // v1 (earlier versions) and v2 with an empty uid (written when the uid was not known).
  for (const std::string& record : {"v1:" + kFooPrint, "v2::" + kFooPrint}) {
    const ConfigMapContent c = withOurFoo(record);
    auto r = reconcile(rules(kSeedRules), {kFooOne}, c, boundTo(kUid));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->record_state, RecordState::kUnbound) << record;
    EXPECT_EQ(r->recorded_count, 1u);
    EXPECT_TRUE(r->changed);  // the one write after an upgrade
    EXPECT_THAT(r->changes, IsEmpty());
    EXPECT_EQ(r->desired.data, c.data);
    EXPECT_EQ(r->desired.annotations.at(kManagedUsersAnnotation),
              std::string("v2:") + kUid + ":" + kFooPrint);
    auto next = reconcile(rules(kSeedRules), {kFooOne}, r->desired, boundTo(kUid));
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(next->record_state, RecordState::kBound);
    EXPECT_FALSE(next->changed);
  }
}

TEST(ReconcileTest, ARecordBoundToAnotherObjectCountsAsNoRecordAndIsReplaced) {
  const ConfigMapContent c = withOurFoo("v2:0b1e4c1a-copied-from-elsewhere:" + kFooPrint);
  auto r = reconcile(rules(kSeedRules), {kFooOne}, c, boundTo(kUid));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->record_state, RecordState::kOtherObject);
  EXPECT_EQ(r->recorded_count, 0u);
  // The entry it lists is hand-written here: kept, never removed, no entry of ours added for its ARN.
  EXPECT_THAT(r->skipped_unmanaged, ElementsAre(kFooOne));
  EXPECT_THAT(r->changes, IsEmpty());
  EXPECT_EQ(r->managed_count, 0u);
  EXPECT_EQ(r->desired.data, c.data);
  EXPECT_EQ(r->desired.annotations.at(kManagedUsersAnnotation), std::string("v2:") + kUid + ":");
  auto gone = reconcile(rules(kSeedRules), {}, c, boundTo(kUid));
  ASSERT_TRUE(gone.ok());
  EXPECT_THAT(gone->changes, IsEmpty());
  EXPECT_EQ(gone->desired.data, c.data);
}

TEST(ReconcileTest, WithoutAnObjectUidTheRecordKeepsTheUidItHas) {
  auto bound =
      reconcile(rules(kSeedRules), {kFooOne}, withOurFoo(std::string("v2:") + kUid + ":" + kFooPrint));
  ASSERT_TRUE(bound.ok());
  EXPECT_EQ(bound->record_state, RecordState::kBound);
  EXPECT_FALSE(bound->changed);
  auto v1 = reconcile(rules(kSeedRules), {kFooOne}, withOurFoo("v1:" + kFooPrint));
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->record_state, RecordState::kUnbound);
  EXPECT_EQ(v1->desired.annotations.at(kManagedUsersAnnotation), "v2::" + kFooPrint);
  auto next = reconcile(rules(kSeedRules), {kFooOne}, v1->desired);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->record_state, RecordState::kUnbound);
  EXPECT_FALSE(next->changed);
}

TEST(ReconcileTest, RefusesARecordOrAnObjectUidThatIsNotAUid) {
  for (const std::string& record : {std::string("v2:a,b:"), std::string("v2:no-second-colon"),
                                    std::string("v3::"), "v2:" + std::string(129, 'a') + ":"}) {
    auto r = reconcile(rules(kSeedRules), {kFooOne}, withOurFoo(record), boundTo(kUid));
    ASSERT_FALSE(r.ok()) << record;
    EXPECT_EQ(r.error().kind, ErrorKind::kParse) << record;
  }
  auto r = reconcile(rules(kSeedRules), {kFooOne}, seedAwsAuth(), boundTo("a:b"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
}

// Two listed ARNs that differ only in case are one key to aws-iam-authenticator: one entry, for the first.
TEST(ReconcileTest, WritesOneEntryForListedArnsThatDifferOnlyInCase) {
  const RuleSet all = rules("- arnRegex: user/\n  username: all\n");
  ReconcileResult r =
      mustReconcile(all, {"arn:aws:iam::1:user/amy", "arn:aws:iam::1:user/Amy"}, ConfigMapContent{});
  EXPECT_THAT(users(r.desired), ElementsAre(user("arn:aws:iam::1:user/Amy", "all", {})));
  EXPECT_EQ(r.managed_count, 1u);
}

}  // namespace
}  // namespace aar::core
