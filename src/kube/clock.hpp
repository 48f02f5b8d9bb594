// Clock and Sleeper: time as the Kubernetes client sees it, injected so that tests control it.
//
// Leader election needs both clocks: a monotonic one to measure how long a Lease record has gone unchanged
// (client-go's observedTime) and a wall clock to stamp acquireTime/renewTime, Events and exec credential
// expiry.
//
// Thread-safety: systemClock() is safe from any thread. Test clocks must synchronise themselves.
#pragma once

#include <chrono>
#include <functional>

namespace aar::kube {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point now() = 0;
  virtual std::chrono::system_clock::time_point wallNow() = 0;
};

// The process clocks (steady_clock and system_clock). Lives for the whole program.
Clock& systemClock();

// Waits `d`; injected where a retry waits (conflict backoff, Retry-After), so tests record instead of sleep.
using SleepFn = std::function<void(std::chrono::milliseconds d)>;

// std::this_thread::sleep_for.
void realSleep(std::chrono::milliseconds d);

}  // namespace aar::kube
