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
#include "support/manual_clock.hpp"
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

// The ManualClock the credential tests share: wall time starts at a whole second (2026-11-18), so
// expirations the fakes write in whole seconds compare equal to it.
class TestClock : public aar::test::ManualClock {
 public:
  TestClock() : ManualClock(WallTime(std::chrono::seconds(kStart))) {}

 private:
  static constexpr std::int64_t kStart = 1795000000;
};

// A provider that always answers the same credentials, counting its calls: what the client tests sign with.
// Not for concurrent get() calls (the count is a plain int).
class FixedCredentials : public CredentialsProvider {
 public:
  explicit FixedCredentials(Credentials c) : creds_(std::move(c)) {}
  FixedCredentials(std::string akid, std::string secret)
      : creds_{std::move(akid), std::move(secret), "", std::nullopt, "fixed"} {}
  Result<Credentials> get() override {
    ++calls;
    return creds_;
  }
  const char* name() const override { return "fixed"; }
  int calls = 0;

 private:
  Credentials creds_;
};

// A clock for clients whose retries a test does not inspect: backoff waits are recorded, never slept. One per
// process (ManualClock is thread-safe); a test that asserts its waits uses its own ManualClock.
inline base::Clock* noWaitClock() {
  static aar::test::ManualClock clock;
  return &clock;
}

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
