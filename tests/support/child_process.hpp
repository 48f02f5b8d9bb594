// ChildProcess: a binary run in its own process by a test (the real aws-auth-refresher, a fake server's
// binary, python3), owned for its lifetime.
//
// - Started with an explicit argv (argv[0] is the path; no PATH search) and either a complete environment
//   (so a developer's AWS or Kubernetes settings never leak in; {} is an empty one) or, by the constructor
//   without `env`, this process's.
// - stdin is /dev/null or a file; stdout and stderr go to files that tests may read while the child runs (the
//   same path for both interleaves them in one file, as a terminal would show them), by default files in a
//   temporary directory of the ChildProcess's own.
// - The destructor SIGKILLs and reaps the child if it is still running. Only this pid is ever signalled.
// - Errors: the constructor throws std::runtime_error when fork() fails or an output file cannot be opened;
//   a failing exec shows as exit code 127.
//
// Thread-safety: one thread per ChildProcess.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aar::test {

class TempDir;

// The tag of the constructors that pass this process's environment on. No default constructor (as
// std::nullopt_t): `{}`, an empty environment, must never convert to it.
struct InheritEnvironment {
  struct Tag {};
  explicit constexpr InheritEnvironment(Tag /*unused*/) {}
};
inline constexpr InheritEnvironment kInheritEnvironment{InheritEnvironment::Tag{}};

class ChildProcess {
 public:
  // `in_path` empty: stdin is /dev/null.
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::string& out_path, const std::string& err_path, const std::string& in_path = "");
  // Inherits this process's environment (the tag keeps `{}`, an empty environment, unambiguous).
  ChildProcess(const std::vector<std::string>& argv, InheritEnvironment, const std::string& out_path,
               const std::string& err_path, const std::string& in_path = "");
  // Output in a temporary directory removed with the ChildProcess; stdin /dev/null.
  explicit ChildProcess(const std::vector<std::string>& argv);  // this process's environment
  ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Sends `sig` to the child unless it has been reaped.
  void signal(int sig);
  // Exit code (128+signal when killed by a signal), or nullopt if still running after `timeout` (polled).
  std::optional<int> waitExit(std::chrono::milliseconds timeout);
  bool running();
  // The child's peak resident set size in KiB (ru_maxrss from wait4), once waitExit has reaped it. An upper
  // bound on the binary's own peak: Linux carries the forked pre-exec image's peak (this test process's
  // resident size at fork) into it, so a value under a limit proves the binary stayed under it.
  std::optional<long> peakRssKiB() const { return peak_rss_kib_; }

  // Everything the child has written to stdout / stderr so far.
  std::string out() const;
  std::string err() const;
  // The first line of stdout without its '\n', waiting at most `timeout` of real time for it; "" when no
  // whole line came (a ready line that servers print once they listen).
  std::string firstLine(std::chrono::milliseconds timeout) const;

 private:
  std::unique_ptr<TempDir> own_dir_;  // holds the output when the caller named no files
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::optional<long> peak_rss_kib_;
  std::string out_path_, err_path_;

  void start(const std::vector<std::string>& argv, const std::vector<std::string>* env,
             const std::string& in_path);
};

// What runToExit() saw. exit_code is nullopt when the child outlived the limit (it was then killed).
struct ChildResult {
  std::optional<int> exit_code;
  std::string out, err;
};

// Runs argv to completion with at most `limit` of real time, its output in a temporary directory removed
// afterwards. `env` as for ChildProcess (without it: this process's). Throws as the ChildProcess constructor.
ChildResult runToExit(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                      std::chrono::milliseconds limit);
ChildResult runToExit(const std::vector<std::string>& argv, std::chrono::milliseconds limit);

// The whole content of a file ("" when it cannot be read).
std::string readFile(const std::string& path);

}  // namespace aar::test
