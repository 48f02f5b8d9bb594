// The `plan` subcommand.
#pragma once

namespace CLI {
class App;
}

namespace aar::app {

// Registers `plan` on the root command. When it is selected and has run, *exit_code holds its result
// (0 success, 1 runtime failure, 2 bad input).
void addPlanCommand(CLI::App& root, int* exit_code);

}  // namespace aar::app
