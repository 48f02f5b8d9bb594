// The ownership record: which mapUsers entries aws-auth-refresher wrote, kept in an annotation on aws-auth
// and bound to that object's metadata.uid.
//
// Format of the annotation value: "v2:<uid>:" followed by comma-separated fingerprints, sorted, without
// duplicates ("v2:<uid>:" alone is an empty record). <uid> is the aws-auth object's metadata.uid, or empty
// when it was not known. Earlier versions wrote "v1:<fingerprints>" (no uid); it is still read.
//
// A fingerprint is the base64url encoding (no padding) of the first 9 bytes of SHA-256 over a length-prefixed
// encoding of (userarn, username, groups) — "<len>:<userarn><len>:<username><count>;" then "<len>:<group>"
// for each group, lengths in decimal bytes — 12 characters.
//
// Why fingerprints of whole entries: a plain list of ARNs (60-100 bytes each) does not fit 10,000 users in
// the 256 KiB annotation budget; 13 bytes per entry does (10,000 entries with a 36-character uid: a
// 130,039-byte value; tested). Fingerprinting the whole entry rather than the ARN means an entry someone
// edited by hand stops being ours and is never touched again. 72 bits make an accidental match between
// 10,000 managed and 10,000 unmanaged entries about 2e-14 likely. The uid makes a record copied from another
// cluster or object (kubectl get | kubectl apply elsewhere) count as no record.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace aar::core {

inline constexpr char kOwnershipV1Prefix[] = "v1:";
inline constexpr char kOwnershipVersionPrefix[] = "v2:";
inline constexpr size_t kFingerprintChars = 12;
inline constexpr size_t kMaxObjectUidChars = 128;

// Fingerprint of the entry {userarn, username, groups} (order of groups matters).
std::string entryFingerprint(std::string_view user_arn, std::string_view username,
                             const std::vector<std::string>& groups);

struct OwnershipRecord {
  int version = 2;                        // 1: written by an earlier version, no uid.
  std::string uid;                        // the object it is bound to; empty: none (v1, or written without).
  std::vector<std::string> fingerprints;  // sorted, unique.
};

// True if `uid` can be written into a record: at most kMaxObjectUidChars of [A-Za-z0-9._-] (a Kubernetes uid
// is a UUID). The empty uid is valid (unknown).
bool isValidObjectUid(std::string_view uid);

// Parses an annotation value. kParse if the prefix is neither "v1:" nor "v2:", the uid is not valid, or a
// token is not 12 base64url characters: we never guess what we own.
Result<OwnershipRecord> parseOwnership(std::string_view value);

// Formats a v2 record bound to `uid` (which must satisfy isValidObjectUid) from fingerprints in any order,
// duplicates allowed.
std::string formatOwnership(std::string_view uid, std::vector<std::string> fingerprints);

}  // namespace aar::core
