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

namespace aar::kube::testing {

// A fresh directory removed with its content on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "aar-kube-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // Writes `content` to <dir>/<name> (creating parent directories) and returns the path.
  std::string write(const std::string& name, const std::string& content, bool executable = false) const {
    const std::string p = file(name);
    std::filesystem::create_directories(std::filesystem::path(p).parent_path());
    {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << content;
      if (!out) throw std::runtime_error("cannot write " + p);
    }
    if (executable) std::filesystem::permissions(p, std::filesystem::perms::owner_all);
    return p;
  }

 private:
  std::string path_;
};

// The shared manual clock (tests/support/manual_clock.hpp), its wall time starting at the real time now (the
// exec plugin scripts compare expiry stamps with the real clock).
class ManualClock : public aar::test::ManualClock {
 public:
  ManualClock() : aar::test::ManualClock(std::chrono::system_clock::now()) {}
};

}  // namespace aar::kube::testing
