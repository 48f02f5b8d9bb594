// Helpers for the credential provider tests: an injected environment, a settable clock, temporary files.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace aar::aws::testing {

// An environment the test owns: a map, readable and writable while providers use it.
class TestEnv {
 public:
  void set(const std::string& name, const std::string& value) {
    std::lock_guard<std::mutex> lock(*mu_);
    (*vars_)[name] = value;
  }
  void unset(const std::string& name) {
    std::lock_guard<std::mutex> lock(*mu_);
    vars_->erase(name);
  }
  EnvLookup lookup() const {
    auto vars = vars_;
    auto mu = mu_;
    return [vars, mu](const std::string& name) -> std::optional<std::string> {
      std::lock_guard<std::mutex> lock(*mu);
      auto it = vars->find(name);
      if (it == vars->end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
  }

 private:
  std::shared_ptr<std::map<std::string, std::string>> vars_ =
      std::make_shared<std::map<std::string, std::string>>();
  std::shared_ptr<std::mutex> mu_ = std::make_shared<std::mutex>();
};

// A wall clock that moves only when told.
class TestClock {
 public:
  TestClock() : now_(std::make_shared<std::atomic<std::int64_t>>(kStart)) {}
  WallClock fn() const {
    auto now = now_;
    return [now] { return std::chrono::system_clock::time_point(std::chrono::seconds(now->load())); };
  }
  std::chrono::system_clock::time_point now() const { return fn()(); }
  void advance(std::chrono::seconds d) { now_->fetch_add(d.count()); }

 private:
  static constexpr std::int64_t kStart = 1795000000;  // 2026-11-18
  std::shared_ptr<std::atomic<std::int64_t>> now_;
};

// A directory removed with everything in it when the test ends (tests/support).
using TempDir = aar::test::TempDir;

// Whether Debian's /usr/bin/python3 has boto3 (the official client used to cross-check the fakes).
inline bool haveBoto3() { return std::system("/usr/bin/python3 -c 'import boto3' >/dev/null 2>&1") == 0; }

// Runs /usr/bin/python3 -c <code> with only `env` in its environment (plus a HOME and config files that do
// not exist, so no real profile is read), for at most 20 s; its stdout+stderr lines.
inline std::vector<std::string> runPython(const std::string& code, std::map<std::string, std::string> env,
                                          const TempDir& dir, int* exit_code) {
  env.emplace("HOME", dir.path() + "/python-home");
  env.emplace("AWS_CONFIG_FILE", dir.path() + "/python-home/none");
  env.emplace("AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/python-home/none");
  const std::string script = dir.write("script.py", code);
  const std::string out = dir.path() + "/python.out";
  std::vector<std::string> environment;
  for (const auto& [k, v] : env) environment.push_back(k + "=" + v);
  test::ChildProcess python({"/usr/bin/python3", script}, environment, out, out);
  *exit_code = python.waitExit(std::chrono::seconds(20)).value_or(-1);
  std::vector<std::string> lines;
  std::ifstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace aar::aws::testing
