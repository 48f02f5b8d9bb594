// The access-entries side of Controller (controller.hpp, "Backends"): which backend a cycle uses, the
// access-entries pass, and the API_AND_CONFIG_MAP migration out of aws-auth.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <utility>

#include "controller/controller.hpp"
#include "core/reconcile_steps.hpp"

namespace aar::controller {
namespace steps = core::reconcile_steps;

const char* backendName(Backend backend) {
  switch (backend) {
    case Backend::kAwsAuth:
      return "aws-auth";
    case Backend::kAccessEntries:
      return "access-entries";
    case Backend::kAuto:
      return "auto";
  }
  return "unknown";
}

std::optional<Backend> parseBackend(std::string_view name) {
  for (const Backend b : {Backend::kAwsAuth, Backend::kAccessEntries, Backend::kAuto}) {
    if (name == backendName(b)) return b;
  }
  return std::nullopt;
}

std::optional<CycleReport> Controller::accessEntriesCycle(const IamInputs& iam) {
  if (options_.backend == Backend::kAwsAuth) return std::nullopt;
  if (!access_backend_) {
    return fail(makeError(ErrorKind::kInternal, fmt::format("--backend {} without an EKS access-entry store",
                                                            backendName(options_.backend))),
                "ConfigurationError");
  }
  auto mode = ports_.access_entries->authenticationMode();
  if (!mode.ok()) {
    return fail(
        makeError(mode.error().kind, "asking the authentication mode of " +
                                         ports_.access_entries->describe() + ": " + mode.error().message),
        "DescribeClusterFailed");
  }
  if (*mode == core::AuthenticationMode::kConfigMap) {
    if (options_.backend == Backend::kAuto) {
      spdlog::debug("{} is in mode CONFIG_MAP: --backend auto uses aws-auth",
                    ports_.access_entries->describe());
      return std::nullopt;
    }
    if (metrics_ != nullptr) metrics_->accessEntriesError("mode_config_map");
    return fail(
        makeError(ErrorKind::kInvalidArgument,
                  fmt::format("{} is in authentication mode CONFIG_MAP: it ignores access entries, so "
                              "--backend access-entries changes nothing; switch the cluster to "
                              "API_AND_CONFIG_MAP, or run with --backend aws-auth or auto",
                              ports_.access_entries->describe())),
        "AuthenticationModeConfigMap");
  }
  // A switch of backend invalidates what the aws-auth side remembered of its last idle cycle.
  quiet_.reset();
  return runAccessEntries(iam, *mode);
}

CycleReport Controller::runAccessEntries(const IamInputs& iam, core::AuthenticationMode mode) {
  AccessEntriesInputs in;
  in.rules = &iam.rules->config;
  in.iam = &iam.snapshot;
  in.mode = mode;
  std::optional<AwsAuthObject> obj;
  AwsAuthOwnership owned;
  if (mode == core::AuthenticationMode::kApiAndConfigMap) {
    auto current = ports_.aws_auth.read();
    if (!current.ok()) {
      return fail(makeError(current.error().kind,
                            "reading " + ports_.aws_auth.describe() + ": " + current.error().message),
                  "ReadFailed");
    }
    obj = actOnOwnWrite(std::move(current.value()));
    if (obj) {
      auto o = awsAuthOwnership(iam.rules->config, *obj);
      if (!o.ok()) return fail(o.error(), "ReconcileFailed");
      owned = std::move(o.value());
      in.hand_written_aws_auth_arns = owned.hand_written;
    }
  }
  AccessEntriesReport pass = access_backend_->run(in);
  if (!pass.plan) {
    if (pass.event_reason == "InvalidRules") {  // reported (log, Event, metric) by the backend
      CycleReport r;
      r.access_entries = true;
      r.error = pass.error;
      return r;
    }
    return fail(pass.error.value_or(makeError(ErrorKind::kInternal, "access-entries pass without a plan")),
                pass.event_reason);
  }
  CycleReport report;
  report.access_entries = true;
  report.success = pass.complete;
  report.error = pass.error;
  report.access_entry_calls = options_.dry_run ? pass.plan->operations : pass.applied;
  if (mode != core::AuthenticationMode::kApiAndConfigMap || !obj || owned.ours.empty()) return report;
  CycleReport migration = migrate(iam, in, pass, owned, std::move(obj));
  report.migrated = std::move(migration.migrated);
  report.wrote = migration.wrote;
  report.changes = std::move(migration.changes);
  report.held = migration.held;
  if (!migration.success && report.success) {  // a held mass removal too: --once must say so
    report.success = false;
    report.error = migration.error;
  }
  return report;
}

Result<Controller::AwsAuthOwnership> Controller::awsAuthOwnership(const core::RulesConfig& rules,
                                                                  const AwsAuthObject& obj) const {
  auto state = steps::readCurrentState(obj.content, obj.uid);
  if (!state.ok()) {
    return makeError(state.error().kind, ports_.aws_auth.describe() + ": " + state.error().message);
  }
  AwsAuthOwnership out;
  for (const auto kind : {core::PrincipalKind::kUser, core::PrincipalKind::kRole}) {
    const steps::KindState& k = state->of(kind);
    const core::RuleSet& set = kind == core::PrincipalKind::kRole ? rules.roles : rules.users;
    const steps::Classification c =
        steps::classifyEntries(k.entries, k.ownership.owned, set, options_.adopt_matching_entries);
    for (const auto& [arn, indexes] : c.managed_by_arn) out.ours.push_back({kind, std::string(arn)});
    out.hand_written.insert(out.hand_written.end(), c.unmanaged_arns.begin(), c.unmanaged_arns.end());
  }
  std::sort(out.hand_written.begin(), out.hand_written.end());
  return out;
}

CycleReport Controller::migrate(const IamInputs& iam, const AccessEntriesInputs& in,
                                const AccessEntriesReport& pass, const AwsAuthOwnership& owned,
                                std::optional<AwsAuthObject> obj) {
  // Read after this cycle's calls: only an entry that exists now, exactly as desired, replaces a mapping.
  auto now = ports_.access_entries->listEntries();
  if (!now.ok()) {
    CycleReport r;
    r.error = makeError(now.error().kind,
                        "listing the access entries again before migrating aws-auth: " + now.error().message);
    spdlog::warn("{}; aws-auth left as it is this cycle", r.error->message);
    return r;
  }
  const std::vector<std::string> removable =
      core::awsAuthArnsToRemove(owned.ours, *pass.plan, *now, access_backend_->coreOptions(in));
  std::set<std::string> gone;
  for (const auto& arn : removable) gone.insert(steps::lowerArn(arn));
  std::set<std::string> kept;  // our aws-auth entries that stay, lower-cased
  for (const auto& m : owned.ours) {
    if (gone.count(steps::lowerArn(m.arn)) == 0) kept.insert(steps::lowerArn(m.arn));
  }
  // Reconcile sees only the principals that keep a managed entry: it adds nothing, removes the migrated.
  IamInputs cut;
  cut.rules = iam.rules;
  cut.failures = iam.failures;
  cut.snapshot.frozen_accounts = iam.snapshot.frozen_accounts;
  for (const auto& u : iam.snapshot.users) {
    if (kept.count(steps::lowerArn(u.arn)) > 0) cut.snapshot.users.push_back(u);
  }
  for (const auto& r : iam.snapshot.roles) {
    if (kept.count(steps::lowerArn(steps::roleArnWithoutPath(r.arn))) > 0) cut.snapshot.roles.push_back(r);
  }
  for (const auto& arn : removable) {
    spdlog::info("{}: {} now has its access entry; removing our aws-auth entry (migration)",
                 ports_.aws_auth.describe(), arn);
  }
  CycleReport r = reconcileAndWrite(cut, std::move(obj));
  quiet_.reset();  // the idle-cycle memory is the aws-auth backend's, keyed by the full listing
  if (r.wrote || (options_.dry_run && !r.changes.empty())) r.migrated = removable;
  return r;
}

void Controller::noteAccessPoliciesIgnored(const core::RulesConfig& rules) {
  if (access_policies_noted_) return;
  for (const core::RuleSet* set : {&rules.users, &rules.roles}) {
    for (const auto& rule : set->rules()) {
      if (rule.access_policies.empty()) continue;
      spdlog::info(
          "rules in {} name accessPolicies; the aws-auth backend ignores them (they apply with --backend "
          "access-entries or auto on an API or API_AND_CONFIG_MAP cluster)",
          ports_.rules.describe());
      access_policies_noted_ = true;
      return;
    }
  }
}

}  // namespace aar::controller
