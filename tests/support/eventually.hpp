// eventually(): poll a condition another thread or process must make true, with a bound on real time.
//
// Only for waiting on something outside the test's control (a server thread, a child process, a loop thread
// catching up). Time the test can simulate belongs to ManualClock, never to a poll.
//
// Thread-safety: reentrant; `cond` runs on the calling thread only.
#pragma once

#include <chrono>
#include <functional>

namespace aar::test {

// The default bound: long enough for a loaded CI machine (sanitizers, 2 cores), only ever reached on failure.
inline constexpr std::chrono::milliseconds kEventuallyLimit{10000};

// Calls cond() until it returns true or `limit` of real time passes. Between calls it sleeps 100 us at
// first, doubling up to `interval` (so a thread that catches up within microseconds is seen at once, and a
// slow condition, an HTTP request, is not hammered); interval 0 yields instead. Returns true as soon as
// cond() does; false when it never did, after one last call at the deadline.
bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = kEventuallyLimit,
                std::chrono::milliseconds interval = std::chrono::milliseconds(10));

}  // namespace aar::test
