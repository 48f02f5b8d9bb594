#include "kube/clock.hpp"

#include <thread>

namespace aar::kube {

void realSleep(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

}  // namespace aar::kube
