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
#include "support/manual_clock.hpp"

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

// A directory removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "aar-creds-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes (or replaces) a file under the directory and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    const auto p = std::filesystem::path(path_) / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p.string();
  }
  std::string path() const { return path_; }

 private:
  std::string path_;
};

// Whether Debian's /usr/bin/python3 has boto3 (the official client used to cross-check the fakes).
inline bool haveBoto3() { return std::system("/usr/bin/python3 -c 'import boto3' >/dev/null 2>&1") == 0; }

// Runs /usr/bin/python3 -c <code> with only `env` in its environment (plus a HOME and config files that do
// not exist, so no real profile is read); its stdout+stderr lines. Values must not contain single quotes.
inline std::vector<std::string> runPython(const std::string& code, std::map<std::string, std::string> env,
                                          const TempDir& dir, int* exit_code) {
  env.emplace("HOME", dir.path() + "/python-home");
  env.emplace("AWS_CONFIG_FILE", dir.path() + "/python-home/none");
  env.emplace("AWS_SHARED_CREDENTIALS_FILE", dir.path() + "/python-home/none");
  const std::string script = dir.write("script.py", code);
  const std::string out = dir.path() + "/python.out";
  std::string cmd = "env -i";
  for (const auto& [k, v] : env) cmd += " " + k + "='" + v + "'";
  cmd += " timeout 20 /usr/bin/python3 " + script + " > " + out + " 2>&1";
  const int rc = std::system(cmd.c_str());
  *exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  std::vector<std::string> lines;
  std::ifstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace aar::aws::testing
