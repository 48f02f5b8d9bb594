#include "kube/clock.hpp"

#include <thread>

namespace aar::kube {
namespace {

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wallNow() override { return std::chrono::system_clock::now(); }
};

}  // namespace

Clock& systemClock() {
  static SystemClock clock;
  return clock;
}

void realSleep(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

}  // namespace aar::kube
