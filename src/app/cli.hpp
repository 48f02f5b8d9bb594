// The command line: `aws-auth-refresher [run] [flags]`, `plan`, `demo`, `version`.
// Exit codes: 0 success, 1 runtime failure, 2 bad flags or bad input.
#pragma once

namespace aar::app {

int runCli(int argc, char** argv);

}  // namespace aar::app
