// Retry policy of the AWS SDKs' "standard" mode: which failures are retried and how long to wait.
//
// Retried: throttling error codes (Throttling, ThrottlingException, RequestLimitExceeded,
// TooManyRequestsException, ...), transient codes (RequestTimeout, PriorRequestNotComplete, ...), any HTTP
// 5xx, and transport failures (connection errors, timeouts). Not retried: other 4xx, parse errors,
// cancellation. Backoff: exponential with full jitter, delay = random[0,1) * min(max_backoff, base_delay *
// 2^retry).
//
// Time and randomness are injected (base::Clock, RandomFn) so tests never sleep.
// Thread-safety: pure functions and plain values.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "core/result.hpp"

namespace aar::aws {

struct RetryPolicy {
  int max_attempts = 3;                          // Default: 3 (the first try included)
  std::chrono::milliseconds base_delay{100};     // Default: 100 ms
  std::chrono::milliseconds max_backoff{20000};  // Default: 20 s
};

// A uniform random number in [0, 1).
using RandomFn = std::function<double()>;

// The wait before retry number `retry` (0 for the wait after the first failed attempt).
std::chrono::milliseconds backoffDelay(const RetryPolicy& policy, int retry, double random01);

// True for the throttling error codes the SDKs retry.
bool isThrottlingCode(std::string_view code);
// True for transient, non-throttling error codes the SDKs retry.
bool isTransientCode(std::string_view code);

// Whether a failed AWS call should be retried: by HTTP status and AWS error code when the server answered
// (status > 0), else by the transport error kind.
bool isRetryableAwsFailure(long http_status, std::string_view aws_code, ErrorKind transport_kind);

// A RandomFn over a thread-local Mersenne Twister seeded from std::random_device.
RandomFn defaultRandom();

}  // namespace aar::aws
