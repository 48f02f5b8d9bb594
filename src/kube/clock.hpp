// SleepFn: how a Kubernetes client retry waits (conflict backoff, Retry-After), injected so that tests record
// instead of sleeping. Time itself is base::Clock (src/base/clock.hpp), the one clock of the whole program.
//
// Thread-safety: realSleep is safe from any thread.
#pragma once

#include <chrono>
#include <functional>

namespace aar::kube {

// Waits `d`; injected where a retry waits (conflict backoff, Retry-After), so tests record instead of sleep.
using SleepFn = std::function<void(std::chrono::milliseconds d)>;

// std::this_thread::sleep_for.
void realSleep(std::chrono::milliseconds d);

}  // namespace aar::kube
