// AWS Signature Version 4 (header signing, AWS4-HMAC-SHA256) as pure functions.
//
// The steps are separate and testable (canonical request → string to sign → signing key → signature), and
// sign() returns the headers to add to a request rather than owning the transport. Nothing here reads a
// clock, the environment or the network: the caller passes the time.
//
// Paths and queries are taken as they travel on the wire (already percent-encoded where the sender encoded
// them). The canonical URI encodes the wire path once more, as every AWS service except S3 expects
// ("double encoding"); the canonical query decodes then re-encodes each key and value and sorts them.
//
// Secrets: the secret key only enters signingKey(); the session token appears in the canonical request when
// it is signed. Never log a canonical request, a string to sign or a signing key.
//
// Thread-safety: all functions are pure and reentrant.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.hpp"
#include "core/result.hpp"

namespace aar::aws::sigv4 {

using Header = std::pair<std::string, std::string>;

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// The parts of an HTTP request that SigV4 covers.
struct Request {
  std::string method = "GET";
  std::string path = "/";       // as on the request line, without the query
  std::string query;            // without the leading '?'; "" when none
  std::vector<Header> headers;  // must include Host; names in any case; repeated names allowed
  std::string body;
};

struct SigningParams {
  std::string region;   // e.g. "us-east-1"
  std::string service;  // e.g. "iam"
  std::chrono::system_clock::time_point time;
  // Remove "." and ".." segments and repeated slashes before encoding. Default: true (false only for S3).
  bool normalize_path = true;
  // Add and sign X-Amz-Content-Sha256 with the payload hash. Default: false.
  bool sign_body = false;
  // Add X-Amz-Security-Token after signing instead of signing it (some services want that). Default: false.
  bool omit_session_token = false;
};

// "20150830T123600Z" and "20150830" (UTC).
std::string amzDate(std::chrono::system_clock::time_point time);
std::string dateStamp(std::chrono::system_clock::time_point time);

// Lower-case hex of SHA-256 / of raw bytes.
std::string sha256Hex(std::string_view data);
std::string hex(std::string_view bytes);
// Raw 32-byte HMAC-SHA256.
std::string hmacSha256(std::string_view key, std::string_view data);

// The canonical URI for a wire path (see the file comment).
std::string canonicalUri(std::string_view path, bool normalize);
// The canonical query string: decoded, re-encoded, sorted by key then value; a key without '=' gets "=".
std::string canonicalQuery(std::string_view query);

struct CanonicalRequest {
  std::string text;            // the canonical request itself
  std::string signed_headers;  // "host;x-amz-date"
};

// Signs every header of the request (the caller decides which headers it passes). Header values are trimmed
// and inner runs of whitespace collapse to one space; repeated names are joined with ','.
CanonicalRequest canonicalRequest(const Request& request, std::string_view payload_hash, bool normalize_path);

// "<region>/<service>/aws4_request" prefixed with the date: "20150830/us-east-1/service/aws4_request".
std::string credentialScope(std::chrono::system_clock::time_point time, std::string_view region,
                            std::string_view service);

std::string stringToSign(std::string_view canonical_request, std::chrono::system_clock::time_point time,
                         std::string_view region, std::string_view service);

// Raw 32-byte derived key: HMAC chain over "AWS4"+secret, date, region, service, "aws4_request".
std::string signingKey(std::string_view secret_access_key, std::string_view date_stamp,
                       std::string_view region, std::string_view service);

// Lower-case hex HMAC-SHA256 of the string to sign.
std::string signature(std::string_view signing_key, std::string_view string_to_sign);

// The request with the headers SigV4 signs added (X-Amz-Date, X-Amz-Security-Token unless omitted,
// X-Amz-Content-Sha256 when sign_body); a header of the same name already present is replaced in place.
Request withSigningHeaders(const Request& request, const Credentials& credentials,
                           const SigningParams& params);

// The headers to add to (or replace in) the request, in this order: X-Amz-Date, X-Amz-Security-Token (when
// the credentials carry one), X-Amz-Content-Sha256 (when sign_body), Authorization.
std::vector<Header> sign(const Request& request, const Credentials& credentials, const SigningParams& params);

// The parts of an Authorization header, for servers that verify a signature.
struct Authorization {
  std::string access_key_id;
  std::string date;  // "20150830"
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;  // lower-case, as listed
  std::string signature;
};

// Parses "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=a;b,
// Signature=hex". Error kInvalidArgument on any other shape.
Result<Authorization> parseAuthorization(std::string_view header);

}  // namespace aar::aws::sigv4
