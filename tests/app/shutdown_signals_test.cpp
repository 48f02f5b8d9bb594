#include "app/shutdown_signals.hpp"

#include <gtest/gtest.h>
#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>

namespace aar::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Collects the signals the callback saw and lets the test wait for the first.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  int count = 0;
  int last = 0;

  void record(int sig) {
    std::lock_guard lock(mu);
    ++count;
    last = sig;
    cv.notify_all();
  }
  bool waitForOne(milliseconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [this] { return count > 0; });
  }
};

sigset_t currentMask() {
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return mask;
}

TEST(ShutdownSignalsTest, RunsTheCallbackOnceForTheFirstSignalSentToTheProcess) {
  Seen seen;
  {
    ShutdownSignals signals([&seen](int sig) { seen.record(sig); });
    EXPECT_FALSE(signals.received());
    ASSERT_EQ(kill(getpid(), SIGTERM), 0);
    ASSERT_TRUE(seen.waitForOne(milliseconds(5000)));
    ASSERT_EQ(kill(getpid(), SIGINT), 0);  // a second signal is taken (not fatal) but not reported again
    EXPECT_TRUE(signals.received());
  }
  EXPECT_EQ(seen.count, 1);
  EXPECT_EQ(seen.last, SIGTERM);
}

TEST(ShutdownSignalsTest, ReportsSigint) {
  Seen seen;
  ShutdownSignals signals([&seen](int sig) { seen.record(sig); });
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  ASSERT_TRUE(seen.waitForOne(milliseconds(5000)));
  EXPECT_EQ(seen.last, SIGINT);
}

TEST(ShutdownSignalsTest, DestroysPromptlyAndRestoresTheSignalMask) {
  const sigset_t before = currentMask();
  ASSERT_EQ(sigismember(&before, SIGTERM), 0);
  int calls = 0;
  auto started = steady_clock::now();
  {
    ShutdownSignals signals([&calls](int) { ++calls; });
    const sigset_t during = currentMask();
    EXPECT_EQ(sigismember(&during, SIGTERM), 1);
    EXPECT_EQ(sigismember(&during, SIGINT), 1);
    started = steady_clock::now();
  }
  // Generous bound: the destructor wakes the waiting thread through an eventfd instead of a timeout. This
  // checks that it does not hang, not how fast it is (that is bench/e2e's business).
  EXPECT_LT(steady_clock::now() - started, milliseconds(2000));
  const sigset_t after = currentMask();
  EXPECT_EQ(sigismember(&after, SIGTERM), 0);
  EXPECT_EQ(sigismember(&after, SIGINT), 0);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace aar::app
