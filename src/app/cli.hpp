// The command line: `aws-auth-refresher [run] [flags]`, `plan`, `demo`, `version`.
// `run` is the default: with no subcommand, the arguments are the run command's flags (so the 2019 tool's
// invocation `aws-auth-refresher --path-to-kubeconfig …` keeps working). Go-style single-dash long flags
// (`-path-to-kubeconfig x`, `-once`) are accepted too, as Go's flag package accepted them.
// Exit codes: 0 success, 1 runtime failure, 2 bad flags or bad input.
#pragma once

#include <string>
#include <vector>

namespace aar::app {

int runCli(int argc, char** argv);

// The arguments (without argv[0]) as the parser will see them: "run" inserted when no subcommand is named,
// and "-long-flag" rewritten to "--long-flag". Exposed for tests.
std::vector<std::string> normalizeArgs(const std::vector<std::string>& args);

}  // namespace aar::app
