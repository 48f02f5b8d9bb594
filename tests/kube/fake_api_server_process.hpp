// Running a command for the fake API server's client tests (kubectl, python3-kubernetes,
// fake-kube-apiserver): fork/exec without a shell, stdout and stderr captured together, and a deadline after
// which the child (and only it, by pid) is killed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace aar::testing::kube {

struct CommandResult {
  int exit_code = -1;  // -1 when killed at the deadline or by a signal
  std::string output;  // stdout and stderr interleaved
  bool timed_out = false;
};

inline CommandResult runCommand(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                const std::string& stdin_text = "") {
  CommandResult result;
  const aar::test::TempDir dir("aar-command");
  const std::string in = dir.write("stdin", stdin_text);
  aar::test::ChildProcess child(argv, aar::test::kInheritEnvironment, dir.file("output"), dir.file("output"),
                                in);
  const std::optional<int> code = child.waitExit(timeout);
  result.timed_out = !code.has_value();
  if (code && *code < 128) result.exit_code = *code;
  result.output = child.out();
  return result;
}

// A temporary directory removed (with its files) on destruction (tests/support).
using TempDir = aar::test::TempDir;

}  // namespace aar::testing::kube
