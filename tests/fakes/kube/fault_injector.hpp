// FaultInjector: planned failures for the fake API server ("the next 2 updates of configmaps fail with 409").
//
// A fault matches a request by Kubernetes verb (get, list, watch, create, update, patch, delete, or "*"),
// resource plural ("configmaps", "leases", "events", or "*") and optionally object name; each matching
// request consumes one count and gets the fault's status with a Status body like the real server's: 409
// Conflict, 429 TooManyRequests (Retry-After header and details.retryAfterSeconds), 500 InternalError, 503
// ServiceUnavailable, 401 Unauthorized, 403 Forbidden, 404 NotFound, 410 Expired, 422 Invalid, or any other
// code as a generic Failure. Faults are checked in the order added.
//
// Thread-safety: all methods may be called from any thread (one mutex).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fakes/kube/api_status.hpp"

namespace aar::testing::kube {

struct FaultSpec {
  std::string verb = "*";
  std::string resource = "*";
  std::string name;  // "" = any object
  int status = 500;
  int count = 1;                // requests to fail; -1 = until clearFaults()
  int retry_after_seconds = 1;  // for 429 and 503
};

class FaultInjector {
 public:
  void add(FaultSpec spec);
  void clear();
  // The injected response for this request, consuming one count of the first matching fault, or nullopt.
  std::optional<ApiResult> take(const std::string& verb, const std::string& plural, const std::string& group,
                                const std::string& name);
  // Faults still pending (with count left).
  std::vector<FaultSpec> pending() const;

 private:
  mutable std::mutex mu_;
  std::vector<FaultSpec> faults_;
};

}  // namespace aar::testing::kube
