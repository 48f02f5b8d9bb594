#include "controller/scheduler.hpp"

#include <gtest/gtest.h>

namespace aar::controller {
namespace {

using namespace std::chrono_literals;
using TP = Scheduler::TimePoint;

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest() : s(options(), t0) {}
  static Scheduler::Options options() {
    Scheduler::Options o;
    o.interval = 15s;
    o.backoff_initial = 1s;
    o.backoff_max = 8s;
    return o;
  }
  TP t0{1000s};
  Scheduler s;
};

TEST_F(SchedulerTest, TheFirstCycleIsDueAtStart) {
  EXPECT_TRUE(s.due(t0));
  EXPECT_FALSE(s.due(t0 - 1ms));
}

TEST_F(SchedulerTest, AfterASuccessTheNextCycleIsOneIntervalLater) {
  s.cycleStarted();
  s.cycleFinished(t0 + 2s, true);
  EXPECT_FALSE(s.due(t0 + 16s));
  EXPECT_TRUE(s.due(t0 + 17s));
}

TEST_F(SchedulerTest, ATriggerMakesACycleDueNow) {
  s.cycleStarted();
  s.cycleFinished(t0, true);
  s.trigger(false);
  EXPECT_TRUE(s.due(t0 + 1ms));
}

TEST_F(SchedulerTest, TriggersBeforeACycleStartsCoalesceIntoIt) {
  s.cycleFinished(t0, true);
  for (int i = 0; i < 10; ++i) s.trigger(false);
  EXPECT_TRUE(s.due(t0));
  s.cycleStarted();
  s.cycleFinished(t0 + 1s, true);
  EXPECT_FALSE(s.due(t0 + 2s));
}

TEST_F(SchedulerTest, FailuresBackOffExponentiallyUpToTheCap) {
  EXPECT_EQ(s.backoffFor(1), 1s);
  EXPECT_EQ(s.backoffFor(2), 2s);
  EXPECT_EQ(s.backoffFor(3), 4s);
  EXPECT_EQ(s.backoffFor(4), 8s);
  EXPECT_EQ(s.backoffFor(40), 8s);
  TP now = t0;
  for (int n = 1; n <= 5; ++n) {
    s.cycleStarted();
    s.cycleFinished(now, false);
    EXPECT_EQ(s.consecutiveFailures(), n);
    EXPECT_EQ(s.nextCycleAt(), now + s.backoffFor(n));
    now = s.nextCycleAt();
  }
  s.cycleFinished(now, true);
  EXPECT_EQ(s.consecutiveFailures(), 0);
  EXPECT_EQ(s.nextCycleAt(), now + 15s);
}

TEST_F(SchedulerTest, AnOrdinaryTriggerWaitsOutTheBackoff) {
  s.cycleStarted();
  s.cycleFinished(t0, false);
  s.cycleStarted();
  s.cycleFinished(t0 + 1s, false);  // backoff 2 s
  s.trigger(false);
  EXPECT_FALSE(s.due(t0 + 2s));
  EXPECT_TRUE(s.due(t0 + 3s));
}

TEST_F(SchedulerTest, AnUrgentTriggerDoesNotWaitForTheBackoff) {
  s.cycleStarted();
  s.cycleFinished(t0, false);
  s.trigger(true);
  EXPECT_TRUE(s.due(t0));
  s.cycleStarted();
  EXPECT_FALSE(s.due(t0));
}

}  // namespace
}  // namespace aar::controller
