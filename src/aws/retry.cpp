#include "aws/retry.hpp"

#include <algorithm>
#include <array>
#include <random>

namespace aar::aws {
namespace {

constexpr std::array<std::string_view, 13> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "EC2ThrottledException",
};

constexpr std::array<std::string_view, 3> kTransientCodes = {
    "RequestTimeout",
    "RequestTimeoutException",
    "PriorRequestNotComplete",
};

}  // namespace

std::chrono::milliseconds backoffDelay(const RetryPolicy& policy, int retry, double random01) {
  double ceiling = static_cast<double>(policy.base_delay.count());
  for (int i = 0; i < retry && ceiling < static_cast<double>(policy.max_backoff.count()); ++i) ceiling *= 2;
  ceiling = std::min(ceiling, static_cast<double>(policy.max_backoff.count()));
  double r = std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(r * ceiling));
}

bool isThrottlingCode(std::string_view code) {
  return std::find(kThrottlingCodes.begin(), kThrottlingCodes.end(), code) != kThrottlingCodes.end();
}

bool isTransientCode(std::string_view code) {
  return std::find(kTransientCodes.begin(), kTransientCodes.end(), code) != kTransientCodes.end();
}

bool isRetryableAwsFailure(long http_status, std::string_view aws_code, ErrorKind transport_kind) {
  if (http_status > 0) {
    return http_status >= 500 || http_status == 429 || isThrottlingCode(aws_code) ||
           isTransientCode(aws_code);
  }
  return transport_kind == ErrorKind::kNetwork || transport_kind == ErrorKind::kTimeout;
}

RandomFn defaultRandom() {
  return [] {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  };
}

}  // namespace aar::aws
