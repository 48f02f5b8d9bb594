// Shared helpers of the kube tests: a temporary directory, a manual clock, file writing.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>

#include "support/manual_clock.hpp"
#include "support/temp_dir.hpp"

namespace aar::kube::testing {

// A fresh directory removed with its content on destruction (tests/support).
using TempDir = aar::test::TempDir;

// The shared manual clock (tests/support/manual_clock.hpp), its wall time starting at the real time now (the
// exec plugin scripts compare expiry stamps with the real clock).
class ManualClock : public aar::test::ManualClock {
 public:
  ManualClock() : aar::test::ManualClock(std::chrono::system_clock::now()) {}
};

}  // namespace aar::kube::testing
