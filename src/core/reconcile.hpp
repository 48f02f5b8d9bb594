// reconcile(): what kube-system/aws-auth must contain, given the rules, the IAM users and roles that exist
// and what aws-auth contains now. A pure function: no I/O, no clock, no globals. The controller calls it once
// per cycle with a complete, consistent view (never with partial data: if a listing failed, do not call it,
// or, for one account of several, name that account in IamSnapshot::frozen_accounts).
//
// Two lists, one code path: mapUsers (key userarn, record kManagedUsersAnnotation) and mapRoles (key rolearn,
// record kManagedRolesAnnotation) go through the same steps (reconcile_steps.hpp, a KindSpec per list). The
// contract below holds for each list on its own; "ARN" is userarn or rolearn.
//
// Contract:
//   - Every data key other than mapUsers and mapRoles is carried over byte-identical; every annotation other
//     than the two records too.
//   - A list holds two kinds of entries. Managed entries are the ones aws-auth-refresher wrote, as recorded
//     in that list's ownership annotation (below). Every other entry is unmanaged: it is never changed or
//     removed, by a rule change or a restart; it is re-emitted with all its fields (unknown ones too). Node
//     roles in mapRoles are such entries.
//   - A managed entry exists iff its principal is listed, matches a rule (RuleSet::match: the pattern, the
//     iamGroup, the ${...} expansion), and its username expanded; the first matching rule (lowest index)
//     gives username and groups; one entry per ARN; the other rules that match are reported in `shadowed`,
//     not written. An ARN that already has an unmanaged entry gets no managed entry (it is listed in
//     `skipped_unmanaged`; a managed entry we wrote earlier for it is removed). ARNs are compared as
//     aws-iam-authenticator keys them: lower-cased, and read from userarn / rolearn under any spelling of the
//     key (`UserArn`, `ROLEARN`...), so a hand-written entry is recognised however it is written.
//   - Roles: rules see the ARN ListRoles gives, path included; the entry's rolearn is that ARN without its
//     path (arn:aws:iam::111122223333:role/Name), which is what aws-iam-authenticator compares with. Roles
//     under the path /aws-service-role/ (service-linked) never match.
//   - Expansion failures: a principal whose rule matched but whose username did not expand (RuleMatch::
//     expansion_error) gets no entry and is listed in `expansion_failures`; a managed entry we wrote for it
//     earlier is removed, like the entry of any principal that no longer has a valid desired entry (it is
//     never left with a stale name, and never half-built).
//   - Frozen accounts (IamSnapshot::frozen_accounts): every managed entry of either list whose ARN is in a
//     frozen account is kept exactly as it is (not added, removed or updated; copies of it too), the record
//     keeps its fingerprint, and the listed principals of that account are ignored. Other accounts are
//     reconciled normally.
//   - Removing a rule removes the entries it produced, and only those.
//   - If mapUsers, mapRoles or mapAccounts does not parse, or either ownership annotation does not parse: an
//     Error (kParse), never a guess.
//   - changed == false means: write nothing. Then desired == current (byte-identical data and annotations).
//   - A list is re-emitted only when one of its managed entries changes (or an identical copy of one is
//     dropped); otherwise its value stays byte-identical. When re-emitted it is in block style: first the
//     managed entries, sorted by ARN, keys in the order userarn / rolearn, username, groups; then every
//     unmanaged entry in its original order, with its fields and values but not its comments or layout.
//     aws-iam-authenticator keeps the last entry for an ARN, so no managed entry can win over a hand-written
//     one, and hand-written entries keep deciding among themselves which one is in force. Usernames with
//     aws-iam-authenticator templates ({{SessionName}}) are written verbatim, quoted where YAML needs it.
//   - With no mapRoles rule and no managed mapRoles entry, mapRoles and kManagedRolesAnnotation are not
//     touched at all (not even to rebind an empty record): the result is exactly the users-only one.
//   - New data over kMaxConfigMapDataBytes, or annotations over kMaxAnnotationsBytes (both lists counted):
//     kTooLarge, nothing to write.
//   - Each new list is parsed back and compared with what was intended; kInternal if it differs.
//   - Adoption (options.adopt_matching_entries, off by default; for upgrades from the 2019 tool, which kept
//     no record and wrote mapUsers only, so it applies to mapUsers only): an unmanaged entry with exactly the
//     keys we write, whose username and groups are what the first rule matching its ARN gives, is taken as
//     managed from now on (listed in `adopted`): kept while its IAM user exists, removed when the user is
//     gone. Entries that differ in any way stay unmanaged.
//   - Reports (`changes`, `shadowed`, `skipped_unmanaged`, `expansion_failures`) name the ARN as written to
//     aws-auth (for roles: without the path) and say which list (PrincipalKind).
//
// Ownership record, one per list: annotation kManagedUsersAnnotation (kManagedRolesAnnotation for mapRoles)
// on aws-auth (format in ownership.hpp; for mapRoles the fingerprint is over rolearn): "v2:<uid>:"
// then the sorted, comma-separated fingerprints of the managed entries; a fingerprint is base64url(first 9
// bytes of SHA-256 over a length-prefixed encoding of userarn, username and groups), 12 characters. 10,000
// entries with a 36-character uid take a 130,039-byte value, half of the 256 KiB annotation limit (tested).
// An entry is managed iff it has exactly the keys we write and its fingerprint is in the record, so an entry
// someone edited by hand is no longer ours and is left alone. A missing annotation means nothing is managed
// (first run); when nothing is managed and nothing is to be managed the annotation is not added.
//
// The record is bound to options.object_uid (aws-auth's metadata.uid); `record_state` says what was read:
//   - kAbsent: no annotation.
//   - kBound: a v2 record naming object_uid (or naming any uid when object_uid is empty: we cannot check it,
//     and its binding is kept as it is).
//   - kUnbound: a v1 record (earlier versions) or a v2 record with an empty uid. Accepted, and rewritten
//     bound to object_uid: one write after an upgrade, even when mapUsers does not change.
//   - kOtherObject: a v2 record naming another uid (copied from another cluster or object). Counts as no
//     record: recorded_count is 0, every entry it lists is hand-written, and it is replaced by our own
//     record.
// object_uid that is not a Kubernetes uid ([A-Za-z0-9._-], at most 128 characters): kInvalidArgument. See
// docs/core.md.
//
// How: reconcile() calls the pure steps of reconcile_steps.hpp in order (read the current state; per list:
// classify the entries, the candidates, the desired entries, the diff, the ownership record, render; then
// check the limits).
//
// Thread-safety: a pure function of its arguments.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/config_map.hpp"
#include "core/result.hpp"
#include "core/rules.hpp"

