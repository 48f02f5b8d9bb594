// runGuarded: an exception escaping a thread's body is logged and ends the process with exit code 70, never
// std::terminate (which would abort with SIGABRT and no word of what failed).
#include "net/thread_guard.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <thread>

namespace aar::net {
namespace {

// Death tests match stderr: log there.
void logToStderr() { spdlog::set_default_logger(spdlog::stderr_logger_mt("thread-guard-test")); }

TEST(ThreadGuardDeathTest, AnExceptionInAThreadIsLoggedAndExitsWithCode70) {
  EXPECT_EXIT(
      {
        logToStderr();
        std::thread worker(
            [] { runGuarded("watch loop", [] { throw std::runtime_error("boom from the watch"); }); });
        worker.join();
      },
      ::testing::ExitedWithCode(kThreadFailureExitCode),
      "thread watch loop failed: boom from the watch; exiting");
}

TEST(ThreadGuardDeathTest, ANonStandardExceptionIsCaughtToo) {
  EXPECT_EXIT(
      {
        logToStderr();
        std::thread worker([] { runGuarded("lease renewal", [] { throw 42; }); });
        worker.join();
      },
      ::testing::ExitedWithCode(kThreadFailureExitCode),
      "thread lease renewal failed: an exception that is not a std::exception");
}

TEST(ThreadGuardTest, ABodyThatReturnsNormallyRunsOnce) {
  int runs = 0;
  std::thread worker([&] { runGuarded("quiet", [&] { ++runs; }); });
  worker.join();
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace aar::net
