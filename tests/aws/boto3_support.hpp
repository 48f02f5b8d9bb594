// What the boto3/botocore checks of the fakes share: running a Python script under Debian's /usr/bin/python3
// (where python3-boto3 lives, not the pyenv python3 on PATH) with a clean environment, and the environment
// boto3 needs to talk to a fake on 127.0.0.1 with given credentials.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

extern char** environ;

namespace aar::fakes::boto3 {

inline constexpr char kPython[] = "/usr/bin/python3";
inline constexpr int kSkipExit = 3;  // the scripts' "boto3 is not installed"

struct RunResult {
  int exit_code = -1;
  std::string out;
};

// Runs the script with a clean environment (only `env`); kills it (by pid) on timeout.
inline RunResult runScript(const std::vector<std::string>& args, const std::vector<std::string>& env,
                           std::chrono::seconds timeout = std::chrono::seconds(60)) {
  RunResult result;
  int fds[2];
  if (pipe(fds) != 0) return result;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return result;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    result.out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (std::chrono::steady_clock::now() >= deadline) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// The environment of a boto3 script: credentials from variables (never on a command line), no config files,
// no IMDS, no proxy for 127.0.0.1. session_token "" for long-term keys.
inline std::vector<std::string> cleanEnv(const std::string& home, const std::string& access_key_id,
                                         const std::string& secret, const std::string& session_token = "") {
  std::vector<std::string> env{"PATH=/usr/bin:/bin",
                               "HOME=" + home,
                               "AWS_ACCESS_KEY_ID=" + access_key_id,
                               "AWS_SECRET_ACCESS_KEY=" + secret,
                               "AWS_CONFIG_FILE=/dev/null",
                               "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
                               "AWS_EC2_METADATA_DISABLED=true",
                               "NO_PROXY=127.0.0.1",
                               "no_proxy=127.0.0.1"};
  if (!session_token.empty()) env.push_back("AWS_SESSION_TOKEN=" + session_token);
  return env;
}

}  // namespace aar::fakes::boto3
