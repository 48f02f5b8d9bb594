#include "core/reconcile.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <optional>
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

namespace {

namespace steps = reconcile_steps;

// One list (mapUsers or mapRoles) reconciled: what reconcile() merges into its result.
struct KindOutcome {
  std::vector<Change> changes;
  std::vector<ShadowedMatch> shadowed;
  std::vector<std::string> skipped_unmanaged;
  std::vector<std::string> adopted;
  std::vector<ExpansionFailure> expansion_failures;
  KindSummary summary;
  size_t managed_in_current = 0;      // entries of `current` that are ours.
  std::optional<std::string> text;    // the new value of the list; nullopt: unchanged.
  std::optional<std::string> record;  // the new ownership record; nullopt: unchanged.
};

// The steps of reconcile_steps.hpp for one list; the same code for both.
Result<KindOutcome> reconcileKind(const steps::KindSpec& spec, const steps::KindState& state,
                                  const RuleSet& rules, const std::vector<Principal>& listed,
                                  const std::vector<std::string>& frozen_accounts, bool adopt) {
  steps::Classification classes = steps::classifyEntries(state.entries, state.ownership.owned, rules, adopt);
  const std::vector<steps::Candidate> candidates = steps::candidates(listed, spec, frozen_accounts);
  steps::DesiredEntries desired =
      steps::desiredEntries(candidates, rules, classes.unmanaged_arns, spec.principal);
  steps::Diff diff =
      steps::diffEntries(state.entries, classes, desired, candidates, rules, frozen_accounts, spec.principal);
  std::string record = steps::ownershipRecord(state.ownership.bound_uid, classes, diff, rules);

  KindOutcome out;
  out.summary.record_state = state.ownership.state;
  out.summary.recorded_count = state.ownership.owned.size();
  out.summary.managed_count =
      static_cast<size_t>(std::count(diff.keep.begin(), diff.keep.end(), true)) + diff.to_write.size();
  out.managed_in_current =
      static_cast<size_t>(std::count(classes.is_managed.begin(), classes.is_managed.end(), true));
  out.adopted = std::move(classes.adopted);
  out.shadowed = std::move(desired.shadowed);
  out.skipped_unmanaged = std::move(desired.skipped_unmanaged);
  out.expansion_failures = std::move(desired.expansion_failures);
  const bool list_changed = !diff.changes.empty() || diff.dropped_duplicate;
  // No record and nothing to own: the annotation stays out (no write).
  const bool record_changed =
      state.record_text ? record != *state.record_text : out.summary.managed_count > 0;
  out.changes = std::move(diff.changes);
  if (list_changed) {
    auto text = steps::renderEntries(state.entries, classes, diff, rules, spec.list);
    if (!text.ok()) return text.error();
    out.text = std::move(text.value());
  }
  if (list_changed || record_changed) out.record = std::move(record);
  return out;
}

template <typename T, typename Less>
void appendSorted(std::vector<T>* into, std::vector<T>&& more, Less less) {
  const auto middle = static_cast<std::ptrdiff_t>(into->size());
  into->insert(into->end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  std::inplace_merge(into->begin(), into->begin() + middle, into->end(), less);
}

}  // namespace

Result<ReconcileResult> reconcile(const RulesConfig& rules, const IamSnapshot& iam,
                                  const ConfigMapContent& current, const ReconcileOptions& options) {
  auto state = steps::readCurrentState(current, options.object_uid);
  if (!state.ok()) return state.error();
  // Adoption is for upgrades from the 2019 tool, which wrote mapUsers only.
  auto users = reconcileKind(steps::kindSpec(PrincipalKind::kUser), state->users, rules.users, iam.users,
                             iam.frozen_accounts, options.adopt_matching_entries);
  if (!users.ok()) return users.error();
  auto roles = reconcileKind(steps::kindSpec(PrincipalKind::kRole), state->roles, rules.roles, iam.roles,
                             iam.frozen_accounts, false);
  if (!roles.ok()) return roles.error();
  // No role rules and no managed role entry: mapRoles and its annotation are not ours to touch at all (not
  // even to rebind an empty record), so a users-only configuration gives exactly the users-only result.
  if (rules.roles.empty() && roles->managed_in_current == 0) roles.value() = KindOutcome{};

  ReconcileResult result;
  result.users = users->summary;
  result.roles = roles->summary;
  result.managed_count = users->summary.managed_count + roles->summary.managed_count;
  result.record_state = users->summary.record_state;
  result.recorded_count = users->summary.recorded_count + roles->summary.recorded_count;
  result.desired = current;
  result.changes = std::move(users->changes);
  result.shadowed = std::move(users->shadowed);
  result.skipped_unmanaged = std::move(users->skipped_unmanaged);
  result.adopted = std::move(users->adopted);
  result.expansion_failures = std::move(users->expansion_failures);
  // Role ARNs (":role/") and user ARNs (":user/") never compare equal, so merging keeps each list's order.
  appendSorted(&result.changes, std::move(roles->changes), [](const Change& a, const Change& b) {
    return a.arn != b.arn ? a.arn < b.arn : static_cast<int>(a.kind) < static_cast<int>(b.kind);
  });
  appendSorted(&result.shadowed, std::move(roles->shadowed),
               [](const ShadowedMatch& a, const ShadowedMatch& b) { return a.arn < b.arn; });
  appendSorted(&result.skipped_unmanaged, std::move(roles->skipped_unmanaged), std::less<>());
  result.expansion_failures.insert(result.expansion_failures.end(),
                                   std::make_move_iterator(roles->expansion_failures.begin()),
                                   std::make_move_iterator(roles->expansion_failures.end()));

  for (auto* kind : {&users.value(), &roles.value()}) {
    const steps::KindSpec& spec =
        steps::kindSpec(kind == &users.value() ? PrincipalKind::kUser : PrincipalKind::kRole);
    if (kind->text) result.desired.data[spec.data_key] = std::move(*kind->text);
    if (kind->record) result.desired.annotations[spec.annotation] = std::move(*kind->record);
  }
  result.changed = result.desired != current;
  if (!result.changed) return result;
  if (Status limits = steps::checkLimits(result.desired, result.managed_count); !limits.ok()) {
    return limits.error();
  }
  return result;
}

Result<ReconcileResult> reconcile(const RuleSet& rules, const std::vector<std::string>& iam_user_arns,
                                  const ConfigMapContent& current, const ReconcileOptions& options) {
  IamSnapshot iam;
  iam.users.reserve(iam_user_arns.size());
  for (const std::string& arn : iam_user_arns) iam.users.push_back(Principal{arn, {}, {}});
  RulesConfig config;
  config.users = rules;
  return reconcile(config, iam, current, options);
}

}  // namespace aar::core