namespace aar::core {

inline constexpr char kMapUsersKey[] = "mapUsers";
inline constexpr char kMapRolesKey[] = "mapRoles";
inline constexpr char kMapAccountsKey[] = "mapAccounts";
inline constexpr char kManagedUsersAnnotation[] = "aws-auth-refresher/managed-users";
inline constexpr char kManagedRolesAnnotation[] = "aws-auth-refresher/managed-roles";

// Which aws-auth list an entry belongs to: mapUsers (userarn) or mapRoles (rolearn).
enum class PrincipalKind { kUser, kRole };
const char* principalKindName(PrincipalKind kind);  // "user", "role"

struct Change {
  enum class Kind { kAdded, kRemoved, kUpdated };
  Kind kind = Kind::kAdded;
  std::string arn;
  // The entry after the change (for kRemoved: the entry that was removed).
  std::string username;
  std::vector<std::string> groups;
  // The rule that produced the new entry; nullopt for kRemoved.
  std::optional<size_t> rule_index;
  // For kUpdated: the entry before the change.
  std::string previous_username;
  std::vector<std::string> previous_groups;
  PrincipalKind principal = PrincipalKind::kUser;  // mapUsers or mapRoles.
};

const char* changeKindName(Change::Kind kind);  // "added", "removed", "updated"

// A principal (IAM user or role; `arn` as written to aws-auth) matched by more than one rule: `rule_index`
// won, `shadowed_rules` did not (ascending).
struct ShadowedMatch {
  std::string arn;
  size_t rule_index = 0;
  std::vector<size_t> shadowed_rules;
  PrincipalKind principal = PrincipalKind::kUser;
};

// The ownership record as read from aws-auth.
enum class RecordState {
  kAbsent,   // no annotation: nothing is ours.
  kBound,    // a record bound to this object's metadata.uid.
  kUnbound,  // a record that names no object (written by an earlier version, or before the uid was known).
  kOtherObject,  // a record bound to another object (copied from another cluster or object): counts as none.
};

// A principal that matched a rule but gets no entry because its username did not expand (RuleMatch).
struct ExpansionFailure {
  PrincipalKind principal = PrincipalKind::kUser;
  std::string arn;
  size_t rule_index = 0;
  std::string reason;
};

// Per list (mapUsers, mapRoles): what is managed and what the ownership record said.
struct KindSummary {
  size_t managed_count = 0;                         // managed entries in desired.
  RecordState record_state = RecordState::kAbsent;  // the record in `current`.
  size_t recorded_count = 0;                        // entries that record lists (0: kAbsent, kOtherObject).
};

struct ReconcileResult {
  bool changed = false;                        // false: write nothing (desired == current).
  ConfigMapContent desired;                    // the whole new data and annotations.
  std::vector<Change> changes;                 // both lists, sorted by ARN (then kind).
  std::vector<ShadowedMatch> shadowed;         // sorted by ARN.
  std::vector<std::string> skipped_unmanaged;  // matched ARNs that keep their unmanaged entry; sorted.
  // Managed entries in desired, both lists (users.managed_count + roles.managed_count): `changes` cover both
  // lists, so "managed before" = managed_count - added + removed holds.
  size_t managed_count = 0;
  std::vector<std::string> adopted;  // ARNs of unmanaged entries taken over (adoption, mapUsers); sorted.
  // The mapUsers record in `current` (users.record_state); the per-list states are in users / roles.
  RecordState record_state = RecordState::kAbsent;
  // Entries both records in `current` list (users.recorded_count + roles.recorded_count; 0 for a record that
  // is kAbsent or kOtherObject), so that it compares with the managed_count of the write before.
  size_t recorded_count = 0;
  // Per list.
  KindSummary users;
  KindSummary roles;
  std::vector<ExpansionFailure> expansion_failures;  // sorted by kind, then ARN.
};

struct ReconcileOptions {
  // Take over unmanaged entries that are exactly what a rule would write (see the contract). Default: false.
  bool adopt_matching_entries = false;
  // metadata.uid of the aws-auth object `current` was read from; the ownership record is bound to it. Empty
  // when unknown (e.g. `plan` on a manifest without a uid). Default: empty.
  std::string object_uid;
};

// Everything reconcile knows about IAM in one cycle: complete listings (never partial), except for the
// accounts in frozen_accounts.
struct IamSnapshot {
  std::vector<Principal> users;  // any order, duplicates allowed.
  std::vector<Principal> roles;  // ARNs as ListRoles returns them (with their path).
  // 12-digit account ids whose listing failed this cycle: every managed entry whose ARN is in one of them is
  // kept exactly as it is (neither added nor removed), and their principals above are ignored.
  std::vector<std::string> frozen_accounts;
};

// mapUsers and mapRoles through the same steps (see the contract). With no role rules, no managed role entry
// and no frozen account it gives exactly what the users-only overload below gives.
Result<ReconcileResult> reconcile(const RulesConfig& rules, const IamSnapshot& iam,
                                  const ConfigMapContent& current, const ReconcileOptions& options = {});

// Users only (the 2019 interface): reconcile(RulesConfig{rules}, IamSnapshot{users with these ARNs}, ...).
// `iam_user_arns` may hold duplicates and any order.
Result<ReconcileResult> reconcile(const RuleSet& rules, const std::vector<std::string>& iam_user_arns,
                                  const ConfigMapContent& current, const ReconcileOptions& options = {});

}  // namespace aar::core
