// RunOptions: the flags of `aws-auth-refresher [run]`, their defaults, and their validation.
//
//   --kubeconfig PATH (alias --path-to-kubeconfig, the 2019 tool's name), --context NAME
//   --namespace NS                       Default: kube-system
//   --config-map NAME                    Default: aws-auth-refresher (the rules)
//   --aws-auth-config-map NAME           Default: aws-auth
//   --refresh-interval DURATION          Default: 15s (Go syntax: 15s, 1m30s, 500ms; must be > 0)
//   --once                               one cycle, then exit 0 on success, 1 on failure
//   --dry-run                            everything but writes; prints the changes it would make
//   --create-aws-auth[=false]            Default: true (create aws-auth when missing, as eksctl does)
//   --adopt-matching-entries             Default: false (take over entries exactly as a rule writes them that
//                                        carry no ownership record: the 2019 tool's; see reconcile.hpp)
//   --allow-mass-removal                 Default: false (write at once a cycle that removes more than half of
//                                        more than 10 managed entries; see controller.hpp "Mass removals")
//   --leader-elect                       Default: false
//   --leader-election-id NAME            Default: aws-auth-refresher (the Lease's name)
//   --leader-election-namespace NS       Default: the value of --namespace
//   --metrics-bind-address ADDR          Default: :8080 ("0" disables)
//   --health-probe-bind-address ADDR     Default: :8081 ("0" disables)
//   --log-level debug|info|warn|error    Default: info
//   --log-format text|json               Default: text
// AWS is configured only through the standard AWS environment variables.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <string>

#include "core/result.hpp"
#include "net/http_server.hpp"

namespace CLI {
class App;
}

namespace aar::app {

struct RunOptions {
  std::string kubeconfig;
  std::string context;
  std::string namespace_name = "kube-system";
  std::string config_map = "aws-auth-refresher";
  std::string aws_auth_config_map = "aws-auth";
  std::string refresh_interval_text = "15s";
  bool once = false;
  bool dry_run = false;
  bool create_aws_auth = true;
  bool adopt_matching_entries = false;
  bool allow_mass_removal = false;
  bool leader_elect = false;
  std::string leader_election_id = "aws-auth-refresher";
  std::string leader_election_namespace;  // empty: namespace_name
  std::string metrics_bind_address = ":8080";
  std::string health_probe_bind_address = ":8081";
  std::string log_level = "info";
  std::string log_format = "text";

  // Filled by validate().
  std::chrono::nanoseconds refresh_interval{std::chrono::seconds(15)};
  net::BindAddress metrics_bind;
  net::BindAddress health_bind;
};

// Adds the flags above to `cmd`, bound to `options`.
void addRunFlags(CLI::App& cmd, RunOptions& options);

// Checks values CLI11 cannot (durations, bind addresses, names) and fills the derived fields.
// kInvalidArgument naming the flag and the value.
Status validateRunOptions(RunOptions& options);

}  // namespace aar::app
