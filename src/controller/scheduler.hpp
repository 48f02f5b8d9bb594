// Scheduler: decides when the next cycle runs. Pure bookkeeping: time is passed in, nothing sleeps here.
//
//   - The first cycle is due at construction time.
//   - After a successful cycle the next is due one refresh interval later.
//   - After the n-th failure in a row the next is due after a backoff of initial·2^(n-1), capped at max;
//     until then ordinary triggers wait (coalesced), so a failing dependency is never retried in a tight
//     loop.
//   - A trigger makes a cycle due now (or when the backoff ends). Any number of triggers before a cycle
//     starts coalesce into that one cycle.
//   - An urgent trigger (the rules changed: a person acted) is due now even during a backoff.
//
// Thread-safety: none; the controller guards it with its mutex.
#pragma once

#include <chrono>

namespace aar::controller {

class Scheduler {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  struct Options {
    Duration interval = std::chrono::seconds(15);        // Default: 15s (--refresh-interval)
    Duration backoff_initial = std::chrono::seconds(1);  // Default: 1s
    Duration backoff_max = std::chrono::minutes(5);      // Default: 5m
  };

  Scheduler(Options options, TimePoint start);

  void trigger(bool urgent);
  // Clears pending triggers: the cycle that starts now serves them all.
  void cycleStarted();
  void cycleFinished(TimePoint now, bool success);

  // When the next cycle should start; a time in the past means "now".
  TimePoint nextCycleAt() const;
  bool due(TimePoint now) const { return now >= nextCycleAt(); }

  int consecutiveFailures() const { return failures_; }
  // The backoff that the n-th consecutive failure waits (n ≥ 1).
  Duration backoffFor(int n) const;

 private:
  Options options_;
  TimePoint periodic_due_;
  TimePoint not_before_;
  bool pending_ = false;
  bool pending_urgent_ = false;
  int failures_ = 0;
};

}  // namespace aar::controller
