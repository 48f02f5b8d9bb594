// The steps of reconcile() (reconcile.hpp), in the order it calls them. Each is a pure function with its own
// unit tests (tests/core/reconcile_steps_test.cpp); reconcile() only strings them together:
//
//   readCurrentState -> classifyEntries -> distinctArns -> desiredEntries -> diffEntries -> ownershipRecord
//   -> renderMapUsers -> checkLimits
//
// Several results hold std::string_view keys into their inputs (the entries of CurrentState, the ARNs of
// distinctArns) instead of copies, so that a 10,000-user cycle copies no ARN twice: each result is valid only
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

// What the ownership record in aws-auth says, bound to the object we read.
struct OwnershipState {
  RecordState state = RecordState::kAbsent;
  std::vector<std::string> owned;  // fingerprints of the entries that are ours; sorted, unique.
  std::string bound_uid;           // the uid the new record is bound to.
};

// Reads the ownership annotation (`record_text`; nullopt when absent) for the object `object_uid` (empty:
// unknown). kAbsent: nothing owned, bound to object_uid. A v1 record or one with an empty uid: kUnbound, its
// fingerprints owned, rebound to object_uid. A record naming object_uid, or any uid when object_uid is empty:
// kBound, its fingerprints owned, its own uid kept. A record naming another uid: kOtherObject, nothing owned,
// bound to object_uid. Errors: kInvalidArgument if object_uid is not a Kubernetes uid (checked first); kParse
// (message prefixed "aws-auth annotation <key>: ") if the record does not parse.
Result<OwnershipState> readOwnership(std::optional<std::string_view> record_text,
                                     std::string_view object_uid);

// Everything reconcile reads from aws-auth.
struct CurrentState {
  std::vector<MapUsersEntry> entries;           // mapUsers, in order (no key: none).
  std::optional<std::string_view> record_text;  // the ownership annotation as read (a view into `current`).
  OwnershipState ownership;
};

// Step 1, read the current state: parses mapUsers, then mapRoles and mapAccounts when present (only to refuse
// a value aws-iam-authenticator could not read), then the ownership record (readOwnership). The first failure
// is returned, kParse prefixed "aws-auth data.<key>: " for a data key; we never act on what we cannot read.
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
// is in `owned`, or (when `adopt`) canonical and exactly what the first rule matching its ARN writes. Every
// other entry with an ARN is hand-written; its ARN is keyed as aws-iam-authenticator keys it (lowerArn of the
// `userarn` read under any spelling). The result's views point into `entries`.
Classification classifyEntries(const std::vector<MapUsersEntry>& entries,
                               const std::vector<std::string>& owned, const RuleSet& rules, bool adopt);

// The IAM users to consider: sorted, duplicates removed, and of ARNs that differ only in case the first in
// byte order kept (they would be one key to aws-iam-authenticator).
std::vector<std::string> distinctArns(const std::vector<std::string>& iam_user_arns);

// Step 3, the desired entries.
struct DesiredEntries {
  std::unordered_map<std::string_view, size_t> rule_of;  // ARN (a view into `arns`) -> the rule that wins.
  std::vector<ShadowedMatch> shadowed;                   // in ARN order.
  std::vector<std::string> skipped_unmanaged;            // in ARN order.
};

// Step 3: for each of `arns` (distinctArns), the first matching rule (lowest index), unless the ARN has a
// hand-written entry (`unmanaged_arns`, lower-cased), in which case it goes to `skipped_unmanaged` instead.
// Every ARN matched by more than one rule is reported in `shadowed` (also when it is skipped).
DesiredEntries desiredEntries(const std::vector<std::string>& arns, const RuleSet& rules,
                              const std::unordered_set<std::string>& unmanaged_arns);

// A managed entry to write that is not in aws-auth as it should be.
struct NewEntry {
  std::string_view arn;  // a view into the ARNs given to diffEntries.
  size_t rule_index = 0;
};

// Step 4, the diff.
struct Diff {
  std::vector<Change> changes;     // sorted by ARN (then kind).
  std::vector<bool> keep;          // per entry: a managed entry kept as it is.
  std::vector<NewEntry> to_write;  // desired ARNs without a kept entry, in ARN order.
  bool dropped_duplicate = false;  // an identical copy of a kept managed entry is dropped.
};

// Step 4: per ARN with managed entries, the one that is what its rule writes is kept (the first such); of the
// others one is reported kUpdated if the ARN is desired and none was kept, identical copies of the kept one
// are dropped silently, the rest are kRemoved. A desired ARN with no managed entry is kAdded. `to_write`
// lists what must be emitted from the rules (added and updated ARNs). The result's views point into `arns`.
Diff diffEntries(const std::vector<MapUsersEntry>& entries, const Classification& classes,
                 const DesiredEntries& desired, const std::vector<std::string>& arns, const RuleSet& rules);

// Step 5: the new ownership record bound to `bound_uid`: the fingerprints of the kept entries and of the
// entries to write (formatOwnership).
std::string ownershipRecord(std::string_view bound_uid, const Classification& classes, const Diff& diff,
                            const RuleSet& rules);

// Step 6, render: the new mapUsers. Our entries first, sorted by ARN (kept ones with exactly the keys we
// write, new ones from their rule), then every hand-written entry in its original order, re-emitted from its
// node. aws-iam-authenticator keeps the last entry for an ARN, so none of ours can win over a hand-written
// one. Errors: emitMapUsers' (kInternal if the output does not read back as intended).
Result<std::string> renderMapUsers(const std::vector<MapUsersEntry>& entries, const Classification& classes,
                                   const Diff& diff, const RuleSet& rules);

// Step 7, check the limits: kTooLarge if the data is over kMaxConfigMapDataBytes (the message gives the size
// and `managed_count`) or the annotations over kMaxAnnotationsBytes.
Status checkLimits(const ConfigMapContent& desired, size_t managed_count);

}  // namespace aar::core::reconcile_steps
