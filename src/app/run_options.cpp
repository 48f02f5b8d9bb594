#include "app/run_options.hpp"

#include <CLI/CLI.hpp>
#include <string_view>

#include "app/duration.hpp"

namespace aar::app {
namespace {

// A DNS-1123 subdomain, as Kubernetes requires of ConfigMap, Lease and namespace names (namespaces are
// labels, a subset; the API server has the last word).
bool validObjectName(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && !((c == '-' || c == '.') && i > 0 && i + 1 < s.size())) return false;
  }
  return true;
}

// EKS's cluster name pattern: ^[0-9A-Za-z][A-Za-z0-9\-_]*$, 1..100 characters.
bool validClusterName(const std::string& s) {
  if (s.empty() || s.size() > 100) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && !(i > 0 && (c == '-' || c == '_'))) return false;
  }
  return true;
}

// An AWS tag value: 1..256 characters of letters, digits, spaces and _ . : / = + - @ (ASCII only here; the
// empty value is refused because an empty owner would make every untagged-value entry look ours).
bool validTagValue(const std::string& s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view(" _.:/=+-@").find(c) == std::string_view::npos) return false;
  }
  return true;
}

Error flagError(const std::string& flag, const std::string& value, const std::string& why) {
  return makeError(ErrorKind::kInvalidArgument, flag + " \"" + value + "\": " + why);
}

}  // namespace

void addRunFlags(CLI::App& cmd, RunOptions& o) {
  cmd.add_option("--kubeconfig,--path-to-kubeconfig", o.kubeconfig,
                 "Path to a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config)");
  cmd.add_option("--context", o.context, "kubeconfig context (default: its current-context)");
  cmd.add_option("--namespace", o.namespace_name, "Namespace of both ConfigMaps")->capture_default_str();
  cmd.add_option("--config-map", o.config_map, "ConfigMap holding the rules")->capture_default_str();
  cmd.add_option("--aws-auth-config-map", o.aws_auth_config_map, "ConfigMap to keep in step")
      ->capture_default_str();
  cmd.add_option("--refresh-interval", o.refresh_interval_text,
                 "Time between cycles (Go duration: 15s, 1m30s)")
      ->capture_default_str();
  cmd.add_flag("--once", o.once, "Run one cycle, then exit (0 success, 1 failure)");
  cmd.add_flag("--dry-run", o.dry_run, "Do everything but write; print the changes that would be made");
  cmd.add_flag("--create-aws-auth", o.create_aws_auth,
               "Create the aws-auth ConfigMap when it is missing (--create-aws-auth=false to refuse)")
      ->capture_default_str();
  cmd.add_flag("--adopt-matching-entries", o.adopt_matching_entries,
               "Take over mapUsers entries without an ownership record that are exactly what their rule "
               "writes (entries the 2019 tool wrote): removed when their IAM user is gone");
  cmd.add_flag("--allow-mass-removal", o.allow_mass_removal,
               "Write at once a cycle that removes more than half of more than 10 managed entries (without "
               "it, such a cycle is held until the same removals are computed 3 cycles in a row; --once "
               "exits 1)");
  cmd.add_flag("--leader-elect", o.leader_elect, "Elect a leader through a Lease; only the leader writes");
  cmd.add_option("--leader-election-id", o.leader_election_id, "Name of the Lease")->capture_default_str();
  cmd.add_option("--leader-election-namespace", o.leader_election_namespace,
                 "Namespace of the Lease (default: --namespace)");
  cmd.add_option("--metrics-bind-address", o.metrics_bind_address, "Address of /metrics (\"0\" disables)")
      ->capture_default_str();
  cmd.add_option("--health-probe-bind-address", o.health_probe_bind_address,
                 "Address of /healthz and /readyz (\"0\" disables)")
      ->capture_default_str();
  cmd.add_option("--log-level", o.log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  cmd.add_option("--log-format", o.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd.add_option("--backend", o.backend,
                 "Where the rules are written: aws-auth (the ConfigMap), access-entries (EKS access entries) "
                 "or auto (asks the cluster's authentication mode: CONFIG_MAP → aws-auth, otherwise access "
                 "entries)")
      ->check(CLI::IsMember({kBackendAwsAuth, kBackendAccessEntries, kBackendAuto}))
      ->capture_default_str();
  cmd.add_option("--cluster-name", o.cluster_name, "The EKS cluster (required for access-entries and auto)");
  cmd.add_option("--owner-id", o.owner_id,
                 "Value of the aws-auth-refresher/owner tag that marks an access entry as ours")
      ->capture_default_str();
  cmd.add_flag("--allow-cluster-admin-policy", o.allow_cluster_admin_policy,
               "Allow rules to associate AmazonEKSClusterAdminPolicy, or AmazonEKSAdminPolicy with scope "
               "cluster (access-entries backend)");
}

Status validateRunOptions(RunOptions& o) {
  auto interval = parseGoDuration(o.refresh_interval_text);
  if (!interval.ok())
    return makeError(ErrorKind::kInvalidArgument, "--refresh-interval: " + interval.error().message);
  if (interval->count() <= 0) {
    return flagError("--refresh-interval", o.refresh_interval_text, "must be greater than zero");
  }
  o.refresh_interval = *interval;
  if (o.leader_election_namespace.empty()) o.leader_election_namespace = o.namespace_name;
  for (auto [flag, value] : {std::pair<const char*, const std::string*>{"--namespace", &o.namespace_name},
                             {"--config-map", &o.config_map},
                             {"--aws-auth-config-map", &o.aws_auth_config_map},
                             {"--leader-election-id", &o.leader_election_id},
                             {"--leader-election-namespace", &o.leader_election_namespace}}) {
    if (!validObjectName(*value)) {
      return flagError(flag, *value, "not a valid Kubernetes name (lower-case letters, digits, '-' and '.')");
    }
  }
  if (o.config_map == o.aws_auth_config_map) {
    return flagError("--config-map", o.config_map, "must differ from --aws-auth-config-map");
  }
  auto metrics = net::parseBindAddress(o.metrics_bind_address);
  if (!metrics.ok())
    return makeError(ErrorKind::kInvalidArgument, "--metrics-bind-address: " + metrics.error().message);
  o.metrics_bind = *metrics;
  auto health = net::parseBindAddress(o.health_probe_bind_address);
  if (!health.ok()) {
    return makeError(ErrorKind::kInvalidArgument, "--health-probe-bind-address: " + health.error().message);
  }
  o.health_bind = *health;
  if (o.backend != kBackendAwsAuth && o.backend != kBackendAccessEntries && o.backend != kBackendAuto) {
    return flagError("--backend", o.backend, "must be aws-auth, access-entries or auto");
  }
  if (o.backend != kBackendAwsAuth && o.cluster_name.empty()) {
    return makeError(ErrorKind::kInvalidArgument,
                     "--backend " + o.backend +
                         " needs --cluster-name (the EKS cluster whose access entries "
                         "to keep in step)");
  }
  if (!o.cluster_name.empty() && !validClusterName(o.cluster_name)) {
    return flagError(
        "--cluster-name", o.cluster_name,
        "not a valid EKS cluster name (1-100 letters, digits, '-' and '_', starting with a letter "
        "or digit)");
  }
  if (!validTagValue(o.owner_id)) {
    return flagError("--owner-id", o.owner_id,
                     "not a valid AWS tag value (1-256 letters, digits, spaces and _ . : / = + - @)");
  }
  return Status::Ok();
}

}  // namespace aar::app
