#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "app/demo_command.hpp"
#include "app/plan_command.hpp"
#include "app/run_command.hpp"

namespace aar::app {

int runCli(int argc, char** argv) {
  CLI::App app{"aws-auth-refresher: keeps kube-system/aws-auth mapUsers in step with IAM users matched by regex rules"};
  app.set_version_flag("--version", std::string("aws-auth-refresher ") + AAR_VERSION);
  auto* version = app.add_subcommand("version", "Print the version and exit");
  int exit_code = 0;
  version->callback([&] { std::cout << "aws-auth-refresher " << AAR_VERSION << "\n"; });
  addRunCommand(app, &exit_code);
  addPlanCommand(app, &exit_code);
  addDemoCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}

}  // namespace aar::app
