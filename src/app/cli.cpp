#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "app/demo_command.hpp"
#include "app/plan_command.hpp"
#include "app/run_command.hpp"

namespace aar::app {

int runCli(int argc, char** argv) {
  CLI::App app{
      "aws-auth-refresher: keeps kube-system/aws-auth mapUsers in step with IAM users matched by regex "
      "rules"};
  app.set_version_flag("--version", std::string("aws-auth-refresher ") + AAR_VERSION);
  app.require_subcommand(0, 1);
  auto* version = app.add_subcommand("version", "Print the version and exit");
  int exit_code = 0;
  version->callback([&] { std::cout << "aws-auth-refresher " << AAR_VERSION << "\n"; });
  addRunCommand(app, &exit_code);
  addPlanCommand(app, &exit_code);
  addDemoCommand(app, &exit_code);

  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  args = normalizeArgs(args);
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments in reverse order
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}

}  // namespace aar::app
