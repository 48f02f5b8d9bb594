// The JSON shapes of the EKS access-entry API (botocore model eks/2017-11-01), as plain values, and their
// pure parsers and serialisers. The transport is in eks_client.hpp.
//
// Parsing is strict where a decision depends on the value (a missing or unknown authenticationMode, a
// principal ARN that is not a string, an access scope type we do not know are kParse errors: never act on
// data we did not understand) and lenient elsewhere (unknown members are ignored, absent optional members
// stay empty). Timestamps are epoch seconds, as REST-JSON sends them.
//
// Serialising uses nlohmann::json with error_handler_t::replace, so invalid UTF-8 in a name becomes U+FFFD
// instead of an exception.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_error.hpp"
#include "core/result.hpp"

namespace aar::aws {

enum class EksAuthenticationMode { kConfigMap, kApiAndConfigMap, kApi };

// "CONFIG_MAP", "API_AND_CONFIG_MAP", "API".
std::string_view toString(EksAuthenticationMode mode);
// Error kParse for anything else.
Result<EksAuthenticationMode> parseEksAuthenticationMode(std::string_view text);

struct EksCluster {
  std::string name;
  std::string arn;
  std::string status;  // "ACTIVE", "UPDATING", ...
  EksAuthenticationMode authentication_mode = EksAuthenticationMode::kConfigMap;
};

struct EksAccessScope {
  std::string type;                     // "cluster" or "namespace"
  std::vector<std::string> namespaces;  // non-empty for "namespace", empty for "cluster"
  bool operator==(const EksAccessScope&) const = default;
};

struct EksAssociatedAccessPolicy {
  std::string policy_arn;
  EksAccessScope scope;
  double associated_at = 0;  // epoch seconds; 0 when absent
  double modified_at = 0;
};

struct EksAccessEntry {
  std::string cluster_name;
  std::string principal_arn;
  std::string access_entry_arn;
  std::string type;  // "STANDARD", "EC2_LINUX", ...
  std::string username;
  std::vector<std::string> kubernetes_groups;
  std::map<std::string, std::string> tags;
  double created_at = 0;
  double modified_at = 0;
};

struct EksCreateAccessEntryInput {
  std::string principal_arn;                   // required
  std::vector<std::string> kubernetes_groups;  // omitted from the request when empty
  std::string username;                        // "" = EKS's default for the principal
  std::string type = "STANDARD";
  std::map<std::string, std::string> tags;  // omitted when empty
  std::string client_request_token;         // idempotency token; EksClient fills it when ""
};

struct EksUpdateAccessEntryInput {
  std::string principal_arn;                                  // required
  std::optional<std::vector<std::string>> kubernetes_groups;  // nullopt: unchanged; {} sets none
  std::optional<std::string> username;                        // nullopt: unchanged
  std::string client_request_token;                           // EksClient fills it when ""
};

// A page of a listing: its items and the token of the next page ("" on the last page).
template <typename T>
struct EksPage {
  std::vector<T> items;
  std::string next_token;
};

// Request bodies.
std::string eksCreateAccessEntryBody(const EksCreateAccessEntryInput& input);
std::string eksUpdateAccessEntryBody(const EksUpdateAccessEntryInput& input);
std::string eksAssociateAccessPolicyBody(const std::string& policy_arn, const EksAccessScope& scope);

// Response bodies.
Result<EksCluster> parseEksDescribeCluster(std::string_view body);
// {"accessEntry": {...}} (DescribeAccessEntry, CreateAccessEntry, UpdateAccessEntry).
Result<EksAccessEntry> parseEksAccessEntryResponse(std::string_view body);
Result<EksPage<std::string>> parseEksListAccessEntries(std::string_view body);
Result<EksAssociatedAccessPolicy> parseEksAssociateAccessPolicy(std::string_view body);
Result<EksPage<EksAssociatedAccessPolicy>> parseEksListAssociatedAccessPolicies(std::string_view body);

// An EKS error response: the code from the x-amzn-ErrorType header (the part before ':'), else from the
// body's "__type" (after '#') or "code"; the message from "message" (or "Message"). nullopt when neither
// says a code. http_status and request_id are left for the caller.
std::optional<AwsError> parseEksError(std::optional<std::string> error_type_header, std::string_view body);

}  // namespace aar::aws
