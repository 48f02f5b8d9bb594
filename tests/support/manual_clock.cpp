#include "support/manual_clock.hpp"

#include <algorithm>

namespace aar::test {
namespace {

constexpr std::chrono::hours kSteadyStart{1000};
constexpr std::chrono::seconds kWallStart{1767225600};  // 2026-01-01T00:00:00Z

}  // namespace

ManualClock::ManualClock() : ManualClock(WallTime{kWallStart}) {}

ManualClock::ManualClock(WallTime wall_start) : now_(SteadyTime{kSteadyStart}), wall_(wall_start) {}

ManualClock::SteadyTime ManualClock::now() const {
  const std::lock_guard<std::mutex> guard(mu_);
  return now_;
}

ManualClock::WallTime ManualClock::wallNow() const {
  const std::lock_guard<std::mutex> guard(mu_);
  return wall_;
}

void ManualClock::sleepFor(std::chrono::nanoseconds d) {
  {
    const std::lock_guard<std::mutex> guard(mu_);
    sleeps_.push_back(d);
  }
  advance(d);
}

bool ManualClock::waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock,
                            SteadyTime deadline, const std::function<bool()>& ready) {
  Waiter self{lock.mutex(), &cv};
  {
    const std::lock_guard<std::mutex> guard(mu_);
    waiters_.push_back(&self);
  }
  // now() is read with `lock` held, and advance() takes that mutex before notifying: no wake-up is lost.
  while (!ready() && now() < deadline) cv.wait(lock);
  // Unregister without `lock`: an advance() that still holds a pointer to `self` may be waiting for it.
  lock.unlock();
  {
    std::unique_lock<std::mutex> guard(mu_);
    notified_.wait(guard, [&] { return self.notifying == 0; });
    waiters_.remove(&self);
  }
  lock.lock();
  return ready();
}

void ManualClock::advance(std::chrono::nanoseconds d) {
  std::vector<Waiter*> targets;
  {
    const std::lock_guard<std::mutex> guard(mu_);
    if (d > std::chrono::nanoseconds::zero()) {
      now_ += d;
      wall_ += std::chrono::duration_cast<WallTime::duration>(d);
    }
    for (Waiter* w : waiters_) {
      ++w->notifying;
      targets.push_back(w);
    }
  }
  for (Waiter* w : targets) {
    const std::lock_guard<std::mutex> waiter_lock(*w->mutex);
    w->cv->notify_all();
  }
  {
    const std::lock_guard<std::mutex> guard(mu_);
    for (Waiter* w : targets) --w->notifying;
  }
  notified_.notify_all();
}

std::vector<std::chrono::nanoseconds> ManualClock::sleeps() const {
  const std::lock_guard<std::mutex> guard(mu_);
  return sleeps_;
}

std::size_t ManualClock::waiters() const {
  const std::lock_guard<std::mutex> guard(mu_);
  return waiters_.size();
}

}  // namespace aar::test
