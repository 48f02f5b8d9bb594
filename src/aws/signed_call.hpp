// signedCall: one SigV4-signed AWS request with the SDKs' standard-mode retries — the loop IamClient,
// EksClient and the STS AssumeRole provider share.
//
// Each attempt: fetch credentials from the provider (a cached provider makes that cheap), sign the request
// for SignedCall::signing_service in SignedCall::signing_region at clock() time, send it with the call's
// timeout and response-size bound, and classify the outcome. A 2xx answer returns its body. A non-2xx
// answer is parsed by SignedCall::parse_error into an AwsError (code, message, request id), its message
// cleaned of the credentials' secret key and session token, turned into an aar::Error by toError (then
// SignedCall::refine_kind, when set, may change the kind: EKS' ResourceNotFoundException → kNotFound).
// Retried (isRetryableAwsFailure): throttling and transient codes, HTTP 5xx, connection errors and
// timeouts, up to RetryPolicy::max_attempts, waiting backoffDelay(retry, n, random()) on the clock between
// attempts. Not retried: other 4xx, a failed credentials fetch, cancellation (HttpClient::cancel() ends the
// call with kCancelled: at once during a request, and within kBackoffCancelCheck during a backoff wait, see
// waitBackoff).
//
// Errors: "<label> <operation>: ..." with HTTP status, AWS code, message and request id, plus " after N
// attempts" when it was retried; *details (when given) receives the last AwsError. Secrets never appear in an
// error message or a log line.
//
// Thread-safety: signedCall may run on several threads at once if the SignedCallContext's functions and
// provider are thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/aws_error.hpp"
#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "aws/retry.hpp"
#include "base/clock.hpp"
#include "core/result.hpp"
#include "net/http_client.hpp"

namespace aar::aws {

// Called once per HTTP request attempt: operation and result code (HTTP status as text, or the error kind
// name when no response arrived: "Network", "Timeout", "Cancelled").
using AwsRequestHook = std::function<void(std::string_view operation, std::string_view code)>;

// What a client supplies once: transport, credentials, retry policy and the injected time and randomness.
struct SignedCallContext {
  net::HttpClient& http;
  CredentialsProvider& credentials;
  const RetryPolicy& retry;          // max_attempts < 1 counts as 1
  base::Clock& clock;                // signing time (wallNow) and backoff waits (waitBackoff)
  const RandomFn& random;            // jitter; required
  const AwsRequestHook& on_request;  // may be empty
};

// How late HttpClient::cancel() during a backoff wait is noticed at most.
inline constexpr std::chrono::milliseconds kBackoffCancelCheck{1000};

// Waits `delay` on `clock`, in clock.sleepFor() slices of at most kBackoffCancelCheck, and returns early
// once `http` is cancelled (checked before each slice). base::Clock::sleepFor cannot be interrupted and
// HttpClient::cancel() notifies nothing a waitUntil could wait on, so the wait polls between slices: a
// shutdown during a 20 s backoff ends it within a second, and a test clock (ManualClock) sees each slice as
// one recorded sleep, never a real one. Returns false when it ended because of cancellation.
bool waitBackoff(base::Clock& clock, const net::HttpClient& http, std::chrono::milliseconds delay);

// One request, already built except for its signature.
struct SignedCall {
  std::string_view label;            // "IAM", "EKS", "STS": names the service in messages
  std::string_view operation;        // "ListUsers"
  std::string_view signing_service;  // "iam"
  std::string signing_region;
  std::string method = "POST";
  std::string url;                                           // absolute, with the query when there is one
  std::string path;                                          // as signed
  std::string query;                                         // as signed, already encoded ("" when none)
  std::vector<std::pair<std::string, std::string>> headers;  // Host first; all of them signed
  std::string body;
  std::chrono::milliseconds timeout{10000};
  size_t max_response_bytes = net::kDefaultMaxResponseBytes;
  // The AWS error in a non-2xx answer; an empty code when the body is not one (the status still counts).
  std::function<AwsError(const net::HttpResponse&)> parse_error;
  // Optional: adjusts the error's kind from the AWS error (service-specific codes).
  std::function<void(const AwsError&, Error&)> refine_kind;
};

// The 2xx body, or the failure as described above.
Result<std::string> signedCall(const SignedCallContext& context, const SignedCall& call,
                               AwsError* details = nullptr);

// The Host header for a URL's host part: the default port (":443" for https, ":80" for http) dropped, as
// HTTP clients send it.
std::string hostHeader(const UrlParts& url);

// A parse_error for the Query protocol (IAM, STS): the ErrorResponse XML document, the request id falling
// back to the x-amzn-RequestId header.
AwsError parseQueryError(const net::HttpResponse& response);

}  // namespace aar::aws
