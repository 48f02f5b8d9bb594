// IamClient: lists IAM users, roles and group members over the Query protocol, signed with SigV4, retried as
// the AWS SDKs' standard mode does.
//
// Each request: POST <endpoint>/ with a form body (Action=ListUsers&Version=2010-05-08&MaxItems=...), content
// type "application/x-www-form-urlencoded; charset=utf-8", credentials fetched from the provider per request
// (a cached provider makes that cheap) and signed for service "iam" in the endpoint's signing region. The
// HttpClient supplies the connect timeout; every request carries IamClientOptions::request_timeout as its
// total timeout.
//
// Listing: MaxItems per page and Marker pagination until IsTruncated is false (IAM may return fewer items
// than asked while more remain). A listing returns every page or fails as a whole: never a partial list.
// A listing fails (kParse) when a page is truncated without a Marker, when a Marker repeats anywhere in the
// listing (a loop), or when it is still truncated after IamClientOptions::max_pages pages.
//
// GetGroup (listGroupMembers) pages the same way (GroupName, MaxItems, Marker) under the same bounds. IAM
// answers 404 NoSuchEntity for a group that does not exist: that is an Error of kind kNotFound whose message
// names the group (a configuration error for the rule naming it), never retried; every other failure is a
// failed listing like ListUsers'.
//
// Retries (per request, not per listing): throttling codes, transient codes, HTTP 5xx, connection errors and
// timeouts, up to RetryPolicy::max_attempts with full-jitter exponential backoff. Other 4xx and parse errors
// are not retried. HttpClient::cancel() ends a listing at once with kCancelled, also during a backoff wait.
//
// Errors: the aar::Error message says operation, HTTP status, AWS code, message and request id; the optional
// AwsError out-parameter gets the same as fields. Secrets (secret key, session token) never appear in an
// error message or a log line.
//
// Thread-safety: listUsers/listRoles may run on several threads at once if the injected functions
// (clock, random, on_request) are thread-safe; the defaults are.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/aws_error.hpp"
#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "aws/iam_xml.hpp"
#include "aws/retry.hpp"
#include "aws/signed_call.hpp"
#include "base/clock.hpp"
#include "core/result.hpp"
#include "net/http_client.hpp"

namespace aar::aws {

// Called once per HTTP request attempt: operation ("ListUsers", "ListRoles", "GetGroup") and result code —
// the HTTP status as text
// ("200", "400", "503") or, when no response arrived, the error kind name ("Network", "Timeout",
// "Cancelled"). The metrics hook: the controller counts IAM requests by action
// (aws_auth_refresher_iam_requests_total{action,code}) from it. It runs on the calling thread and must not
// block.
using IamRequestHook = AwsRequestHook;

// The page budget of one listing: 1,000 pages are 1,000,000 users or roles at MaxItems=1000, 200 times IAM's
// quota of 5,000 users per account (roles: at most 5,000 with a raised quota), so a real account never
// reaches it even when IAM returns short pages; a server that keeps saying "truncated" with fresh Markers is
// stopped after at most 1,000 requests instead of growing the list until the pod's memory limit.
inline constexpr int kDefaultIamMaxPages = 1000;

struct IamClientOptions {
  Endpoint endpoint;                                 // from iamEndpoint(); required
  RetryPolicy retry;                                 // Default: 3 attempts, 100 ms base, 20 s cap
  std::chrono::milliseconds request_timeout{10000};  // Default: 10 s per attempt
  int max_items = 1000;                              // Default: 1000 (IAM's maximum)
  // Default: kDefaultIamMaxPages. The listing fails when it is still truncated after this many pages.
  int max_pages = kDefaultIamMaxPages;
  // The signing time (wallNow) and the retries' backoff, which a HttpClient::cancel() cuts short (see
  // waitBackoff in signed_call.hpp). Default: base::systemClock(). Must outlive the client.
  base::Clock* clock = &base::systemClock();
  // Default: defaultRandom().
  RandomFn random;
  // Default: none.
  IamRequestHook on_request;
};

class IamClient {
 public:
  // http and credentials must outlive the client.
  IamClient(net::HttpClient& http, CredentialsProvider& credentials, IamClientOptions options);

  // Every user (ARN and name), in IAM's order. path_prefix "" lists all. On failure with an AWS error
  // response, *details (when given) receives it.
  Result<std::vector<IamUser>> listUsers(const std::string& path_prefix = "", AwsError* details = nullptr);

  // Every role (ARN with its path, RoleId, Path, RoleName), the same way.
  Result<std::vector<IamRole>> listRoles(const std::string& path_prefix = "", AwsError* details = nullptr);

  // Every member user of IAM group `group` (GetGroup, every page): ARN, UserId, Path, UserName. A group that
  // does not exist: kNotFound naming the group.
  Result<std::vector<IamUser>> listGroupMembers(const std::string& group, AwsError* details = nullptr);

 private:
  // `parameter` is appended to every page's body as is (already form-encoded, "&Name=value"), or "".
  Result<std::vector<IamEntity>> list(IamListKind kind, const std::string& parameter, AwsError* details);
  // One request with retries; the 2xx body on success.
  Result<std::string> call(std::string_view operation, const std::string& body, AwsError* details);

  net::HttpClient& http_;
  CredentialsProvider& credentials_;
  IamClientOptions options_;
  std::string url_;   // endpoint URL + "/"
  std::string host_;  // Host header value
  std::string path_;  // request path, as signed
};

}  // namespace aar::aws
