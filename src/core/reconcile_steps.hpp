// The steps of reconcile() (reconcile.hpp), in the order it calls them. Each is a pure function with its own
// unit tests (tests/core/reconcile_steps_test.cpp); reconcile() only strings them together, once per list
// (mapUsers, then mapRoles), with the same steps for both: what differs between the lists is said once, in a
// KindSpec.
//
//   readCurrentState -> per kind: classifyEntries -> candidates -> desiredEntries -> diffEntries
//   -> ownershipRecord -> renderEntries; then checkLimits over the whole data
//
// Several results hold std::string_view keys into their inputs (the entries of CurrentState, the ARNs of
// candidates) instead of copies, so that a 10,000-user cycle copies no ARN twice: each result is valid only
// while the inputs it names live. Moving a result keeps its views valid (a vector's move keeps its elements
// in place).
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/aws_auth_codec.hpp"
#include "core/config_map.hpp"
#include "core/reconcile.hpp"
#include "core/result.hpp"
#include "core/rules.hpp"

namespace aar::core::reconcile_steps {

// IAM names are unique regardless of case and aws-iam-authenticator keys its map by strings.ToLower(arn), so
// two ARNs that differ only in (ASCII) case name one entry.
std::string lowerArn(std::string_view arn);

// The account id of an ARN (its fifth ':'-separated field, "111122223333" in arn:aws:iam::111122223333:...);
// empty if the text has fewer fields.
std::string_view arnAccount(std::string_view arn);

// A role ARN as written to mapRoles: without the path (arn:aws:iam::1:role/a/b/Name ->
// arn:aws:iam::1:role/Name). aws-iam-authenticator compares rolearn with the assumed-role ARN, which has no
// path. A text that is not a role ARN is returned as it is.
std::string roleArnWithoutPath(std::string_view arn);

// True for a service-linked role (path /aws-service-role/...): such roles never match a rule.
bool isServiceLinkedRole(std::string_view arn);

// What differs between mapUsers and mapRoles; everything else is the same code.
struct KindSpec {
  PrincipalKind principal = PrincipalKind::kUser;
  MapList list = MapList::kMapUsers;
  const char* data_key = kMapUsersKey;                     // mapUsers / mapRoles
  const char* annotation = kManagedUsersAnnotation;        // the ownership record of that list
  std::string (*written_arn)(std::string_view) = nullptr;  // the ARN IAM lists -> the ARN written
  bool (*eligible)(std::string_view) = nullptr;            // may a listed principal match at all?
};
const KindSpec& kindSpec(PrincipalKind kind);

// What the ownership record in aws-auth says, bound to the object we read.
struct OwnershipState {
  RecordState state = RecordState::kAbsent;
  std::vector<std::string> owned;  // fingerprints of the entries that are ours; sorted, unique.
  std::string bound_uid;           // the uid the new record is bound to.
};

// Reads the ownership annotation `annotation` (`record_text`; nullopt when absent) for the object
// `object_uid` (empty: unknown). kAbsent: nothing owned, bound to object_uid. A v1 record or one with an
// empty uid: kUnbound, its fingerprints owned, rebound to object_uid. A record naming object_uid, or any uid
// when object_uid is empty: kBound, its fingerprints owned, its own uid kept. A record naming another uid:
// kOtherObject, nothing owned, bound to object_uid. Errors: kInvalidArgument if object_uid is not a
// Kubernetes uid (checked first); kParse (message prefixed "aws-auth annotation <annotation>: ") if the
// record does not parse.
Result<OwnershipState> readOwnership(std::optional<std::string_view> record_text, std::string_view object_uid,
                                     const char* annotation = kManagedUsersAnnotation);

// One list as read from aws-auth.
struct KindState {
  std::vector<MapUsersEntry> entries;           // in order (no key: none).
  std::optional<std::string_view> record_text;  // the ownership annotation as read (a view into `current`).
  OwnershipState ownership;
};

// Everything reconcile reads from aws-auth.
struct CurrentState {
  KindState users;
  KindState roles;
  const KindState& of(PrincipalKind kind) const { return kind == PrincipalKind::kRole ? roles : users; }
};

// Step 1, read the current state: parses mapUsers, mapRoles, mapAccounts (only to refuse a value
// aws-iam-authenticator could not read), then the users' and the roles' ownership records (readOwnership).
// The first failure is returned, kParse prefixed "aws-auth data.<key>: " for a data key; we never act on what
// we cannot read.
Result<CurrentState> readCurrentState(const ConfigMapContent& current, std::string_view object_uid);

// Step 2, what each current entry is.
struct Classification {
  std::vector<bool> is_managed;             // per entry: ours (recorded, or adopted).
  std::vector<std::string> fingerprint_of;  // per entry: its fingerprint if computed (always for managed).
  // ARN (exact spelling, a view into the entries) -> indexes of the managed entries with it, in order.
  std::unordered_map<std::string_view, std::vector<size_t>> managed_by_arn;
  // Lower-cased ARNs of hand-written entries: any spelling of an ARN is the same key to the authenticator.
  std::unordered_set<std::string> unmanaged_arns;
  std::vector<std::string> adopted;  // ARNs of entries taken over by adoption; sorted.
};

// Step 2, classify: an entry is managed iff it is canonical (exactly the keys we write) and its fingerprint
// is in `owned`, or (when `adopt`) canonical and exactly what the first rule matching its ARN writes (the
// username expanded; a rule naming an iamGroup never adopts, the entry says nothing about membership). Every
// other entry with an ARN is hand-written; its ARN is keyed as aws-iam-authenticator keys it (lowerArn of the
// ARN read under any spelling). The result's views point into `entries`.
Classification classifyEntries(const std::vector<MapUsersEntry>& entries,
                               const std::vector<std::string>& owned, const RuleSet& rules, bool adopt);

// A listed principal under the ARN its entry would have.
struct Candidate {
  std::string arn;                       // spec.written_arn(principal->arn)
  const Principal* principal = nullptr;  // into the listing given to candidates()
};

// The principals of one kind to consider: those spec.eligible accepts, not in a frozen account, under their
// written ARN; sorted by it, duplicates removed, and of ARNs that differ only in case the first in byte order
// kept (they would be one key to aws-iam-authenticator). The result points into `listed`.
std::vector<Candidate> candidates(const std::vector<Principal>& listed, const KindSpec& spec,
                                  const std::vector<std::string>& frozen_accounts);

// The IAM users to consider when only ARNs are known: candidates() of users with no frozen account, as ARNs.
std::vector<std::string> distinctArns(const std::vector<std::string>& iam_user_arns);

// Step 3, the desired entries.
struct DesiredEntry {
  size_t rule_index = 0;
  std::string username;  // expanded (RuleMatch::username)
};
struct DesiredEntries {
  std::unordered_map<std::string_view, DesiredEntry> by_arn;  // ARN (a view into the candidates) -> entry.
  std::vector<ShadowedMatch> shadowed;                        // in ARN order.
  std::vector<std::string> skipped_unmanaged;                 // in ARN order.
  std::vector<ExpansionFailure> expansion_failures;           // in ARN order.
};

// Step 3: for each candidate, the first matching rule (RuleSet::match) with its expanded username, unless the
// ARN has a hand-written entry (`unmanaged_arns`, lower-cased: then `skipped_unmanaged`) or the expansion
// failed (then `expansion_failures`, and no entry). Every ARN matched by more than one rule is reported in
// `shadowed` (also when it is skipped). ARNs reported are the written ones.
DesiredEntries desiredEntries(const std::vector<Candidate>& candidates, const RuleSet& rules,
                              const std::unordered_set<std::string>& unmanaged_arns, PrincipalKind kind);

// One entry to write that is not in aws-auth as it should be.
struct NewEntry {
  std::string_view arn;       // a view into the candidates given to diffEntries.
  const DesiredEntry* entry;  // into the DesiredEntries given to diffEntries.
};

// Step 4, the diff.
struct Diff {
  std::vector<Change> changes;     // sorted by ARN (then kind).
  std::vector<bool> keep;          // per entry: a managed entry kept as it is.
  std::vector<NewEntry> to_write;  // desired ARNs without a kept entry, in ARN order.
  bool dropped_duplicate = false;  // an identical copy of a kept managed entry is dropped.
};

// Step 4: per ARN with managed entries: if its account is in `frozen_accounts`, every one is kept exactly as
// it is; else the one that is what its desired entry is is kept (the first such); of the others one is
// reported kUpdated if the ARN is desired and none was kept, identical copies of the kept one are dropped
// silently, the rest are kRemoved. A desired ARN with no managed entry is kAdded. `to_write` lists what must
// be emitted (added and updated ARNs). Changes carry `kind`. The result's views point into `candidates` and
// `desired`.
Diff diffEntries(const std::vector<MapUsersEntry>& entries, const Classification& classes,
                 const DesiredEntries& desired, const std::vector<Candidate>& candidates,
                 const RuleSet& rules, const std::vector<std::string>& frozen_accounts, PrincipalKind kind);

// Step 5: the new ownership record bound to `bound_uid`: the fingerprints of the kept entries and of the
// entries to write (formatOwnership).
std::string ownershipRecord(std::string_view bound_uid, const Classification& classes, const Diff& diff,
                            const RuleSet& rules);

// Step 6, render: the new value of the list. Our entries first, sorted by ARN (kept ones with exactly the
// keys we write, new ones from their rule), then every hand-written entry in its original order, re-emitted
// from its node. aws-iam-authenticator keeps the last entry for an ARN, so none of ours can win over a
// hand-written one. Errors: emitMapEntries' (kInternal if the output does not read back as intended).
Result<std::string> renderEntries(const std::vector<MapUsersEntry>& entries, const Classification& classes,
                                  const Diff& diff, const RuleSet& rules, MapList list);

// Step 7, check the limits: kTooLarge if the data is over kMaxConfigMapDataBytes (the message gives the size
// and `managed_count`, the managed entries of both lists) or the annotations over kMaxAnnotationsBytes.
Status checkLimits(const ConfigMapContent& desired, size_t managed_count);

}  // namespace aar::core::reconcile_steps
