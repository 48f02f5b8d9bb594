#include "kube/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace aar::kube {
namespace {

// Descriptors the child moves its pipes to before dup2() onto 0..3, so that no dup2 clobbers one of them.
constexpr int kAboveStandard = 10;
// The child's exec-status pipe: exec's errno is written here when exec fails; close-on-exec otherwise.
constexpr int kStatusFd = 3;

// A pipe whose ends close themselves (both close-on-exec).
struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() = default;
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  ~Pipe() {
    closeRead();
    closeWrite();
  }
  bool open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read = fds[0];
    write = fds[1];
    return true;
  }
  int releaseRead() {
    const int fd = read;
    read = -1;
    return fd;
  }
  void closeRead() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void closeWrite() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

int exitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The child after fork(): only async-signal-safe calls. Never returns.
[[noreturn]] void execChild(const SpawnOptions& options, const char* stderr_path, const Pipe& out,
                            const Pipe& err, const Pipe& status, char* const* argv, char* const* envp) {
  if (options.own_process_group) ::setpgid(0, 0);
  const int out_fd = ::fcntl(out.write, F_DUPFD, kAboveStandard);
  const int status_fd = ::fcntl(status.write, F_DUPFD_CLOEXEC, kAboveStandard);
  int err_fd = 2;
  if (options.capture_stderr) {
    err_fd = ::fcntl(err.write, F_DUPFD, kAboveStandard);
  } else if (stderr_path != nullptr) {
    const int file = ::open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (file >= 0) err_fd = ::fcntl(file, F_DUPFD, kAboveStandard);  // a file we cannot open: inherit
    if (err_fd < 0) err_fd = 2;
  }
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (out_fd < 0 || status_fd < 0 || err_fd < 0 || devnull < 0 || ::dup2(devnull, 0) < 0 ||
      ::dup2(out_fd, 1) < 0 || (err_fd != 2 && ::dup2(err_fd, 2) < 0) ||
      ::dup3(status_fd, kStatusFd, O_CLOEXEC) < 0) {
    ::_exit(127);
  }
  int failure = resetChildForExec(kStatusFd + 1);
  if (failure == 0) {
    ::execvpe(argv[0], argv, envp);
    failure = errno;
  }
  ssize_t ignored = ::write(kStatusFd, &failure, sizeof failure);
  (void)ignored;
  ::_exit(127);
}

}  // namespace

int resetChildForExec(int first_to_close) noexcept {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    // SIGKILL and SIGSTOP (and the real-time signals glibc reserves) refuse: their disposition is fixed.
    (void)::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  (void)::sigprocmask(SIG_SETMASK, &none, nullptr);

  const auto first = static_cast<unsigned>(first_to_close);
  if (::syscall(SYS_close_range, first, ~0U, 0U) == 0) return 0;
  if (errno != ENOSYS) return errno;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return errno;
  const rlim_t end = limit.rlim_cur == RLIM_INFINITY ? rlim_t{1} << 20 : limit.rlim_cur;
  for (rlim_t fd = first; fd < end; ++fd) (void)::close(static_cast<int>(fd));
  return 0;
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return makeError(ErrorKind::kInvalidArgument, "spawn: empty argv");
  const std::string& program = options.argv.front();
  // Everything the child needs is built before fork(): only async-signal-safe calls may follow it.
  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = options.env;
  const std::vector<char*> argv = pointers(argv_strings);
  const std::vector<char*> envp = pointers(env_strings);
  const char* stderr_path = options.stderr_path.empty() ? nullptr : options.stderr_path.c_str();
  Pipe out, err, status;
  if (!out.open() || (options.capture_stderr && !err.open()) || !status.open())
    return makeError(ErrorKind::kInternal, program + ": pipe: " + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) return makeError(ErrorKind::kInternal, program + ": fork: " + std::strerror(errno));
  if (pid == 0) execChild(options, stderr_path, out, err, status, argv.data(), envp.data());
  out.closeWrite();
  err.closeWrite();
  status.closeWrite();
  std::unique_ptr<ChildProcess> child(
      new ChildProcess(pid, out.releaseRead(), err.releaseRead(), options.own_process_group));
  int exec_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(status.read, &exec_errno, sizeof exec_errno);  // EOF: exec succeeded (close-on-exec)
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    child->wait();
    return makeError(ErrorKind::kUnavailable,
                     program + " could not be started: " + std::strerror(exec_errno));
  }
  return child;
}

ChildProcess::ChildProcess(pid_t pid, int stdout_fd, int stderr_fd, bool group)
    : pid_(pid), stdout_fd_(stdout_fd), stderr_fd_(stderr_fd), group_(group) {}

ChildProcess::~ChildProcess() {
  closeStdout();
  closeStderr();
  if (!poll()) {
    kill(SIGKILL);
    wait();
  }
}

void ChildProcess::closeStdout() {
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  stdout_fd_ = -1;
}

void ChildProcess::closeStderr() {
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
  stderr_fd_ = -1;
}

Result<std::string> ChildProcess::readLine(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto nl = line_buffer_.find('\n'); nl != std::string::npos) {
      std::string line = line_buffer_.substr(0, nl);
      line_buffer_.erase(0, nl + 1);
      return line;
    }
    if (stdout_fd_ < 0) return makeError(ErrorKind::kUnavailable, "the process closed its output");
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return makeError(ErrorKind::kTimeout, "no output line within the time limit");
    pollfd p{stdout_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      closeStdout();
      continue;
    }
    line_buffer_.append(buf, static_cast<size_t>(n));
  }
}

Result<ChildOutput> ChildProcess::collect(size_t max_bytes, std::chrono::milliseconds timeout) {
  ChildOutput output;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[8192];
  while (stdout_fd_ >= 0 || stderr_fd_ >= 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return makeError(ErrorKind::kTimeout, "output still open after the time limit");
    pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};  // a negative fd is ignored
    const int rc = ::poll(fds, 2, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return makeError(ErrorKind::kInternal, std::string("poll: ") + std::strerror(errno));
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      std::string& sink = i == 0 ? output.out : output.err;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        if (i == 0) {
          closeStdout();
        } else {
          closeStderr();
        }
        continue;
      }
      const size_t keep = std::min(static_cast<size_t>(got), max_bytes - std::min(max_bytes, sink.size()));
      sink.append(buf, keep);
      if (keep < static_cast<size_t>(got)) output.truncated = true;
    }
  }
  return output;
}

void ChildProcess::kill(int signal) {
  if (exit_code_) return;  // reaped: the pid may belong to someone else by now
  if (group_) ::kill(-pid_, signal);
  ::kill(pid_, signal);
}

std::optional<int> ChildProcess::poll() {
  if (exit_code_) return exit_code_;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) exit_code_ = exitCode(status);
  return exit_code_;
}

int ChildProcess::wait() {
  if (exit_code_) return *exit_code_;
  int status = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  exit_code_ = r == pid_ ? exitCode(status) : 128;
  return *exit_code_;
}

int ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (poll()) return *exit_code_;
  kill(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (poll()) return *exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // no portable wait-for-pid with a timeout
  }
  kill(SIGKILL);
  return wait();
}

}  // namespace aar::kube
