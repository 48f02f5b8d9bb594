// ControllerMetrics: the aws_auth_refresher_* series, registered once in a MetricsRegistry.
//
// - aws_auth_refresher_reconcile_total{result} (counter): success | error.
// - aws_auth_refresher_reconcile_duration_seconds (histogram): one observation per cycle.
// - aws_auth_refresher_changes_total{kind} (counter): added | removed | updated (applied).
// - aws_auth_refresher_role_changes_total{kind} (counter): the same for mapRoles entries.
// - aws_auth_refresher_iam_requests_total{operation,code} (counter): IAM (and STS) requests by action
//   (ListUsers, ListRoles, GetGroup, AssumeRole, ...); code is the HTTP status or AWS error code. Fed by the
//   app through iamRequest() from the IAM client's per-request hook.
// - aws_auth_refresher_kube_requests_total{verb,code} (counter): code is the HTTP status or "error".
// - aws_auth_refresher_managed_entries (gauge): managed mapUsers entries after a cycle.
// - aws_auth_refresher_managed_entries_by_kind{kind} (gauge): managed entries after a cycle, kind = user
//   (mapUsers) | role (mapRoles).
// - aws_auth_refresher_account_listing_failures_total{account} (counter): cycles in which the listing of
//   that account (12-digit ID) failed, so that its entries were frozen.
// - aws_auth_refresher_username_expansion_failures_total (counter): principals that matched a rule but got
//   no entry because their username did not expand, once per cycle each.
// - aws_auth_refresher_eks_requests_total{operation,code} (counter): EKS requests (DescribeCluster,
//   ListAccessEntries, CreateAccessEntry, ...) by operation; code is the HTTP status or EKS error code. Fed
//   by the app through eksRequest() from the EKS client's per-request hook.
// - aws_auth_refresher_access_entries_managed (gauge): access entries of ours after a cycle.
// - aws_auth_refresher_access_entries_not_ours (gauge): access entries seen in the last cycle that are not
//   ours (never touched).
// - aws_auth_refresher_access_entries_skipped{reason} (gauge): matching principals that got no entry in the
//   last cycle, reason = foreign-entry | hand-written-aws-auth-mapping | over-limit.
// - aws_auth_refresher_access_entries_errors_total{reason} (counter): access-entries cycles that could not do
//   everything, reason = mode_config_map | invalid_rules | list_failed | eks_call_failed | limit_exceeded.
// - aws_auth_refresher_rules (gauge): rules in effect.
// - aws_auth_refresher_last_success_timestamp_seconds (gauge): Unix time of the last successful cycle.
// - aws_auth_refresher_config_valid (gauge): 1 if the current rules parse, else 0.
// - aws_auth_refresher_is_leader (gauge): 1 while this process may write.
// - aws_auth_refresher_build_info{version} (gauge): always 1.
//
// Thread-safety: every method is safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "controller/metrics_registry.hpp"

namespace aar::controller {

class ControllerMetrics {
 public:
  ControllerMetrics(MetricsRegistry& registry, std::string_view version);

  void cycle(bool success, double seconds);
  void changeApplied(std::string_view kind);
  void roleChangeApplied(std::string_view kind);
  void accountListingFailed(std::string_view account_id);
  void usernameExpansionFailed() { expansion_failures_.inc(); }
  Gauge& managedEntriesOfKind(bool roles) { return roles ? managed_roles_ : managed_users_; }
  void iamRequest(std::string_view operation, std::string_view code);
  void kubeRequest(std::string_view verb, std::string_view code);
  void eksRequest(std::string_view operation, std::string_view code);
  void accessEntriesError(std::string_view reason);
  // reason: core::skipReasonName (foreign-entry, hand-written-aws-auth-mapping, over-limit).
  Gauge& accessEntriesSkipped(std::string_view reason);
  Gauge& accessEntriesManaged() { return access_entries_managed_; }
  Gauge& accessEntriesNotOurs() { return access_entries_not_ours_; }
  void massRemovalHeld() { mass_removal_held_cycles_.inc(); }
  // reason: "absent", "other_object" or "shrunk".
  void ownershipRecordLost(std::string_view reason);

  Gauge& managedEntries() { return managed_entries_; }
  Gauge& rules() { return rules_; }
  Gauge& lastSuccessTimestamp() { return last_success_; }
  Gauge& configValid() { return config_valid_; }
  Gauge& isLeader() { return is_leader_; }
  Gauge& massRemovalHolding() { return mass_removal_held_; }

  MetricsRegistry& registry() { return registry_; }

 private:
  MetricsRegistry& registry_;
  Counter& success_;
  Counter& error_;
  Histogram& duration_;
  Gauge& managed_entries_;
  Gauge& rules_;
  Gauge& last_success_;
  Gauge& config_valid_;
  Gauge& is_leader_;
  Gauge& mass_removal_held_;
  Counter& mass_removal_held_cycles_;
  Gauge& managed_users_;
  Gauge& managed_roles_;
  Counter& expansion_failures_;
  Gauge& access_entries_managed_;
  Gauge& access_entries_not_ours_;
};

}  // namespace aar::controller
