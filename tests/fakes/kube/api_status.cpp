#include "fakes/kube/api_status.hpp"

namespace aar::testing::kube {
namespace {

nlohmann::json qualifiedDetails(const std::string& plural, const std::string& group,
                                const std::string& name) {
  nlohmann::json details = {{"name", name}, {"kind", plural}};
  if (!group.empty()) details["group"] = group;
  return details;
}

std::string qualifiedResource(const std::string& plural, const std::string& group) {
  return group.empty() ? plural : plural + "." + group;
}

}  // namespace

ApiResult statusFailure(int code, const std::string& reason, const std::string& message,
                        const nlohmann::json& details) {
  nlohmann::json body = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
                         {"status", "Failure"}, {"message", message}, {"reason", reason},
                         {"code", code}};
  if (details.is_object()) body["details"] = details;
  return ApiResult{code, std::move(body), {}};
}

ApiResult statusNotFound(const std::string& plural, const std::string& group, const std::string& name) {
  return statusFailure(404, "NotFound", qualifiedResource(plural, group) + " \"" + name + "\" not found",
                       qualifiedDetails(plural, group, name));
}

ApiResult statusAlreadyExists(const std::string& plural, const std::string& group, const std::string& name) {
  return statusFailure(409, "AlreadyExists",
                       qualifiedResource(plural, group) + " \"" + name + "\" already exists",
                       qualifiedDetails(plural, group, name));
}

ApiResult statusConflict(const std::string& plural, const std::string& group, const std::string& name,
                         const std::string& why) {
  std::string reason = why.empty() ? "the object has been modified; please apply your changes to the latest "
                                     "version and try again"
                                   : why;
  return statusFailure(
      409, "Conflict",
      "Operation cannot be fulfilled on " + qualifiedResource(plural, group) + " \"" + name + "\": " + reason,
      qualifiedDetails(plural, group, name));
}

ApiResult statusInvalid(const std::string& kind, const std::string& group, const std::string& name,
                        const std::vector<StatusCause>& causes) {
  std::string message = (group.empty() ? kind : kind + "." + group) + " \"" + name + "\" is invalid: ";
  nlohmann::json json_causes = nlohmann::json::array();
  for (size_t i = 0; i < causes.size(); ++i) {
    if (i > 0) message += ", ";
    message += causes[i].field + ": " + causes[i].message;
    json_causes.push_back(
        {{"reason", causes[i].reason}, {"message", causes[i].message}, {"field", causes[i].field}});
  }
  nlohmann::json details = {{"name", name}, {"kind", kind}, {"causes", json_causes}};
  if (!group.empty()) details["group"] = group;
  return statusFailure(422, "Invalid", message, details);
}

ApiResult statusBadRequest(const std::string& message) { return statusFailure(400, "BadRequest", message); }

ApiResult statusExpired(unsigned long long requested, unsigned long long oldest) {
  return statusFailure(
      410, "Expired",
      "too old resource version: " + std::to_string(requested) + " (" + std::to_string(oldest) + ")");
}

ApiResult statusUnauthorized() { return statusFailure(401, "Unauthorized", "Unauthorized"); }

ApiResult statusInternalError(const std::string& message) {
  return statusFailure(500, "InternalError", "Internal error occurred: " + message,
                       {{"causes", {{{"message", message}}}}});
}

ApiResult statusTooManyRequests(int retry_after_seconds) {
  ApiResult result = statusFailure(429, "TooManyRequests", "Too many requests, please try again later.",
                                   {{"retryAfterSeconds", retry_after_seconds}});
  result.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return result;
}

ApiResult statusSuccess(const nlohmann::json& details) {
  return ApiResult{200,
                   {{"kind", "Status"},
                    {"apiVersion", "v1"},
                    {"metadata", nlohmann::json::object()},
                    {"status", "Success"},
                    {"details", details}},
                   {}};
}

}  // namespace aar::testing::kube
