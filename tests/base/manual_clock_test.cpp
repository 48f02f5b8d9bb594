// ManualClock (tests/support/manual_clock.hpp): time moves only when advanced, sleeps are recorded, and
// advancing wakes waiters whose deadline has passed without lost wake-ups.
#include "support/manual_clock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "support/eventually.hpp"

namespace aar::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ManualClockTest, TimeMovesOnlyWhenAdvanced) {
  ManualClock clock;
  const auto t0 = clock.now();
  const auto w0 = clock.wallNow();
  EXPECT_EQ(clock.now(), t0);
  clock.advance(seconds(3));
  EXPECT_EQ(clock.now() - t0, seconds(3));
  EXPECT_EQ(clock.wallNow() - w0, seconds(3));
  clock.advance(seconds(-1));  // never backwards
  EXPECT_EQ(clock.now() - t0, seconds(3));
}

TEST(ManualClockTest, StartsAtTheGivenWallTime) {
  const base::Clock::WallTime start{seconds(1700000000)};
  ManualClock clock(start);
  EXPECT_EQ(clock.wallNow(), start);
  EXPECT_NE(clock.now(), base::Clock::SteadyTime{});
}

TEST(ManualClockTest, SleepForAdvancesAtOnceAndRecordsEachSleep) {
  ManualClock clock;
  const auto t0 = clock.now();
  clock.sleepFor(milliseconds(200));
  clock.sleepFor(milliseconds(0));
  clock.sleepFor(seconds(1));
  EXPECT_EQ(clock.now() - t0, milliseconds(1200));
  const std::vector<std::chrono::nanoseconds> expected{milliseconds(200), milliseconds(0), seconds(1)};
  EXPECT_EQ(clock.sleeps(), expected);
}

TEST(ManualClockTest, WaitUntilReturnsAtOnceWhenReadyOrPastDeadline) {
  ManualClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_TRUE(clock.waitUntil(cv, lock, clock.now() + seconds(10), [] { return true; }));
  EXPECT_FALSE(clock.waitUntil(cv, lock, clock.now(), [] { return false; }));
  EXPECT_TRUE(lock.owns_lock());
  EXPECT_EQ(clock.waiters(), 0U);
}

TEST(ManualClockTest, AdvancingToTheDeadlineWakesAWaiter) {
  ManualClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int> result{-1};
  const auto deadline = clock.now() + seconds(5);
  std::thread waiter([&] {
    std::unique_lock<std::mutex> lock(mu);
    result = clock.waitUntil(cv, lock, deadline, [] { return false; }) ? 1 : 0;
  });
  ASSERT_TRUE(eventually([&] { return clock.waiters() == 1; }));
  clock.advance(seconds(4));  // short of the deadline: still waiting
  EXPECT_EQ(result.load(), -1);
  EXPECT_EQ(clock.waiters(), 1U);
  clock.advance(seconds(1));
  waiter.join();
  EXPECT_EQ(result.load(), 0);
  EXPECT_EQ(clock.waiters(), 0U);
}

TEST(ManualClockTest, NotifyingWakesAWaiterBeforeItsDeadline) {
  ManualClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool flag = false;
  std::atomic<int> result{-1};
  std::thread waiter([&] {
    std::unique_lock<std::mutex> lock(mu);
    result = clock.waitUntil(cv, lock, clock.now() + seconds(60), [&] { return flag; }) ? 1 : 0;
  });
  ASSERT_TRUE(eventually([&] { return clock.waiters() == 1; }));
  {
    const std::lock_guard<std::mutex> guard(mu);
    flag = true;
  }
  cv.notify_all();
  waiter.join();
  EXPECT_EQ(result.load(), 1);
}

// Many waiters and concurrent advances: every waiter whose deadline passes returns (none misses its wake-up),
// and the clock ends exactly at the sum of the advances.
TEST(ManualClockTest, ConcurrentAdvancesWakeEveryWaiter) {
  ManualClock clock;
  const auto t0 = clock.now();
  constexpr int kWaiters = 8;
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&, i] {
      std::unique_lock<std::mutex> lock(mu);
      if (!clock.waitUntil(cv, lock, t0 + milliseconds(10 * (i + 1)), [] { return false; })) ++woken;
    });
  }
  std::vector<std::thread> advancers;
  for (int i = 0; i < 4; ++i) {
    advancers.emplace_back([&] {
      for (int j = 0; j < 25; ++j) clock.advance(milliseconds(1));
    });
  }
  for (auto& t : advancers) t.join();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(woken.load(), kWaiters);
  EXPECT_EQ(clock.now() - t0, milliseconds(100));
}

}  // namespace
}  // namespace aar::test
