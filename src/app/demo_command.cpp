#include "app/demo_command.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

namespace aar::app {

void addDemoCommand(CLI::App& root, int* exit_code) {
  auto* cmd = root.add_subcommand("demo", "(not implemented yet)");
  cmd->callback([exit_code] {
    std::cerr << "demo: not implemented yet\n";
    *exit_code = 1;
  });
}

}  // namespace aar::app
