// AwsError: what an AWS Query-protocol service (IAM, STS) said when it refused a request, and how that maps
// to an aar::Error.
//
// The structured fields are for logs and metrics (code, request id, HTTP status); none of them ever holds a
// credential. Thread-safety: plain values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace aar::aws {

struct AwsError {
  long http_status = 0;    // 0 when the request never got an answer (transport failure)
  std::string code;        // e.g. "SignatureDoesNotMatch"; "" when the body was not an ErrorResponse
  std::string message;     // the service's message
  std::string request_id;  // from the ErrorResponse, "" when absent
  std::string type;        // "Sender" or "Receiver" when given
};

// Parses <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse> (any namespace).
// nullopt when the body is not such a document.
std::optional<AwsError> parseAwsErrorXml(std::string_view body);

// The aar::Error for a refused request: kind from status and code (throttling codes → kTooManyRequests,
// 5xx → kServer, 401 → kUnauthorized, 403 → kForbidden, 404 → kNotFound, other 4xx → kInvalidArgument);
// message "<service> <operation>: HTTP <status> <code>: <message> (request id <id>)".
Error toError(const AwsError& error, std::string_view service, std::string_view operation);

}  // namespace aar::aws
