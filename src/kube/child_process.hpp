// Child processes: the one fork/exec of the program, shared by exec credential plugins (runProcess in
// exec_credential.hpp) and the `demo` command's children (src/app/subprocess.hpp).
//
// resetChildForExec: what a child must be given between fork() and exec(): a clean signal state and only
// the standard descriptors. Why: a forked child inherits the forking thread's signal mask (our signal thread
// blocks SIGTERM/SIGINT in every thread) and every ignored disposition (SIGPIPE), and both survive exec: a
// plugin would then ignore SIGTERM and SIGPIPE. It also inherits every descriptor not marked close-on-exec —
// sockets to the API server, other children's pipes opened by another thread between pipe() and fcntl() —
// which a plugin must not hold.
//
// ChildProcess: a started child with its stdout (and optionally stderr) on pipes, stdin from /dev/null.
// Whether exec() succeeded is known before spawn() returns (a close-on-exec status pipe carries exec's
// errno). Only this child's pid (or, with own_process_group, its group) is ever signalled; the destructor
// kills and reaps a child still running, so no zombie and no orphan is left behind.
//
// Thread-safety: resetChildForExec only in the child after fork() (async-signal-safe: system calls only, no
// allocation). A ChildProcess is used by one thread at a time.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace aar::kube {

// In the child: every signal's disposition back to SIG_DFL, an empty signal mask, and every descriptor from
// `first_to_close` upwards closed (close_range(2); on a kernel without it, each descriptor up to
// RLIMIT_NOFILE). Returns 0, or an errno value when the descriptors could not be closed.
int resetChildForExec(int first_to_close) noexcept;

struct SpawnOptions {
  // argv[0] is the program: a path, or a name looked up on the PATH of `env`. Must not be empty.
  std::vector<std::string> argv;
  // The child's complete environment, "NAME=value" each (see environmentWith in src/app/subprocess.hpp and
  // runProcess for how callers build it).
  std::vector<std::string> env;
  // true: stderr on a pipe (ChildProcess::collect reads it). false: to stderr_path, or inherited when that is
  // empty. Default: false
  bool capture_stderr = false;
  // Created or truncated (mode 0600) for the child's stderr when !capture_stderr. Default: "" (inherit)
  std::string stderr_path;
  // true: the child leads a new process group and kill() signals the whole group (a plugin's own children
  // die with it). Default: false
  bool own_process_group = false;
};

// What collect() read. Each stream is cut at the limit given (the rest is read and dropped, so the child
// never blocks on a full pipe).
struct ChildOutput {
  std::string out;
  std::string err;
  bool truncated = false;  // a stream exceeded the limit
};

class ChildProcess {
 public:
  // kInvalidArgument: empty argv. kInternal: pipe() or fork() failed. kUnavailable: the program could not be
  // executed (not found, not executable; the message carries strerror), the child already reaped.
  static Result<std::unique_ptr<ChildProcess>> spawn(const SpawnOptions& options);
  ~ChildProcess();  // a child still running: SIGKILL (its group with own_process_group), then reaped
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // The next line of stdout (without the newline). kTimeout when none within `timeout`; kUnavailable when
  // the child closed its stdout first.
  Result<std::string> readLine(std::chrono::milliseconds timeout);
  // Reads stdout (and stderr when captured) until the child closes them, keeping at most `max_bytes` of each.
  // kTimeout when they are still open after `timeout` (the child is left running: kill() it).
  Result<ChildOutput> collect(size_t max_bytes, std::chrono::milliseconds timeout);

  // Sends `signal` to the child (to its group with own_process_group). Does nothing once reaped.
  void kill(int signal);
  // The exit code when the child has exited (reaping it), nullopt while it runs. Killed by a signal:
  // 128 + the signal number, as a shell reports it.
  std::optional<int> poll();
  // Blocks until the child exits; its exit code as poll().
  int wait();
  // SIGTERM, up to `grace` for it to exit, then SIGKILL; the exit code as poll().
  int terminate(std::chrono::milliseconds grace);

 private:
  ChildProcess(pid_t pid, int stdout_fd, int stderr_fd, bool group);
  void closeStdout();
  void closeStderr();

  pid_t pid_;
  int stdout_fd_;
  int stderr_fd_;
  bool group_;
  std::string line_buffer_;
  std::optional<int> exit_code_;
};

}  // namespace aar::kube
