#include "controller/controller_metrics.hpp"

namespace aar::controller {
namespace {
constexpr char kReconcileTotal[] = "aws_auth_refresher_reconcile_total";
constexpr char kReconcileHelp[] = "Reconcile cycles by result (success or error).";
constexpr char kChangesTotal[] = "aws_auth_refresher_changes_total";
constexpr char kIamRequests[] = "aws_auth_refresher_iam_requests_total";
constexpr char kKubeRequests[] = "aws_auth_refresher_kube_requests_total";
constexpr char kRoleChangesTotal[] = "aws_auth_refresher_role_changes_total";
constexpr char kRoleChangesHelp[] = "mapRoles entries changed in aws-auth, by kind.";
constexpr char kManagedByKind[] = "aws_auth_refresher_managed_entries_by_kind";
constexpr char kManagedByKindHelp[] =
    "Entries in aws-auth that aws-auth-refresher manages, by kind (user: mapUsers, role: mapRoles).";
constexpr char kAccountFailures[] = "aws_auth_refresher_account_listing_failures_total";
constexpr char kAccountFailuresHelp[] =
    "Cycles in which listing an AWS account's IAM principals failed (its entries were left as they were), "
    "by account ID.";
constexpr char kOwnershipLost[] = "aws_auth_refresher_ownership_record_lost_total";
constexpr char kOwnershipLostHelp[] =
    "Times the ownership record on aws-auth was found removed, bound to another object, or shrunk by "
    "someone else, by reason.";
constexpr char kEksRequests[] = "aws_auth_refresher_eks_requests_total";
constexpr char kEksRequestsHelp[] = "EKS API requests by operation and result code.";
constexpr char kEntriesSkipped[] = "aws_auth_refresher_access_entries_skipped";
constexpr char kEntriesSkippedHelp[] =
    "Principals matching a rule that got no access entry in the last cycle, by reason.";
constexpr char kEntriesErrors[] = "aws_auth_refresher_access_entries_errors_total";
constexpr char kEntriesErrorsHelp[] = "Access-entries cycles that could not do everything, by reason.";
}  // namespace

ControllerMetrics::ControllerMetrics(MetricsRegistry& registry, std::string_view version)
    : registry_(registry),
      success_(registry.counter(kReconcileTotal, kReconcileHelp, {{"result", "success"}})),
      error_(registry.counter(kReconcileTotal, kReconcileHelp, {{"result", "error"}})),
      duration_(registry.histogram("aws_auth_refresher_reconcile_duration_seconds",
                                   "Duration of reconcile cycles in seconds.", defaultDurationBuckets())),
      managed_entries_(registry.gauge("aws_auth_refresher_managed_entries",
                                      "mapUsers entries in aws-auth that aws-auth-refresher manages.")),
      rules_(registry.gauge("aws_auth_refresher_rules", "Rules in effect.")),
      last_success_(registry.gauge("aws_auth_refresher_last_success_timestamp_seconds",
                                   "Unix time of the last successful reconcile cycle.")),
      config_valid_(registry.gauge("aws_auth_refresher_config_valid",
                                   "1 if the rules ConfigMap holds valid rules, 0 otherwise.")),
      is_leader_(registry.gauge("aws_auth_refresher_is_leader",
                                "1 while this process is the leader and may write.")),
      mass_removal_held_(registry.gauge("aws_auth_refresher_mass_removal_held",
                                        "1 while a mass removal of managed entries is held, not written.")),
      mass_removal_held_cycles_(registry.counter("aws_auth_refresher_mass_removal_held_cycles_total",
                                                 "Cycles that held a mass removal instead of writing it.")),
      managed_users_(registry.gauge(kManagedByKind, kManagedByKindHelp, {{"kind", "user"}})),
      managed_roles_(registry.gauge(kManagedByKind, kManagedByKindHelp, {{"kind", "role"}})),
      expansion_failures_(registry.counter(
          "aws_auth_refresher_username_expansion_failures_total",
          "Principals that matched a rule but got no entry because their username did not expand (counted "
          "once per cycle in which it happens).")),
      access_entries_managed_(registry.gauge("aws_auth_refresher_access_entries_managed",
                                             "EKS access entries that aws-auth-refresher manages.")),
      access_entries_not_ours_(registry.gauge("aws_auth_refresher_access_entries_not_ours",
                                              "EKS access entries seen that are not ours (never touched).")) {
  registry
      .gauge("aws_auth_refresher_build_info", "Build information; always 1.",
             {{"version", std::string(version)}})
      .set(1);
  for (const char* kind : {"added", "removed", "updated"}) {
    registry.counter(kChangesTotal, "mapUsers entries changed in aws-auth, by kind.", {{"kind", kind}});
    registry.counter(kRoleChangesTotal, kRoleChangesHelp, {{"kind", kind}});
  }
  for (const char* reason : {"absent", "other_object", "shrunk"}) {
    registry.counter(kOwnershipLost, kOwnershipLostHelp, {{"reason", reason}});
  }
}

void ControllerMetrics::cycle(bool success, double seconds) {
  (success ? success_ : error_).inc();
  duration_.observe(seconds);
}

void ControllerMetrics::changeApplied(std::string_view kind) {
  registry_
      .counter(kChangesTotal, "mapUsers entries changed in aws-auth, by kind.", {{"kind", std::string(kind)}})
      .inc();
}

void ControllerMetrics::roleChangeApplied(std::string_view kind) {
  registry_.counter(kRoleChangesTotal, kRoleChangesHelp, {{"kind", std::string(kind)}}).inc();
}

void ControllerMetrics::accountListingFailed(std::string_view account_id) {
  registry_.counter(kAccountFailures, kAccountFailuresHelp, {{"account", std::string(account_id)}}).inc();
}

void ControllerMetrics::iamRequest(std::string_view operation, std::string_view code) {
  registry_
      .counter(kIamRequests, "IAM API requests by operation and result code.",
               {{"operation", std::string(operation)}, {"code", std::string(code)}})
      .inc();
}

void ControllerMetrics::kubeRequest(std::string_view verb, std::string_view code) {
  registry_
      .counter(kKubeRequests, "Kubernetes API requests by verb and HTTP status code.",
               {{"verb", std::string(verb)}, {"code", std::string(code)}})
      .inc();
}

void ControllerMetrics::eksRequest(std::string_view operation, std::string_view code) {
  registry_
      .counter(kEksRequests, kEksRequestsHelp,
               {{"operation", std::string(operation)}, {"code", std::string(code)}})
      .inc();
}

void ControllerMetrics::accessEntriesError(std::string_view reason) {
  registry_.counter(kEntriesErrors, kEntriesErrorsHelp, {{"reason", std::string(reason)}}).inc();
}

Gauge& ControllerMetrics::accessEntriesSkipped(std::string_view reason) {
  return registry_.gauge(kEntriesSkipped, kEntriesSkippedHelp, {{"reason", std::string(reason)}});
}

void ControllerMetrics::ownershipRecordLost(std::string_view reason) {
  registry_.counter(kOwnershipLost, kOwnershipLostHelp, {{"reason", std::string(reason)}}).inc();
}

}  // namespace aar::controller
