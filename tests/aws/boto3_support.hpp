// What the boto3/botocore checks of the fakes share: running a Python script under Debian's /usr/bin/python3
// (where python3-boto3 lives, not the pyenv python3 on PATH) with a clean environment, and the environment
// boto3 needs to talk to a fake on 127.0.0.1 with given credentials.
#pragma once

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace aar::fakes::boto3 {

inline constexpr char kPython[] = "/usr/bin/python3";
inline constexpr int kSkipExit = 3;  // the scripts' "boto3 is not installed"

struct RunResult {
  int exit_code = -1;
  std::string out;
};

// Runs the script with a clean environment (only `env`); kills it (by pid) on timeout. Its stderr (the
// script's diagnostics) is copied to this process's stderr.
inline RunResult runScript(const std::vector<std::string>& args, const std::vector<std::string>& env,
                           std::chrono::seconds timeout = std::chrono::seconds(60)) {
  const test::ChildResult r = test::runToExit(args, env, timeout);
  std::cerr << r.err;
  return RunResult{r.exit_code.value_or(-1), r.out};
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
