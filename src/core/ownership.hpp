// The ownership record: which mapUsers entries aws-auth-refresher wrote, kept in an annotation on aws-auth.
//
// Format of the annotation value: "v1:" followed by comma-separated fingerprints, sorted, without duplicates
// ("v1:" alone is an empty record). A fingerprint is the base64url encoding (no padding) of the first 9 bytes
// of SHA-256 over an unambiguous encoding of (userarn, username, groups) — 12 characters.
//
// Why fingerprints of whole entries: a plain list of ARNs (60-100 bytes each) does not fit 10,000 users in
// the 256 KiB annotation budget; 13 bytes per entry does (130,003 bytes for 10,000). Fingerprinting the whole
// entry rather than the ARN means an entry someone edited by hand stops being ours and is never touched
// again. 72 bits make an accidental match between 10,000 managed and 10,000 unmanaged entries about 2e-14
// likely.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace aar::core {

inline constexpr char kOwnershipVersionPrefix[] = "v1:";
inline constexpr size_t kFingerprintChars = 12;

// Fingerprint of the entry {userarn, username, groups} (order of groups matters).
std::string entryFingerprint(std::string_view user_arn, std::string_view username,
                             const std::vector<std::string>& groups);

// Parses an annotation value into sorted, unique fingerprints. kParse if the prefix is not "v1:" or a token
// is not 12 base64url characters: we never guess what we own.
Result<std::vector<std::string>> parseOwnership(std::string_view value);

// Formats fingerprints (any order, duplicates allowed) as an annotation value.
std::string formatOwnership(std::vector<std::string> fingerprints);

}  // namespace aar::core
