// Small helpers the credential providers share: timestamps, token files, environment flags, JSON bodies.
//
// Nothing here logs or puts a file's content, a token or a key into an error message: errors name the file
// and the reason only.
//
// Thread-safety: pure functions (readSecretFile reads the file system).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "core/result.hpp"
#include "net/http_client.hpp"

namespace aar::aws {

// Parses an ISO 8601 / RFC 3339 UTC timestamp as AWS sends them: "2026-11-28T16:00:00Z",
// "2011-07-11T19:55:29.611Z", or with a numeric offset ("+00:00"). nullopt when malformed, and for a time
// (as written, and in UTC) outside the years 1678..2261, the years system_clock (int64 nanoseconds) can hold:
// such a time would overflow it.
std::optional<std::chrono::system_clock::time_point> parseIso8601(std::string_view text);

// "2026-11-28T16:00:00Z" (UTC, the time floored to the second: parseIso8601 of it is floor<seconds>(time)).
std::string formatIso8601(std::chrono::system_clock::time_point time);

// The whole content of a token file, surrounding whitespace trimmed. Error kInvalidArgument naming `what` and
// the path when the file cannot be read or is empty; never the content.
Result<std::string> readSecretFile(const std::string& path, std::string_view what);

// The variable's value, or "" when unset.
std::string envOr(const EnvLookup& env, const std::string& name, std::string fallback = "");

// "true" in any case → true; anything else → false (as the SDKs read AWS_EC2_METADATA_DISABLED).
bool envFlagTrue(const EnvLookup& env, const std::string& name);

// True for text an AWS access key id, secret access key or session token can be: non-empty printable ASCII
// without spaces (they are alphanumerics and base64). A remote answer with anything else (a line feed would
// end up in the X-Amz-Security-Token header) is refused, not used.
bool isCredentialText(std::string_view text);

// Credentials from the JSON document the container endpoint and IMDS both return:
// {AccessKeyId, SecretAccessKey, Token, Expiration}. Error kParse naming `provider` when a field is missing
// or not isCredentialText, or the document is not JSON; the message never includes the body.
Result<Credentials> parseCredentialsJson(std::string_view body, const char* provider);

// Removes every occurrence of each non-empty secret from text (replaced by "<redacted>"). Used on error
// messages that echo a server's words, in case a server repeats what it was sent.
std::string redact(std::string text, std::initializer_list<std::string_view> secrets);

// The transport error of a request, as "<Kind>: <message>" for an error message.
std::string describeTransportError(const Error& error);

}  // namespace aar::aws
