// Mapping an API server's failure response (HTTP code + metav1.Status body) to an aar::Error.
//
//   404 NotFound → kNotFound          409 reason AlreadyExists → kAlreadyExists, other 409 → kConflict
//   401 → kUnauthorized                403 → kForbidden
//   422 → kInvalid                     410 → kGone (watch/list resourceVersion too old)
//   429 → kTooManyRequests (Retry-After exposed)   5xx → kServer   400 and other 4xx → kInvalidArgument
// The message is "<VERB> <path>: <Status message>" (or the HTTP code when the body is not a Status). Bodies
// are quoted only from a Status's message field, truncated, never headers (which may hold the token).
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace aar::kube {

struct ApiError {
  Error error;
  int code = 0;        // HTTP status
  std::string reason;  // Status.reason, e.g. "NotFound", "Expired"; empty when absent
  // From a Retry-After header (seconds), else Status.details.retryAfterSeconds; nullopt when neither.
  std::optional<std::chrono::seconds> retry_after;
};

// `context` prefixes the message (e.g. "GET /api/v1/namespaces/kube-system/configmaps/aws-auth").
ApiError decodeApiError(int http_code, std::string_view body,
                        const std::optional<std::string>& retry_after_header, std::string_view context);

// ErrorKind for an HTTP code and Status reason, per the table above.
ErrorKind errorKindForStatus(int http_code, std::string_view reason);

}  // namespace aar::kube
