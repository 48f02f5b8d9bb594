#include "base/clock.hpp"

#include <thread>

namespace aar::base {
namespace {

class SystemClock final : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  void sleepFor(std::chrono::nanoseconds d) override {
    if (d > std::chrono::nanoseconds::zero()) std::this_thread::sleep_for(d);
  }
  bool waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, SteadyTime deadline,
                 const std::function<bool()>& ready) override {
    return cv.wait_until(lock, deadline, ready);
  }
};

}  // namespace

Clock& systemClock() {
  static SystemClock clock;
  return clock;
}

}  // namespace aar::base
