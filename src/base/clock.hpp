// Clock: time as the whole program sees it, injected so that tests advance time instead of sleeping.
//
// One interface for every layer above the core (the core has no clock): the monotonic time that deadlines,
// backoff and Lease observation are measured in; the wall time that credentials expire and Events and Leases
// are stamped in; and the two ways the program waits — sleeping (a retry's backoff) and waiting on a
// condition variable until a deadline (a loop that can also be woken). tests/support/manual_clock.hpp is the
// test double: its time moves only when a test advances it, and advancing wakes every waiter whose deadline
// has passed.
//
// Thread-safety: systemClock() and every Clock are safe to use from any number of threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace aar::base {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;

  virtual SteadyTime now() const = 0;
  virtual WallTime wallNow() const = 0;

  // Blocks the calling thread for `d` (returns at once for d <= 0).
  virtual void sleepFor(std::chrono::nanoseconds d) = 0;

  // With `lock` held on the mutex that guards `ready`'s state: waits on `cv` until ready() is true or now()
  // reaches `deadline`, like std::condition_variable::wait_until with a predicate. Returns ready(). Whoever
  // changes that state must notify `cv` while holding, or after releasing, the same mutex.
  virtual bool waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, SteadyTime deadline,
                         const std::function<bool()>& ready) = 0;
};

// The process clocks (steady_clock, system_clock, real sleeps and waits). Lives for the whole program.
Clock& systemClock();

}  // namespace aar::base
