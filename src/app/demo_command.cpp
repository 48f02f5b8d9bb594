#include "app/demo_command.hpp"

#include <CLI/CLI.hpp>
#include <memory>

#include "app/demo.hpp"
#include "app/logging.hpp"

namespace aar::app {

void addDemoCommand(CLI::App& root, int* exit_code) {
  auto options = std::make_shared<DemoOptions>();
  auto* cmd = root.add_subcommand(
      "demo",
      "Show the seed README's example live: fake Kubernetes API server and fake IAM on 127.0.0.1, the real "
      "controller in between, three steps, aws-auth printed after each; then the same rules as EKS access "
      "entries against the fake EKS (no cluster or AWS account needed)");
  cmd->add_option("--fake-kube-apiserver", options->fake_kube_apiserver,
                  "Path of the fake-kube-apiserver binary (default: found in the build tree)");
  cmd->add_option("--fake-aws", options->fake_aws,
                  "Path of the fake-aws binary (default: found in the build tree)");
  cmd->add_flag("--verbose", options->verbose, "Show the controller's info log");
  cmd->callback([options, exit_code] {
    (void)configureLogging("warn", "text");
    *exit_code = runDemo(*options);
  });
}

}  // namespace aar::app
