// AccessEntriesBackend: one access-entries pass of a cycle (issue #13, docs/controller.md "Access-entries
// backend"). The Controller resolves the rules and lists IAM exactly as for aws-auth, asks the cluster's
// authentication mode, and hands the result here; this class lists the access entries, validates the rules
// for this backend, asks the core for the plan (core::planAccessEntries) and executes it in order.
//
// - Never on partial data: the caller passes only a complete IAM snapshot (frozen accounts aside); a failed
//   listEntries() ends the pass before any call.
// - Validation (core::validateAccessEntryRules) before any call: an invalid rule is reported like an invalid
//   rule of the aws-auth backend (log and Warning Event "InvalidRules" once per distinct message,
//   config_valid=0 and the invalid_rules counter each cycle) and nothing is called.
// - Execution, per principal: a failed call stops the calls that follow for that principal this cycle (make
//   before break: a policy is never disassociated after its replacement failed). ResourceInUseException on a
//   create: someone else made the entry first; the store re-reads it next cycle, we never overwrite it.
//   ResourceLimitExceededException: no further create this cycle (counted and reported), every other call
//   goes on. ResourceNotFoundException on AssociateAccessPolicy after our own create this cycle: retried
//   after options.associate_backoff, doubling, options.associate_retries times at most (clock.sleepFor). Any
//   other error is reported with EKS's code and message; the next cycle tries again.
// - Reports: the calls made, each logged at info and counted in one Normal Event "AccessEntriesUpdated";
//   failures as Warning Events (below).
// - Dry run: the plan is printed (core::renderAccessEntryPlanText) and logged; no mutating call.
// - Leadership: options.may_write is asked before the first mutating call; false ends the pass.
// A pass that could not do everything (any failed call, the limit, planned or met, lost leadership) is not
// `complete`.
//
// Thread-safety: run() from the controller's cycle thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "controller/access_entry_ports.hpp"
#include "controller/controller_metrics.hpp"
#include "controller/ports.hpp"
#include "core/access_entries.hpp"

namespace aar::controller {

struct AccessEntriesOptions {
  std::string owner_id = core::kDefaultAccessEntryOwnerId;  // Default: "aws-auth-refresher" (--owner-id).
  bool allow_cluster_admin_policy = false;                  // Default: false.
  bool dry_run = false;                                     // Default: false.
  std::ostream* dry_run_out = nullptr;                      // Default: null (logged only).
  // 404 on AssociateAccessPolicy right after our create: retries, and the first delay (doubling).
  int associate_retries = 4;                                                    // Default: 4.
  std::chrono::nanoseconds associate_backoff = std::chrono::milliseconds(500);  // Default: 500ms.
  std::function<bool()> may_write;  // Default: null (always may write).
  std::function<bool()> stopping;   // Default: null (never stops early).
  // Called after listEntries() and after each EKS call (retries too), so liveness sees progress. Default:
  // null.
  std::function<void()> progress;
};

// What one pass needs from the cycle.
struct AccessEntriesInputs {
  const core::RulesConfig* rules = nullptr;
  const core::IamSnapshot* iam = nullptr;
  core::AuthenticationMode mode = core::AuthenticationMode::kApi;
  // kApiAndConfigMap: ARNs of hand-written aws-auth entries (their principals get no access entry).
  std::vector<std::string> hand_written_aws_auth_arns;
};

struct AccessEntriesReport {
  bool complete = false;                      // every planned call made and succeeded (dry run: planned)
  std::optional<Error> error;                 // the first reason it is not complete
  std::string event_reason;                   // the Event reason of `error`
  std::optional<core::AccessEntryPlan> plan;  // nullopt: no plan (listing failed, invalid rules)
  std::vector<core::AccessEntryOperation> applied;  // succeeded calls, in order
  size_t failed_calls = 0;
  size_t not_created_over_limit = 0;  // the plan's, plus the creates the limit refused this cycle
};

class AccessEntriesBackend {
 public:
  // metrics may be null.
  AccessEntriesBackend(AccessEntryStore& store, EventSink& events, base::Clock& clock,
                       AccessEntriesOptions options, ControllerMetrics* metrics);

  AccessEntriesReport run(const AccessEntriesInputs& in);

  // Executes `plan` (as run() does after planning; no dry run): each call in order, with the error handling
  // above. Public so that the execution can be tested with hand-made plans whatever the rules parser reads.
  AccessEntriesReport execute(const core::AccessEntryPlan& plan);

  // Options for core::planAccessEntries in `mode`.
  core::AccessEntryOptions coreOptions(const AccessEntriesInputs& in) const;

 private:
  struct Execution {
    std::set<std::string> failed;   // principals with a failed call this pass
    std::set<std::string> created;  // principals created this pass
    bool limit_hit = false;
  };
  bool validate(const core::RulesConfig& rules, const core::AccessEntryOptions& options,
                AccessEntriesReport& report);
  void reportPlan(const core::AccessEntryPlan& plan);
  void printDryRun(const core::AccessEntryPlan& plan);
  void execute(const core::AccessEntryPlan& plan, AccessEntriesReport& report);
  // A Normal Event "AccessEntriesUpdated" with the calls made per operation ("CreateAccessEntry 2, ...").
  void reportApplied(const std::vector<core::AccessEntryOperation>& applied);
  EksStatus applyWithRetry(const core::AccessEntryOperation& op, const Execution& ex);
  void onFailure(const core::AccessEntryOperation& op, const EksError& err, Execution& ex,
                 AccessEntriesReport& report);
  void setError(AccessEntriesReport& report, Error error, std::string_view reason);

  AccessEntryStore& store_;
  EventSink& events_;
  base::Clock& clock_;
  AccessEntriesOptions options_;
  ControllerMetrics* metrics_;
  std::string reported_invalid_;  // the last invalid-rules message reported (reported once while it lasts)
};

}  // namespace aar::controller
