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
//   --backend aws-auth|access-entries|auto  Default: aws-auth (issue #13: write the rules as EKS access
//                                        entries, or ask the cluster's authentication mode: CONFIG_MAP →
//                                        aws-auth, API_AND_CONFIG_MAP or API → access entries)
//   --cluster-name NAME                  the EKS cluster; required for access-entries and auto
//   --owner-id TEXT                      Default: aws-auth-refresher (the aws-auth-refresher/owner tag value
//                                        that marks an access entry as ours; an AWS tag value)
//   --allow-cluster-admin-policy         Default: false (allow rules to associate
//   AmazonEKSClusterAdminPolicy,
//                                        or AmazonEKSAdminPolicy with scope cluster)
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

inline constexpr char kBackendAwsAuth[] = "aws-auth";
inline constexpr char kBackendAccessEntries[] = "access-entries";
inline constexpr char kBackendAuto[] = "auto";

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
  std::string backend = "aws-auth";  // kBackendAwsAuth, kBackendAccessEntries or kBackendAuto
  std::string cluster_name;
  std::string owner_id = "aws-auth-refresher";
  bool allow_cluster_admin_policy = false;

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
