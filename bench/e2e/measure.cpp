// measure: runs a command and prints what it cost, as one JSON line on stdout:
//   {"exit_code":0,"wall_ms":12.3,"cpu_ms":8.1,"peak_rss_kib":14168,"bytes_read":123456}
// Usage: measure [--stderr FILE] -- COMMAND [ARGS...]   (the command's stdout goes to /dev/null)
//
// Why a program of its own: ru_maxrss counts the pages a child held before exec, and a child forked from a
// large process (the Python driver: ~20 MB) inherits that high-water mark. Forked from this small process,
// the figure is the command's own. bytes_read is rchar of /proc/PID/io, read while the child is a zombie
// (waitid with WNOWAIT), before it is reaped with wait4 for its resource usage.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::string stderr_path = "/dev/null";
  int i = 1;
  for (; i < argc; ++i) {
    if (std::strcmp(argv[i], "--stderr") == 0 && i + 1 < argc) {
      stderr_path = argv[++i];
    } else if (std::strcmp(argv[i], "--") == 0) {
      ++i;
      break;
    }
  }
  if (i >= argc) {
    std::fprintf(stderr, "usage: measure [--stderr FILE] -- COMMAND [ARGS...]\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    return 2;
  }
  if (pid == 0) {
    const int out = open("/dev/null", O_WRONLY);
    const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out >= 0) dup2(out, 1);
    if (err >= 0) dup2(err, 2);
    execv(argv[i], argv + i);
    std::perror("exec");
    _exit(127);
  }
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0) {
    std::perror("waitid");
    return 2;
  }
  const double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  long long rchar = -1;
  std::ifstream io("/proc/" + std::to_string(pid) + "/io");
  for (std::string key; io >> key;) {
    long long value = 0;
    io >> value;
    if (key == "rchar:") rchar = value;
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) != pid) {
    std::perror("wait4");
    return 2;
  }
  const double cpu_ms = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
                        (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::printf(
      "{\"exit_code\":%d,\"wall_ms\":%.3f,\"cpu_ms\":%.3f,\"peak_rss_kib\":%ld,\"bytes_read\":%lld}\n", code,
      wall_ms, cpu_ms, usage.ru_maxrss, rchar);
  return 0;
}
