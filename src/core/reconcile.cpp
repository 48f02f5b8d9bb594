#include "core/reconcile.hpp"

#include <utility>

#include "core/reconcile_steps.hpp"

namespace aar::core {

const char* changeKindName(Change::Kind kind) {
  switch (kind) {
    case Change::Kind::kAdded:
      return "added";
    case Change::Kind::kRemoved:
      return "removed";
    case Change::Kind::kUpdated:
      return "updated";
  }
  return "unknown";
}

const char* principalKindName(PrincipalKind kind) { return kind == PrincipalKind::kRole ? "role" : "user"; }

Result<ReconcileResult> reconcile(const RulesConfig& rules, const IamSnapshot& iam,
                                  const ConfigMapContent& current, const ReconcileOptions& options) {
  // Seam for rules v2 (issue #12): users only so far.
  std::vector<std::string> arns;
  arns.reserve(iam.users.size());
  for (const Principal& p : iam.users) arns.push_back(p.arn);
  auto result = reconcile(rules.users, arns, current, options);
  if (!result.ok()) return result;
  result->users = KindSummary{result->managed_count, result->record_state, result->recorded_count};
  return result;
}

Result<ReconcileResult> reconcile(const RuleSet& rules, const std::vector<std::string>& iam_user_arns,
                                  const ConfigMapContent& current, const ReconcileOptions& options) {
  namespace steps = reconcile_steps;
  auto state = steps::readCurrentState(current, options.object_uid);
  if (!state.ok()) return state.error();
  steps::Classification classes =
      steps::classifyEntries(state->entries, state->ownership.owned, rules, options.adopt_matching_entries);
  const std::vector<std::string> arns = steps::distinctArns(iam_user_arns);
  steps::DesiredEntries desired = steps::desiredEntries(arns, rules, classes.unmanaged_arns);
  steps::Diff diff = steps::diffEntries(state->entries, classes, desired, arns, rules);
  std::string record = steps::ownershipRecord(state->ownership.bound_uid, classes, diff, rules);

  ReconcileResult result;
  result.record_state = state->ownership.state;
  result.recorded_count = state->ownership.owned.size();
  result.adopted = std::move(classes.adopted);
  result.shadowed = std::move(desired.shadowed);
  result.skipped_unmanaged = std::move(desired.skipped_unmanaged);
  result.managed_count = desired.rule_of.size();
  result.desired = current;
  // No record and nothing to own: the annotation stays out (no write).
  const bool users_changed = !diff.changes.empty() || diff.dropped_duplicate;
  const bool record_changed = state->record_text ? record != *state->record_text : !desired.rule_of.empty();
  result.changes = std::move(diff.changes);
  if (!users_changed && !record_changed) return result;  // changed == false: desired == current

  result.changed = true;
  if (users_changed) {
    auto text = steps::renderMapUsers(state->entries, classes, diff, rules);
    if (!text.ok()) return text.error();
    result.desired.data[kMapUsersKey] = std::move(text.value());
  }
  result.desired.annotations[kManagedUsersAnnotation] = std::move(record);
  if (Status limits = steps::checkLimits(result.desired, result.managed_count); !limits.ok()) {
    return limits.error();
  }
  return result;
}

}  // namespace aar::core
