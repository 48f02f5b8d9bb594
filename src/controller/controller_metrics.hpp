// ControllerMetrics: the aws_auth_refresher_* series, registered once in a MetricsRegistry.
//
// - aws_auth_refresher_reconcile_total{result} (counter): success | error.
// - aws_auth_refresher_reconcile_duration_seconds (histogram): one observation per cycle.
// - aws_auth_refresher_changes_total{kind} (counter): added | removed | updated (applied).
// - aws_auth_refresher_iam_requests_total{operation,code} (counter): code is the HTTP status or AWS error
//   code.
// - aws_auth_refresher_kube_requests_total{verb,code} (counter): code is the HTTP status or "error".
// - aws_auth_refresher_managed_entries (gauge): managed mapUsers entries after a cycle.
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
  void iamRequest(std::string_view operation, std::string_view code);
  void kubeRequest(std::string_view verb, std::string_view code);
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
};

}  // namespace aar::controller
