// Builders for the metav1.Status bodies a real kube-apiserver returns, and the result type the fake's store
// hands back to its HTTP layer (an HTTP code plus a JSON body, so the store can be tested without HTTP).
//
// The messages, reasons and details follow k8s.io/apimachinery/pkg/api/errors (e.g. NotFound:
// `configmaps "aws-auth" not found`, reason NotFound, details {name, kind}).
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aar::testing::kube {

// What a store operation produced: a 2xx with the object, or an error code with a Status body.
struct ApiResult {
  int code = 200;
  nlohmann::json body;
  // Extra response headers (Retry-After for 429).
  std::vector<std::pair<std::string, std::string>> headers;

  bool ok() const { return code >= 200 && code < 300; }
};

// One entry of details.causes in an Invalid (422) Status.
struct StatusCause {
  std::string reason;  // e.g. "FieldValueTooLong", "FieldValueInvalid", "FieldValueRequired"
  std::string message;
  std::string field;  // e.g. "metadata.annotations", "[]"
};

// A failure Status with the given code, reason and message; details only when `details` is an object.
ApiResult statusFailure(int code, const std::string& reason, const std::string& message,
                        const nlohmann::json& details = nullptr);

ApiResult statusNotFound(const std::string& plural, const std::string& group, const std::string& name);
ApiResult statusAlreadyExists(const std::string& plural, const std::string& group, const std::string& name);
// 409 "Operation cannot be fulfilled on configmaps \"x\": the object has been modified; ..."
ApiResult statusConflict(const std::string& plural, const std::string& group, const std::string& name,
                         const std::string& why = "");
// 422: `ConfigMap "x" is invalid: <field>: <message>, ...` with details.causes.
ApiResult statusInvalid(const std::string& kind, const std::string& group, const std::string& name,
                        const std::vector<StatusCause>& causes);
ApiResult statusBadRequest(const std::string& message);
// 410 reason Expired: "too old resource version: <requested> (<oldest>)".
ApiResult statusExpired(unsigned long long requested, unsigned long long oldest);
ApiResult statusUnauthorized();
ApiResult statusInternalError(const std::string& message);
ApiResult statusTooManyRequests(int retry_after_seconds);
// {"kind":"Status","status":"Success","details":{...}} as DELETE returns it.
ApiResult statusSuccess(const nlohmann::json& details);

}  // namespace aar::testing::kube
