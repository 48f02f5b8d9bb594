#include "app/run_command.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "app/controller_app.hpp"
#include "app/logging.hpp"
#include "app/run_options.hpp"

namespace aar::app {

void addRunCommand(CLI::App& root, int* exit_code) {
  auto options = std::make_shared<RunOptions>();
  auto* cmd = root.add_subcommand(
      "run",
      "Run the controller (the default when no subcommand is given). AWS is configured through the standard "
      "AWS environment variables.");
  addRunFlags(*cmd, *options);
  cmd->callback([options, exit_code] {
    if (auto st = validateRunOptions(*options); !st.ok()) {
      std::cerr << "aws-auth-refresher: " << st.error().message << "\n";
      *exit_code = 2;
      return;
    }
    if (auto st = configureLogging(options->log_level, options->log_format); !st.ok()) {
      std::cerr << "aws-auth-refresher: " << st.error().message << "\n";
      *exit_code = 2;
      return;
    }
    *exit_code = runController(*options);
  });
}

}  // namespace aar::app
