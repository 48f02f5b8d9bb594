// runGuarded: the one way every thread entry point of ours runs its body (watch loops, Lease renewal, the
// probe server, the signal thread).
//
// An exception that escapes a thread's function calls std::terminate: an abort with no word of what failed.
// runGuarded catches everything the body throws, logs it at critical level (which thread, what) and ends
// the process with kThreadFailureExitCode, so the kubelet restarts the pod and the log says why. It ends the
// process with std::_Exit after flushing the log: exit() would run static destructors while the other threads
// still use those objects.
//
// Lives in net, the lowest layer that logs, so that net, aws, kube and app share it.
//
// Thread-safety: call from any thread.
#pragma once

#include <exception>
#include <string_view>
#include <utility>

namespace aar::net {

// EX_SOFTWARE (sysexits.h): an internal software error.
inline constexpr int kThreadFailureExitCode = 70;

// Logs "thread <thread> failed: <what>; exiting" at critical level, flushes, and ends the process with
// kThreadFailureExitCode. Never returns, never throws.
[[noreturn]] void exitOnThreadFailure(std::string_view thread, std::string_view what) noexcept;

// Runs body(); whatever it throws ends the process through exitOnThreadFailure. `thread` names the thread in
// the log line ("config map cache kube-system/aws-auth").
template <typename Body>
void runGuarded(std::string_view thread, Body&& body) noexcept {
  try {
    std::forward<Body>(body)();
  } catch (const std::exception& e) {
    exitOnThreadFailure(thread, e.what());
  } catch (...) {
    exitOnThreadFailure(thread, "an exception that is not a std::exception");
  }
}

}  // namespace aar::net
