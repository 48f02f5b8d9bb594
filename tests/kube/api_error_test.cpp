#include "kube/api_error.hpp"

#include <gtest/gtest.h>

namespace aar::kube {
namespace {

std::string status(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":)" + std::to_string(code) +
         R"(,"reason":")" + reason + R"(","message":")" + message + R"("})";
}

TEST(ApiErrorTest, MapsEveryStatusToItsKindWithTheServerMessage) {
  struct Case {
    int code;
    const char* reason;
    ErrorKind kind;
  };
  for (const Case& c :
       {Case{404, "NotFound", ErrorKind::kNotFound}, Case{409, "Conflict", ErrorKind::kConflict},
        Case{409, "AlreadyExists", ErrorKind::kAlreadyExists},
        Case{401, "Unauthorized", ErrorKind::kUnauthorized}, Case{403, "Forbidden", ErrorKind::kForbidden},
        Case{422, "Invalid", ErrorKind::kInvalid}, Case{410, "Expired", ErrorKind::kGone},
        Case{429, "TooManyRequests", ErrorKind::kTooManyRequests},
        Case{500, "InternalError", ErrorKind::kServer}, Case{503, "ServiceUnavailable", ErrorKind::kServer},
        Case{400, "BadRequest", ErrorKind::kInvalidArgument}}) {
    ApiError e = decodeApiError(c.code, status(c.code, c.reason, "the message"), std::nullopt, "GET /x");
    EXPECT_EQ(e.error.kind, c.kind) << c.code << " " << c.reason;
    EXPECT_EQ(e.reason, c.reason);
    EXPECT_NE(e.error.message.find("GET /x"), std::string::npos);
    EXPECT_NE(e.error.message.find("the message"), std::string::npos);
  }
}

TEST(ApiErrorTest, ExposesRetryAfterFromTheHeaderOrTheStatusDetails) {
  const std::string body =
      R"({"kind":"Status","code":429,"reason":"TooManyRequests","message":"slow down","details":{"retryAfterSeconds":7}})";
  EXPECT_EQ(decodeApiError(429, body, std::string("3"), "GET /x").retry_after, std::chrono::seconds(3));
  EXPECT_EQ(decodeApiError(429, body, std::nullopt, "GET /x").retry_after, std::chrono::seconds(7));
  ApiError e = decodeApiError(429, body, std::nullopt, "GET /x");
  EXPECT_NE(e.error.message.find("retry after 7s"), std::string::npos);
  EXPECT_FALSE(decodeApiError(429, "{}", std::nullopt, "GET /x").retry_after.has_value());
}

TEST(ApiErrorTest, NamesTheHttpCodeWhenTheBodyIsNotAStatus) {
  ApiError e = decodeApiError(502, "<html>bad gateway</html>", std::nullopt, "PUT /y");
  EXPECT_EQ(e.error.kind, ErrorKind::kServer);
  EXPECT_NE(e.error.message.find("HTTP 502"), std::string::npos);
  EXPECT_EQ(e.error.message.find("html"), std::string::npos);
}

TEST(ApiErrorTest, DecodesAStatusWithFieldsOfTheWrongTypeWithoutThrowing) {
  // Found by fuzzing: nlohmann's value("kind", "") threw type_error on {"kind": 429}.
  ApiError e = decodeApiError(
      429, R"({"kind":429,"reason":["x"],"message":{"m":1},"details":{"retryAfterSeconds":"6"}})",
      std::nullopt, "GET /x");
  EXPECT_EQ(e.error.kind, ErrorKind::kTooManyRequests);
  EXPECT_NE(e.error.message.find("HTTP 429"), std::string::npos);
}

}  // namespace
}  // namespace aar::kube
