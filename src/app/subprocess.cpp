#include "app/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "kube/child_process.hpp"

extern char** environ;

namespace aar::app {

Result<std::unique_ptr<Subprocess>> Subprocess::spawn(const std::vector<std::string>& argv,
                                                      const std::vector<std::string>& env,
                                                      const std::string& stderr_path) {
  if (argv.empty()) return makeError(ErrorKind::kInvalidArgument, "spawn: empty argv");
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return makeError(ErrorKind::kInternal, "spawn: pipe failed");
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return makeError(ErrorKind::kInternal, "spawn " + argv[0] + ": fork failed");
  }
  if (pid == 0) {
    // Only async-signal-safe calls here. The pipe is moved above 0..2 first so that dup2 cannot clobber it;
    // then the child gets stdin from /dev/null, stdout on the pipe, stderr to the file (or ours), default
    // signal dispositions, an empty mask and nothing else open (see kube/child_process.hpp).
    const int out = fcntl(fds[1], F_DUPFD, 10);
    if (out < 0) _exit(127);
    int err = -1;
    if (!stderr_path.empty()) err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (err >= 0) dup2(err, 2);
    const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) dup2(devnull, 0);
    if (dup2(out, 1) < 0) _exit(127);
    if (kube::resetChildForExec(3) != 0) _exit(127);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  return std::make_unique<Subprocess>(pid, fds[0]);
}

Subprocess::~Subprocess() {
  if (!exit_code_) terminate();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

Result<std::string> Subprocess::readLine(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return makeError(ErrorKind::kTimeout, "no output line within the time limit");
    pollfd p{stdout_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n <= 0) return makeError(ErrorKind::kUnavailable, "the process closed its output");
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

std::optional<int> Subprocess::poll() {
  if (exit_code_) return exit_code_;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return exit_code_;
}

int Subprocess::terminate(std::chrono::milliseconds grace) {
  if (poll()) return *exit_code_;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (poll()) return *exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return *exit_code_;
}

std::vector<std::string> environmentWith(const std::vector<std::string>& overrides,
                                         const std::vector<std::string>& remove) {
  auto nameOf = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    std::string name = nameOf(kv);
    bool drop = false;
    for (const auto& r : remove) drop = drop || r == name;
    for (const auto& o : overrides) drop = drop || nameOf(o) == name;
    if (!drop) out.push_back(kv);
  }
  out.insert(out.end(), overrides.begin(), overrides.end());
  return out;
}

}  // namespace aar::app
