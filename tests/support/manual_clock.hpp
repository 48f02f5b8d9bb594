// ManualClock: the test double of aar::base::Clock. Its time moves only when something advances it, so tests
// simulate seconds of backoff, lease expiry or credential lifetime without sleeping.
//
// - now() and wallNow() start at fixed points and move together, only through advance() or sleepFor().
// - sleepFor(d) advances the clock by d at once (d <= 0 does nothing) and records d: tests assert the exact
//   sleeps a retry loop made (sleeps()).
// - waitUntil(cv, lock, deadline, ready) blocks until ready() is true (someone notified cv) or until
// advance()
//   moves now() to or past the deadline. advance() wakes every waiter without lost wake-ups: each waiter is
//   registered with its mutex and condition variable, and advance() takes that mutex before notifying, so a
//   waiter that has just found the deadline ahead is either already waiting or sees the new time.
//
// Thread-safety: every member may be called from any number of threads. advance() and sleepFor() must not be
// called while holding the mutex of a thread that is blocked in waitUntil() (they take it to notify).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <vector>

#include "base/clock.hpp"

namespace aar::test {

class ManualClock : public base::Clock {
 public:
  // Defaults: steady time 1000 h after the steady epoch (never the zero time point that code may treat as
  // "unset"); wall time 2026-01-01T00:00:00Z.
  ManualClock();
  explicit ManualClock(WallTime wall_start);
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;
  ~ManualClock() override = default;  // not final: suites derive one with their start time

  SteadyTime now() const override;
  WallTime wallNow() const override;
  void sleepFor(std::chrono::nanoseconds d) override;
  bool waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, SteadyTime deadline,
                 const std::function<bool()>& ready) override;

  // Moves both clocks forward by d (d <= 0 does nothing) and wakes every waiter so it re-checks its deadline.
  void advance(std::chrono::nanoseconds d);

  // Every sleepFor() duration so far, in call order (sleepFor(0) is recorded too: a retry that did not back
  // off is visible).
  std::vector<std::chrono::nanoseconds> sleeps() const;
  // How many threads are blocked in waitUntil() right now: lets a test advance only once a loop is waiting.
  std::size_t waiters() const;

 private:
  struct Waiter {
    std::mutex* mutex;
    std::condition_variable* cv;
    int notifying = 0;  // advance() calls that hold a pointer to this waiter; guarded by mu_
  };

  mutable std::mutex mu_;
  std::condition_variable notified_;  // a Waiter's `notifying` dropped to zero
  SteadyTime now_;
  WallTime wall_;
  std::vector<std::chrono::nanoseconds> sleeps_;
  std::list<Waiter*> waiters_;
};

}  // namespace aar::test
