// The standard-mode retry policy as pure functions, and the cancellable backoff wait on a manual clock.
#include <gtest/gtest.h>

#include "aws/retry.hpp"
#include "aws/signed_call.hpp"
#include "support/manual_clock.hpp"

namespace aar::aws {
namespace {

using std::chrono::milliseconds;

TEST(IamRetryTest, BackoffIsFullJitterUnderAnExponentialCeiling) {
  RetryPolicy p;
  EXPECT_EQ(backoffDelay(p, 0, 0.0), milliseconds(0));
  EXPECT_EQ(backoffDelay(p, 0, 0.999), milliseconds(99));
  EXPECT_EQ(backoffDelay(p, 1, 0.5), milliseconds(100));
  EXPECT_EQ(backoffDelay(p, 3, 0.5), milliseconds(400));
}

TEST(IamRetryTest, BackoffIsCappedAtTheMaximum) {
  RetryPolicy p;
  EXPECT_EQ(backoffDelay(p, 20, 1.0), milliseconds(20000));
  EXPECT_EQ(backoffDelay(p, 1000, 0.5), milliseconds(10000));
}

TEST(IamRetryTest, DefaultRandomStaysInTheUnitInterval) {
  RandomFn r = defaultRandom();
  for (int i = 0; i < 1000; ++i) {
    double v = r();
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
  }
}

TEST(IamRetryTest, RetriesThrottlingServerErrorsAndTransportFailures) {
  for (const char* code :
       {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}) {
    EXPECT_TRUE(isThrottlingCode(code)) << code;
    EXPECT_TRUE(isRetryableAwsFailure(400, code, ErrorKind::kTooManyRequests)) << code;
  }
  EXPECT_TRUE(isRetryableAwsFailure(500, "", ErrorKind::kServer));
  EXPECT_TRUE(isRetryableAwsFailure(503, "ServiceUnavailable", ErrorKind::kServer));
  EXPECT_TRUE(isRetryableAwsFailure(400, "RequestTimeout", ErrorKind::kInvalidArgument));
  EXPECT_TRUE(isRetryableAwsFailure(0, "", ErrorKind::kNetwork));
  EXPECT_TRUE(isRetryableAwsFailure(0, "", ErrorKind::kTimeout));
}

TEST(IamRetryTest, DoesNotRetryClientErrorsOrCancellation) {
  EXPECT_FALSE(isRetryableAwsFailure(403, "SignatureDoesNotMatch", ErrorKind::kForbidden));
  EXPECT_FALSE(isRetryableAwsFailure(403, "InvalidClientTokenId", ErrorKind::kForbidden));
  EXPECT_FALSE(isRetryableAwsFailure(400, "ValidationError", ErrorKind::kInvalidArgument));
  EXPECT_FALSE(isRetryableAwsFailure(0, "", ErrorKind::kCancelled));
  EXPECT_FALSE(isRetryableAwsFailure(0, "", ErrorKind::kParse));
}

TEST(WaitBackoffTest, SleepsTheDelayInSlicesOfAtMostTheCancelCheck) {
  test::ManualClock clock;
  net::HttpClient http;
  EXPECT_TRUE(waitBackoff(clock, http, milliseconds(2500)));
  using std::chrono::nanoseconds;
  EXPECT_EQ(clock.sleeps(), (std::vector<nanoseconds>{kBackoffCancelCheck, kBackoffCancelCheck,
                                                      milliseconds(2500) - 2 * kBackoffCancelCheck}));
  EXPECT_TRUE(waitBackoff(clock, http, milliseconds(0)));
  EXPECT_EQ(clock.sleeps().size(), 3u) << "a zero backoff does not wait";
}

TEST(WaitBackoffTest, ACancelledClientDoesNotWait) {
  test::ManualClock clock;
  net::HttpClient http;
  http.cancel();
  EXPECT_FALSE(waitBackoff(clock, http, milliseconds(20000)));
  EXPECT_TRUE(clock.sleeps().empty());
}

}  // namespace
}  // namespace aar::aws
