#include "controller/mass_removal_guard.hpp"

#include <algorithm>
#include <utility>

namespace aar::controller {

MassRemovalGuard::Decision MassRemovalGuard::evaluate(size_t managed_before,
                                                      std::vector<std::string> removed_arns) {
  Decision d;
  d.required = options_.confirmations;
  d.removed = removed_arns.size();
  d.managed = managed_before;
  // "More than half": removed / managed > 1/2, in integers.
  d.mass = managed_before > options_.min_managed && d.removed * 2 > managed_before;
  if (!d.mass) {
    applied();
    return d;
  }
  std::sort(removed_arns.begin(), removed_arns.end());
  removed_arns.erase(std::unique(removed_arns.begin(), removed_arns.end()), removed_arns.end());
  if (seen_ > 0 && removed_arns == pending_) {
    ++seen_;
  } else {
    pending_ = std::move(removed_arns);
    seen_ = 1;
  }
  d.seen = seen_;
  d.hold = !options_.allow && seen_ < options_.confirmations;
  return d;
}

void MassRemovalGuard::applied() {
  pending_.clear();
  seen_ = 0;
}

}  // namespace aar::controller
