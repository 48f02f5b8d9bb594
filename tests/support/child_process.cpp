#include "support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/eventually.hpp"
#include "support/temp_dir.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX leaves its declaration optional

namespace aar::test {

namespace {

// Owns a file descriptor opened for the child's output.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                           const std::string& out_path, const std::string& err_path,
                           const std::string& in_path)
    : out_path_(out_path), err_path_(err_path) {
  start(argv, &env, in_path);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, InheritEnvironment /*unused*/,
                           const std::string& out_path, const std::string& err_path,
                           const std::string& in_path)
    : out_path_(out_path), err_path_(err_path) {
  start(argv, nullptr, in_path);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv)
    : own_dir_(std::make_unique<TempDir>("aar-child")),
      out_path_(own_dir_->file("out")),
      err_path_(own_dir_->file("err")) {
  start(argv, nullptr, "");
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env)
    : own_dir_(std::make_unique<TempDir>("aar-child")),
      out_path_(own_dir_->file("out")),
      err_path_(own_dir_->file("err")) {
  start(argv, &env, "");
}

// `env` nullptr: this process's environment.
void ChildProcess::start(const std::vector<std::string>& argv, const std::vector<std::string>* env,
                         const std::string& in_path) {
  const std::string& out_path = out_path_;
  const std::string& err_path = err_path_;
  if (argv.empty()) throw std::runtime_error("ChildProcess: empty argv");
  // Opened before fork: the child then only calls async-signal-safe functions (this process has threads).
  const Fd out(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  // One open file for both streams when they share a path: two would overwrite each other's bytes.
  const Fd err(err_path == out_path
                   ? ::fcntl(out.get(), F_DUPFD_CLOEXEC, 0)
                   : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  const Fd in(::open(in_path.empty() ? "/dev/null" : in_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (out.get() < 0 || err.get() < 0 || in.get() < 0)
    throw std::runtime_error("ChildProcess: cannot open " + out_path + ", " + err_path + " or stdin " +
                             in_path);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  if (env) {
    for (const auto& e : *env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  char** child_env = env ? envp.data() : environ;
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("ChildProcess: fork failed");
  if (pid_ == 0) {
    // A fresh signal mask: the parent's may block signals the child must receive.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // dup2 clears FD_CLOEXEC on the copies, so only 0, 1 and 2 survive the exec.
    if (::dup2(out.get(), 1) < 0 || ::dup2(err.get(), 2) < 0 || ::dup2(in.get(), 0) < 0) ::_exit(126);
    ::execve(args[0], args.data(), child_env);
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::waitExit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!exit_code_) {
    int status = 0;
    rusage usage{};
    const pid_t r = ::wait4(pid_, &status, WNOHANG, &usage);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      peak_rss_kib_ = usage.ru_maxrss;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

bool ChildProcess::running() { return !waitExit(std::chrono::milliseconds(0)).has_value(); }

std::string ChildProcess::out() const { return readFile(out_path_); }
std::string ChildProcess::err() const { return readFile(err_path_); }

std::string ChildProcess::firstLine(std::chrono::milliseconds timeout) const {
  std::string out;
  if (!eventually([&] { return (out = this->out()).find('\n') != std::string::npos; }, timeout)) return "";
  return out.substr(0, out.find('\n'));
}

namespace {

ChildResult runInDir(const std::vector<std::string>& argv, const std::vector<std::string>* env,
                     std::chrono::milliseconds limit) {
  ChildResult result;
  {
    ChildProcess child = env ? ChildProcess(argv, *env) : ChildProcess(argv);
    result.exit_code = child.waitExit(limit);
    result.out = child.out();
    result.err = child.err();
  }  // a child still running is killed here, before its directory goes
  return result;
}

}  // namespace

ChildResult runToExit(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                      std::chrono::milliseconds limit) {
  return runInDir(argv, &env, limit);
}

ChildResult runToExit(const std::vector<std::string>& argv, std::chrono::milliseconds limit) {
  return runInDir(argv, nullptr, limit);
}

}  // namespace aar::test
