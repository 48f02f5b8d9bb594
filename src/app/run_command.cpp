#include "app/run_command.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace aar::app {

void addRunCommand(CLI::App& root, int* exit_code) {
  auto* cmd = root.add_subcommand("run", "(not implemented yet)");
  cmd->callback([exit_code] {
    std::cerr << "run: not implemented yet\n";
    *exit_code = 1;
  });
}

}  // namespace aar::app
