#include "controller/scheduler.hpp"

#include <algorithm>

namespace aar::controller {

Scheduler::Scheduler(Options options, TimePoint start)
    : options_(options), periodic_due_(start), not_before_(start) {}

void Scheduler::trigger(bool urgent) {
  pending_ = true;
  if (urgent) pending_urgent_ = true;
}

void Scheduler::cycleStarted() {
  pending_ = false;
  pending_urgent_ = false;
}

void Scheduler::cycleFinished(TimePoint now, bool success) {
  if (success) {
    failures_ = 0;
    periodic_due_ = now + options_.interval;
    not_before_ = now;
    return;
  }
  ++failures_;
  Duration delay = backoffFor(failures_);
  periodic_due_ = now + delay;
  not_before_ = now + delay;
}

Scheduler::TimePoint Scheduler::nextCycleAt() const {
  TimePoint next = periodic_due_;
  if (pending_urgent_) return TimePoint::min();
  if (pending_) next = std::min(next, not_before_);
  return next;
}

Scheduler::Duration Scheduler::backoffFor(int n) const {
  Duration d = options_.backoff_initial;
  for (int i = 1; i < n && d < options_.backoff_max; ++i) d *= 2;
  return std::min(d, options_.backoff_max);
}

}  // namespace aar::controller
