#include "core/ownership.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

namespace aar::core {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr size_t kFingerprintBytes = 9;  // 9 bytes = 72 bits = exactly 12 base64 characters, no padding.

// Length-prefixed fields, so that no two different entries encode alike ("a","bc" vs "ab","c").
void appendField(std::string* out, std::string_view field) {
  out->append(std::to_string(field.size()));
  out->push_back(':');
  out->append(field);
}

// SHA-256, fetched once: EVP_sha256() in EVP_Digest makes OpenSSL 3 look the algorithm up on every call,
// which cost more than the hashing itself (10,000 fingerprints: ~9 ms).
const EVP_MD* sha256() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

bool isBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

std::string entryFingerprint(std::string_view user_arn, std::string_view username,
                             const std::vector<std::string>& groups) {
  std::string encoded;
  encoded.reserve(user_arn.size() + username.size() + 32);
  appendField(&encoded, user_arn);
  appendField(&encoded, username);
  encoded.append(std::to_string(groups.size()));
  encoded.push_back(';');
  for (const auto& g : groups) appendField(&encoded, g);

  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_len = 0;
  // One context per thread, reused: creating one per call cost as much as the hashing.
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                                 &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), encoded.data(), encoded.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &digest_len) != 1) {
    EVP_Digest(encoded.data(), encoded.size(), digest.data(), &digest_len, sha256(), nullptr);
  }

  std::string out;
  out.reserve(kFingerprintChars);
  for (size_t i = 0; i < kFingerprintBytes; i += 3) {
    const uint32_t v = (uint32_t{digest[i]} << 16) | (uint32_t{digest[i + 1]} << 8) | digest[i + 2];
    out.push_back(kBase64Url[(v >> 18) & 63]);
    out.push_back(kBase64Url[(v >> 12) & 63]);
    out.push_back(kBase64Url[(v >> 6) & 63]);
    out.push_back(kBase64Url[v & 63]);
  }
  return out;
}

bool isValidObjectUid(std::string_view uid) {
  return uid.size() <= kMaxObjectUidChars && std::all_of(uid.begin(), uid.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
         });
}

Result<OwnershipRecord> parseOwnership(std::string_view value) {
  OwnershipRecord record;
  std::string_view rest;
  if (value.substr(0, 3) == kOwnershipV1Prefix) {
    record.version = 1;
    rest = value.substr(3);
  } else if (value.substr(0, 3) == kOwnershipVersionPrefix) {
    const size_t colon = value.find(':', 3);
    if (colon == std::string_view::npos) {
      return makeError(ErrorKind::kParse, "ownership annotation: expected \"v2:<uid>:<fingerprints>\"");
    }
    const std::string_view uid = value.substr(3, colon - 3);
    if (!isValidObjectUid(uid)) {
      return makeError(ErrorKind::kParse, "ownership annotation: the uid is not a Kubernetes uid");
    }
    record.uid = std::string(uid);
    rest = value.substr(colon + 1);
  } else {
    return makeError(ErrorKind::kParse,
                     "ownership annotation: expected a value starting with \"v2:\" (or \"v1:\")");
  }
  std::vector<std::string>& out = record.fingerprints;
  out.reserve(rest.size() / (kFingerprintChars + 1) + 1);
  size_t index = 0;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view token = rest.substr(0, comma);
    if (token.size() != kFingerprintChars || !std::all_of(token.begin(), token.end(), isBase64UrlChar)) {
      return makeError(ErrorKind::kParse, "ownership annotation: fingerprint " + std::to_string(index) +
                                              " is not 12 base64url characters");
    }
    out.emplace_back(token);
    ++index;
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
    if (rest.empty()) return makeError(ErrorKind::kParse, "ownership annotation: trailing comma");
  }
  if (!std::is_sorted(out.begin(), out.end())) std::sort(out.begin(), out.end());  // we write it sorted
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return record;
}

std::string formatOwnership(std::string_view uid, std::vector<std::string> fingerprints) {
  std::sort(fingerprints.begin(), fingerprints.end());
  fingerprints.erase(std::unique(fingerprints.begin(), fingerprints.end()), fingerprints.end());
  std::string out = kOwnershipVersionPrefix;
  out.reserve(out.size() + uid.size() + 1 + fingerprints.size() * (kFingerprintChars + 1));
  out.append(uid);
  out.push_back(':');
  for (size_t i = 0; i < fingerprints.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(fingerprints[i]);
  }
  return out;
}

}  // namespace aar::core
