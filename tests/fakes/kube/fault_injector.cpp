#include "fakes/kube/fault_injector.hpp"

namespace aar::testing::kube {

void FaultInjector::add(FaultSpec spec) {
  std::lock_guard<std::mutex> lock(mu_);
  if (spec.count != 0) faults_.push_back(std::move(spec));
}

void FaultInjector::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

std::vector<FaultSpec> FaultInjector::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return faults_;
}

std::optional<ApiResult> FaultInjector::take(const std::string& verb, const std::string& plural,
                                             const std::string& group, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->verb != "*" && it->verb != verb) continue;
    if (it->resource != "*" && it->resource != plural) continue;
    if (!it->name.empty() && it->name != name) continue;
    FaultSpec spec = *it;
    if (it->count > 0 && --it->count == 0) faults_.erase(it);
    switch (spec.status) {
      case 409:
        return statusConflict(plural, group, name);
      case 429:
        return statusTooManyRequests(spec.retry_after_seconds);
      case 500:
        return statusInternalError("injected fault");
      case 503: {
        ApiResult result = statusFailure(503, "ServiceUnavailable",
                                         "the server is currently unable to handle the "
                                         "request (injected fault)",
                                         {{"retryAfterSeconds", spec.retry_after_seconds}});
        result.headers.emplace_back("Retry-After", std::to_string(spec.retry_after_seconds));
        return result;
      }
      case 401:
        return statusUnauthorized();
      case 403:
        return statusFailure(
            403, "Forbidden",
            plural + (group.empty() ? "" : "." + group) + " \"" + name + "\" is forbidden: injected fault",
            {{"name", name}, {"kind", plural}});
      case 404:
        return statusNotFound(plural, group, name);
      case 410:
        return statusFailure(410, "Expired", "injected fault: too old resource version");
      case 422:
        return statusFailure(422, "Invalid", "injected fault", {{"name", name}, {"kind", plural}});
      default:
        return statusFailure(spec.status, spec.status >= 500 ? "InternalError" : "BadRequest",
                             "injected fault");
    }
  }
  return std::nullopt;
}

}  // namespace aar::testing::kube
