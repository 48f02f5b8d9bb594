// Subprocess: a child process for the `demo` command (the fake servers and the controller itself).
//
// The child gets argv and a complete environment; its stdout is a pipe the parent reads line by line (the
// fakes print their ports as one JSON line when ready); its stderr goes to a file (or is inherited). The
// destructor sends SIGTERM, waits up to 2 s, then SIGKILLs, and always reaps: only this pid is ever
// signalled. The fork/exec itself is kube::ChildProcess (src/kube/child_process.hpp), shared with exec
// credential plugins.
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
#include "kube/child_process.hpp"

namespace aar::app {

class Subprocess {
 public:
  // stderr_path empty: inherit the parent's stderr. Errors as kube::ChildProcess::spawn (kUnavailable when
  // argv[0] cannot be executed).
  static Result<std::unique_ptr<Subprocess>> spawn(const std::vector<std::string>& argv,
                                                   const std::vector<std::string>& env,
                                                   const std::string& stderr_path = "");
  explicit Subprocess(std::unique_ptr<kube::ChildProcess> child) : child_(std::move(child)) {}
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return child_->pid(); }
  // The next line of stdout (without the newline); kTimeout, or kUnavailable when the child closed stdout.
  Result<std::string> readLine(std::chrono::milliseconds timeout) { return child_->readLine(timeout); }
  // SIGTERM, then waits up to `grace`, then SIGKILL. Returns the exit code (128+signal if killed by one).
  int terminate(std::chrono::milliseconds grace = std::chrono::seconds(2)) {
    return child_->terminate(grace);
  }
  // Exit code if it has exited (reaps it), nullopt while running.
  std::optional<int> poll() { return child_->poll(); }

 private:
  std::unique_ptr<kube::ChildProcess> child_;
};

// The environment of this process, with `overrides` ("NAME=value") replacing or adding entries and every name
// in `remove` dropped.
std::vector<std::string> environmentWith(const std::vector<std::string>& overrides,
                                         const std::vector<std::string>& remove = {});

}  // namespace aar::app
