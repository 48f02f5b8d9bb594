#include "app/plan_command.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace aar::app {

void addPlanCommand(CLI::App& root, int* exit_code) {
  auto* cmd = root.add_subcommand("plan", "(not implemented yet)");
  cmd->callback([exit_code] {
    std::cerr << "plan: not implemented yet\n";
    *exit_code = 1;
  });
}

}  // namespace aar::app
