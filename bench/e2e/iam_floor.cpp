// iam-floor: the floor of the end-to-end benchmark. Lists every IAM user once through exactly the code the
// controller uses (the standard credential chain, SigV4, libcurl, the paginated XML parse: makeAwsClients +
// IamIdentitySource) and nothing else: no Kubernetes, no rules, no reconcile. The driver measures this
// process as it measures aws-auth-refresher --once, so the controller's own cost is a ratio to this.
//
// Prints the number of users on stdout; exit 0 on success, 1 on failure (message on stderr).
#include <iostream>

#include "app/aws_wiring.hpp"
#include "app/iam_identity_source.hpp"
#include "controller/controller_metrics.hpp"
#include "controller/metrics_registry.hpp"

int main() {
  aar::controller::MetricsRegistry registry;
  aar::controller::ControllerMetrics metrics(registry, "bench");
  auto aws = aar::app::makeAwsClients(metrics);
  if (!aws.ok()) {
    std::cerr << "iam-floor: " << aws.error().message << "\n";
    return 1;
  }
  aar::app::IamIdentitySource source(*(*aws)->iam);
  auto arns = source.listUserArns();
  if (!arns.ok()) {
    std::cerr << "iam-floor: " << arns.error().message << "\n";
    return 1;
  }
  std::cout << arns->size() << "\n";
  return 0;
}
