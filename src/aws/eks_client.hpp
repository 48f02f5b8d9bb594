// EksClient: the EKS access-entry API (REST-JSON) of one cluster, signed with SigV4 for service "eks",
// retried as IamClient retries.
//
// Requests: GET /clusters/{name} (DescribeCluster), GET|POST /clusters/{name}/access-entries, GET|POST|DELETE
// /clusters/{name}/access-entries/{principalArn}, GET|POST .../access-policies, DELETE
// .../access-policies/{policyArn}; JSON bodies with Content-Type application/json. The cluster name, the
// principal ARN and the policy ARN are each percent-encoded as ONE path segment (':' and '/' too, RFC 3986
// unreserved characters kept); SigV4's canonical URI then encodes that wire path once more, as every service
// but S3 expects. Credentials are fetched from the provider per request; the endpoint comes from
// eksEndpoint() (AWS_ENDPOINT_URL_EKS, then AWS_ENDPOINT_URL, override it).
//
// Listings (ListAccessEntries, ListAssociatedAccessPolicies) follow nextToken with maxResults =
// EksClientOptions::max_results and return every page or an error, never a partial list; a nextToken that
// comes back twice is a kParse error.
//
// Retries (per request): throttling codes, transient codes, HTTP 5xx, connection errors and timeouts, up to
// RetryPolicy::max_attempts with full-jitter exponential backoff; other 4xx and parse errors are not retried.
// CreateAccessEntry and UpdateAccessEntry carry one clientRequestToken across their retries, so a retry of a
// create that EKS did apply returns the entry instead of ResourceInUseException. A retried delete or
// disassociate whose first attempt EKS applied without the answer arriving reports ResourceNotFoundException:
// callers treat kNotFound on a delete as done. HttpClient::cancel() ends a call at once with kCancelled.
//
// Errors: the aar::Error message is "EKS <Operation>: HTTP <status> <Code>: <message> (request id <id>)";
// kinds: ResourceNotFoundException → kNotFound, ResourceInUseException → kAlreadyExists, throttling →
// kTooManyRequests, 5xx → kServer, 403 → kForbidden, other 4xx (InvalidParameterException,
// InvalidRequestException, ResourceLimitExceededException, ...) → kInvalidArgument. The optional AwsError
// out-parameter gets code, message, status and request id as fields, so callers can tell the codes apart.
// Secrets (secret key, session token) never appear in an error or a log line.
//
// Response size: at most kMaxEksResponseBytes a response (kTooLarge beyond; the largest legitimate page, 100
// ARNs or one entry with 50 tags, is well under).
//
// Thread-safety: every method may run on several threads at once if the injected functions (clock,
// random, request_token, on_request) are thread-safe; the defaults are.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_error.hpp"
#include "aws/credentials.hpp"
#include "aws/eks_json.hpp"
#include "aws/endpoints.hpp"
#include "aws/retry.hpp"
#include "aws/signed_call.hpp"
#include "base/clock.hpp"
#include "core/result.hpp"
#include "net/http_client.hpp"

namespace aar::aws {

// The largest EKS response body to accept.
inline constexpr std::size_t kMaxEksResponseBytes = std::size_t{4} << 20;  // 4 MiB

// EKS's largest page (ListAccessEntries and ListAssociatedAccessPolicies accept 1..100).
inline constexpr int kEksMaxResultsLimit = 100;

// Called once per HTTP request attempt: operation ("CreateAccessEntry") and result code — the HTTP status as
// text, or, when no response arrived, the error kind name ("Network", "Timeout", "Cancelled").
using EksRequestHook = AwsRequestHook;

struct EksClientOptions {
  Endpoint endpoint;                                 // from eksEndpoint(); required
  std::string cluster_name;                          // required
  RetryPolicy retry;                                 // Default: 3 attempts, 100 ms base, 20 s cap
  std::chrono::milliseconds request_timeout{10000};  // Default: 10 s per attempt
  int max_results = kEksMaxResultsLimit;             // Default: 100; clamped to 1..100
  // The signing time (wallNow) and the retries' backoff, which a HttpClient::cancel() cuts short (see
  // waitBackoff in signed_call.hpp). Default: base::systemClock(). Must outlive the client.
  base::Clock* clock = &base::systemClock();
  // Default: defaultRandom().
  RandomFn random;
  // Default: a random UUID (version 4). The idempotency token of a create or update without one.
  std::function<std::string()> request_token;
  // Default: none.
  EksRequestHook on_request;
};

class EksClient {
 public:
  // http and credentials must outlive the client.
  EksClient(net::HttpClient& http, CredentialsProvider& credentials, EksClientOptions options);

  // On failure with an EKS error response, *details (when given) receives it.
  Result<EksCluster> describeCluster(AwsError* details = nullptr);

  // Every access entry's principal ARN, in EKS's order; only those with this policy associated when
  // associated_policy_arn is not "".
  Result<std::vector<std::string>> listAccessEntries(const std::string& associated_policy_arn = "",
                                                     AwsError* details = nullptr);
  Result<EksAccessEntry> describeAccessEntry(const std::string& principal_arn, AwsError* details = nullptr);
  Result<EksAccessEntry> createAccessEntry(EksCreateAccessEntryInput input, AwsError* details = nullptr);
  Result<EksAccessEntry> updateAccessEntry(EksUpdateAccessEntryInput input, AwsError* details = nullptr);
  Status deleteAccessEntry(const std::string& principal_arn, AwsError* details = nullptr);

  // Associates, or replaces the scope of an existing association.
  Result<EksAssociatedAccessPolicy> associateAccessPolicy(const std::string& principal_arn,
                                                          const std::string& policy_arn,
                                                          const EksAccessScope& scope,
                                                          AwsError* details = nullptr);
  // Every policy associated with the entry.
  Result<std::vector<EksAssociatedAccessPolicy>> listAssociatedAccessPolicies(
      const std::string& principal_arn, AwsError* details = nullptr);
  Status disassociateAccessPolicy(const std::string& principal_arn, const std::string& policy_arn,
                                  AwsError* details = nullptr);

  // The wire path of an access entry: <base>/clusters/<cluster>/access-entries/<encoded ARN>. Exposed for
  // tests.
  std::string entryPath(const std::string& principal_arn) const;

 private:
  // One request with retries; the 2xx body on success. query is already encoded ("" when none).
  Result<std::string> call(std::string_view operation, const std::string& method, const std::string& path,
                           const std::string& query, const std::string& body, AwsError* details);

  net::HttpClient& http_;
  CredentialsProvider& credentials_;
  EksClientOptions options_;
  std::string base_url_;      // scheme://host[:port]
  std::string host_;          // Host header value
  std::string cluster_path_;  // <base path>/clusters/<encoded name>
};

}  // namespace aar::aws
