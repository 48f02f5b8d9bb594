// ChildProcess: the real binary in its own process, for end-to-end tests.
//
// Started with an explicit argv and a complete environment (nothing inherited, so a developer's AWS or
// Kubernetes settings never leak in); stdout and stderr go to files that tests read while it runs. The
// destructor SIGKILLs and reaps the child if it is still running. Only this pid is ever signalled.
//
// Thread-safety: one thread per ChildProcess.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace aar::e2e {

class ChildProcess {
 public:
  // Throws std::runtime_error when fork/exec fails.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::string& out_path, const std::string& err_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Exit code (128+signal when killed by a signal), or nullopt if still running after `timeout`.
  std::optional<int> waitExit(std::chrono::milliseconds timeout);
  bool running();
  // The child's peak resident set size in KiB (ru_maxrss from wait4), once waitExit has reaped it. An upper
  // bound on the binary's own peak: Linux carries the forked pre-exec image's peak (this test process's
  // resident size at fork) into it, so a value under a limit proves the binary stayed under it.
  std::optional<long> peakRssKiB() const { return peak_rss_kib_; }

  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::optional<long> peak_rss_kib_;
  std::string out_path_, err_path_;
};

std::string readFile(const std::string& path);

}  // namespace aar::e2e
