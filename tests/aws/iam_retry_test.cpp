// The standard-mode retry policy as pure functions.
#include <gtest/gtest.h>

#include "aws/retry.hpp"

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

}  // namespace
}  // namespace aar::aws
