#include "support/eventually.hpp"

#include <algorithm>
#include <thread>

namespace aar::test {

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit,
                std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::chrono::microseconds pause =
      std::min<std::chrono::microseconds>(std::chrono::microseconds{100}, interval);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    if (interval.count() > 0) {
      std::this_thread::sleep_for(pause);
      // Doubles up to `interval` and stays there (doubling without the cap would overflow after ~56 rounds).
      pause = std::min<std::chrono::microseconds>(pause * 2, interval);
    } else {
      std::this_thread::yield();
    }
  }
  return cond();
}

}  // namespace aar::test
