// Subprocess: a child process for the `demo` command (the fake servers and the controller itself).
//
// The child gets argv and a complete environment; its stdout is a pipe the parent reads line by line (the
// fakes print their ports as one JSON line when ready); its stderr goes to a file (or is inherited). The
// destructor sends SIGTERM, waits up to 2 s, then SIGKILLs, and always reaps: only this pid is ever
// signalled.
//
// Thread-safety: one thread per Subprocess.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace aar::app {

class Subprocess {
 public:
  // stderr_path empty: inherit the parent's stderr.
  static Result<std::unique_ptr<Subprocess>> spawn(const std::vector<std::string>& argv,
                                                   const std::vector<std::string>& env,
                                                   const std::string& stderr_path = "");
  Subprocess(pid_t pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // The next line of stdout (without the newline); kTimeout, or kUnavailable when the child closed stdout.
  Result<std::string> readLine(std::chrono::milliseconds timeout);
  // SIGTERM, then waits up to `grace`, then SIGKILL. Returns the exit code (128+signal if killed by one).
  int terminate(std::chrono::milliseconds grace = std::chrono::seconds(2));
  // Exit code if it has exited (reaps it), nullopt while running.
  std::optional<int> poll();

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  std::optional<int> exit_code_;
};

// The environment of this process, with `overrides` ("NAME=value") replacing or adding entries and every name
// in `remove` dropped.
std::vector<std::string> environmentWith(const std::vector<std::string>& overrides,
                                         const std::vector<std::string>& remove = {});

}  // namespace aar::app
