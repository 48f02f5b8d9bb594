#include "core/access_entries.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/reconcile_steps.hpp"

namespace aar::core {
namespace {

using Op = AccessEntryOperation;

using reconcile_steps::arnAccount;

// One principal, however its ARN is spelt: lower-cased, a role without its path (an entry someone made with
// the path still names that role, so it still counts as theirs). IAM names are unique regardless of case.
std::string entryKey(std::string_view arn) { return reconcile_steps::lowerArn(accessEntryPrincipalArn(arn)); }

// EKS compares groups and namespaces as sets.
std::vector<std::string> asSet(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

AccessPolicy normalized(AccessPolicy p) {
  p.scope.namespaces = asSet(std::move(p.scope.namespaces));
  return p;
}

std::vector<AccessPolicy> normalized(const std::vector<AccessPolicy>& policies) {
  std::vector<AccessPolicy> out;
  out.reserve(policies.size());
  for (const AccessPolicy& p : policies) out.push_back(normalized(p));
  std::sort(out.begin(), out.end(),
            [](const AccessPolicy& a, const AccessPolicy& b) { return a.policy_arn < b.policy_arn; });
  return out;
}

bool isOurs(const ExistingAccessEntry& e, const AccessEntryOptions& options) {
  if (e.type != kStandardAccessEntryType) return false;
  const auto it = e.tags.find(kAccessEntryOwnerTag);
  return it != e.tags.end() && it->second == options.owner_id;
}

std::string tagOf(const ExistingAccessEntry& e, const char* key) {
  const auto it = e.tags.find(key);
  return it == e.tags.end() ? std::string{} : it->second;
}

bool sameEntry(const ExistingAccessEntry& e, const DesiredAccessEntry& d) {
  return e.username == d.username && asSet(e.kubernetes_groups) == d.kubernetes_groups &&
         normalized(e.policies) == d.policies;
}

// What the rules and IAM say, before looking at the existing entries.
struct Candidates {
  std::map<std::string, DesiredAccessEntry> by_key;  // lower-cased EKS ARN -> entry.
  std::set<std::string> listed;                      // every listed principal (non-frozen), lower-cased.
  std::set<std::string> failed;                      // matched, but the username did not expand.
  std::vector<ShadowedMatch> shadowed;
  std::vector<ExpansionFailure> expansion_failures;
};

void addCandidates(PrincipalKind kind, const RuleSet& rules, const std::vector<Principal>& principals,
                   const std::set<std::string, std::less<>>& frozen, Candidates& out) {
  for (const Principal& p : principals) {
    if (frozen.contains(arnAccount(p.arn))) continue;
    const std::string eks_arn = accessEntryPrincipalArn(p.arn);
    std::string key = entryKey(p.arn);
    out.listed.insert(key);
    // As for aws-auth: service-linked roles, malformed role ARNs and ARNs IAM cannot have never match.
    if (!reconcile_steps::kindSpec(kind).eligible(p.arn)) continue;
    const std::optional<RuleMatch> m = rules.match(p);
    if (!m) continue;
    if (out.by_key.contains(key) || out.failed.contains(key)) continue;  // listed twice: the first decides.
    const std::vector<size_t> all = rules.matches(p);
    if (all.size() > 1) {
      out.shadowed.push_back(ShadowedMatch{eks_arn, m->rule_index, {all.begin() + 1, all.end()}, kind});
    }
    std::string reason = m->expansion_error;
    if (reason.empty() && hasReservedUsernamePrefix(m->username)) {
      reason = "username \"" + m->username + "\" starts with a prefix EKS reserves";
    }
    if (!reason.empty()) {
      out.failed.insert(key);
      out.expansion_failures.push_back(ExpansionFailure{kind, eks_arn, m->rule_index, std::move(reason)});
      continue;
    }
    const Rule& rule = rules.rules()[m->rule_index];
    out.by_key.emplace(std::move(key),
                       DesiredAccessEntry{kind, eks_arn, p.id, m->rule_index, m->username, asSet(rule.groups),
                                          normalized(rule.access_policies)});
  }
}

Op deleteOp(const ExistingAccessEntry& e, Op::DeleteReason reason) {
  Op op;
  op.kind = Op::Kind::kDeleteAccessEntry;
  op.principal_arn = e.principal_arn;
  op.reason = reason;
  return op;
}

Op associateOp(const std::string& arn, const AccessPolicy& policy) {
  Op op;
  op.kind = Op::Kind::kAssociateAccessPolicy;
  op.principal_arn = arn;
  op.policy = policy;
  return op;
}

// Phases in execution order; within each, sorted by principal ARN then policy ARN.
struct Phases {
  std::vector<Op> recreate_deletes, creates, associates, updates, disassociates, deletes;
};

void sortPhase(std::vector<Op>& ops) {
  std::stable_sort(ops.begin(), ops.end(), [](const Op& a, const Op& b) {
    return std::tie(a.principal_arn, a.policy.policy_arn) < std::tie(b.principal_arn, b.policy.policy_arn);
  });
}

// Brings one existing entry of ours in step with `d` (no recreate).
void planInStep(const ExistingAccessEntry& e, const DesiredAccessEntry& d, Phases& phases) {
  if (e.username != d.username || asSet(e.kubernetes_groups) != d.kubernetes_groups) {
    Op op;
    op.kind = Op::Kind::kUpdateAccessEntry;
    op.principal_arn = e.principal_arn;
    op.username = d.username;
    op.kubernetes_groups = d.kubernetes_groups;
    phases.updates.push_back(std::move(op));
  }
  const std::vector<AccessPolicy> have = normalized(e.policies);
  for (const AccessPolicy& want : d.policies) {
    const auto it = std::find_if(have.begin(), have.end(),
                                 [&](const AccessPolicy& h) { return h.policy_arn == want.policy_arn; });
    if (it == have.end() || it->scope != want.scope)
      phases.associates.push_back(associateOp(e.principal_arn, want));
  }
  for (const AccessPolicy& h : have) {
    const bool wanted = std::any_of(d.policies.begin(), d.policies.end(),
                                    [&](const AccessPolicy& w) { return w.policy_arn == h.policy_arn; });
    if (wanted) continue;
    Op op;
    op.kind = Op::Kind::kDisassociateAccessPolicy;
    op.principal_arn = e.principal_arn;
    op.policy.policy_arn = h.policy_arn;
    phases.disassociates.push_back(std::move(op));
  }
}

void planCreate(const DesiredAccessEntry& d, const AccessEntryOptions& options, Phases& phases) {
  Op op;
  op.kind = Op::Kind::kCreateAccessEntry;
  op.principal_arn = d.principal_arn;
  op.username = d.username;
  op.kubernetes_groups = d.kubernetes_groups;
  op.tags[kAccessEntryOwnerTag] = options.owner_id;
  if (!d.principal_id.empty()) op.tags[kAccessEntryPrincipalIdTag] = d.principal_id;
  phases.creates.push_back(std::move(op));
  for (const AccessPolicy& p : d.policies) phases.associates.push_back(associateOp(d.principal_arn, p));
}

std::string joinErrors(const std::vector<AccessEntryRuleError>& errors) {
  std::string out = "rules invalid for the access-entries backend:";
  for (const AccessEntryRuleError& e : errors) out += "\n  " + e.message;
  return out;
}

}  // namespace

const char* authenticationModeName(AuthenticationMode mode) {
  switch (mode) {
    case AuthenticationMode::kConfigMap:
      return "CONFIG_MAP";
    case AuthenticationMode::kApiAndConfigMap:
      return "API_AND_CONFIG_MAP";
    case AuthenticationMode::kApi:
      return "API";
  }
  return "unknown";
}

const char* accessEntryOperationName(Op::Kind kind) {
  switch (kind) {
    case Op::Kind::kCreateAccessEntry:
      return "CreateAccessEntry";
    case Op::Kind::kAssociateAccessPolicy:
      return "AssociateAccessPolicy";
    case Op::Kind::kUpdateAccessEntry:
      return "UpdateAccessEntry";
    case Op::Kind::kDisassociateAccessPolicy:
      return "DisassociateAccessPolicy";
    case Op::Kind::kDeleteAccessEntry:
      return "DeleteAccessEntry";
  }
  return "unknown";
}

const char* deleteReasonName(Op::DeleteReason reason) {
  switch (reason) {
    case Op::DeleteReason::kNone:
      return "none";
    case Op::DeleteReason::kPrincipalRecreated:
      return "principal-recreated";
    case Op::DeleteReason::kPrincipalGone:
      return "principal-gone";
    case Op::DeleteReason::kNoRuleMatches:
      return "no-rule-matches";
    case Op::DeleteReason::kNotEligible:
      return "not-eligible";
    case Op::DeleteReason::kDuplicate:
      return "duplicate";
  }
  return "unknown";
}

const char* skipReasonName(SkippedPrincipal::Reason reason) {
  switch (reason) {
    case SkippedPrincipal::Reason::kForeignEntry:
      return "foreign-entry";
    case SkippedPrincipal::Reason::kHandWrittenMapping:
      return "hand-written-aws-auth-mapping";
    case SkippedPrincipal::Reason::kOverLimit:
      return "over-limit";
  }
  return "unknown";
}

// The same reading of ARNs as reconcile's, for both backends: a role ARN is
// arn:<partition>:iam::<account>:role/...
std::string accessEntryPrincipalArn(std::string_view iam_arn) {
  return reconcile_steps::roleArnWithoutPath(iam_arn);
}

bool isServiceLinkedRoleArn(std::string_view iam_arn) {
  return reconcile_steps::isServiceLinkedRole(iam_arn);
}

AccessEntryTargets accessEntryTargets(const RulesConfig& rules, const IamSnapshot& iam) {
  const std::set<std::string, std::less<>> frozen(iam.frozen_accounts.begin(), iam.frozen_accounts.end());
  Candidates c;
  addCandidates(PrincipalKind::kUser, rules.users, iam.users, frozen, c);
  addCandidates(PrincipalKind::kRole, rules.roles, iam.roles, frozen, c);
  AccessEntryTargets t;
  for (auto& [key, d] : c.by_key) t.entries.push_back(std::move(d));
  std::sort(t.entries.begin(), t.entries.end(), [](const DesiredAccessEntry& a, const DesiredAccessEntry& b) {
    return a.principal_arn < b.principal_arn;
  });
  t.listed.assign(c.listed.begin(), c.listed.end());
  t.failed.assign(c.failed.begin(), c.failed.end());
  t.shadowed = std::move(c.shadowed);
  std::sort(t.shadowed.begin(), t.shadowed.end(),
            [](const ShadowedMatch& a, const ShadowedMatch& b) { return a.arn < b.arn; });
  t.expansion_failures = std::move(c.expansion_failures);
  std::sort(t.expansion_failures.begin(), t.expansion_failures.end(),
            [](const ExpansionFailure& a, const ExpansionFailure& b) {
              return std::tie(a.principal, a.arn) < std::tie(b.principal, b.arn);
            });
  t.frozen_accounts = iam.frozen_accounts;
  return t;
}

Result<AccessEntryPlan> planAccessEntries(const RulesConfig& rules, const IamSnapshot& iam,
                                          const std::vector<ExistingAccessEntry>& existing,
                                          const AccessEntryOptions& options) {
  const std::vector<AccessEntryRuleError> errors = validateAccessEntryRules(rules, options);
  if (!errors.empty()) return makeError(ErrorKind::kInvalidArgument, joinErrors(errors));
  return planAccessEntries(accessEntryTargets(rules, iam), existing, options);
}

namespace {

// What planAccessEntries works on, step by step.
struct PlanState {
  std::set<std::string, std::less<>> frozen;
  std::set<std::string> listed;
  std::vector<DesiredAccessEntry> wanted;  // the targets, normalised (by_key points into it).
  std::map<std::string, const DesiredAccessEntry*> by_key;  // entry key -> the entry we want for it.
  std::set<std::string> foreign_keys;                       // keys with an entry that is not ours.
  std::vector<const ExistingAccessEntry*> ours;             // sorted by ARN.
  std::set<std::string> ineligible;                         // keys a rule matches that get no entry from us.
  std::set<std::string> claimed;                            // keys whose existing entry of ours is kept.
  std::vector<const DesiredAccessEntry*> to_create;
  Phases phases;
};

// The entries we want, groups and policies compared as EKS compares them (sets), whoever built the targets;
// a frozen account's are left out (its entries stay as they are).
void collectWanted(const AccessEntryTargets& targets, PlanState& st) {
  st.frozen = {targets.frozen_accounts.begin(), targets.frozen_accounts.end()};
  st.listed = {targets.listed.begin(), targets.listed.end()};
  st.wanted = targets.entries;
  for (DesiredAccessEntry& d : st.wanted) {
    if (st.frozen.contains(arnAccount(d.principal_arn))) continue;
    d.kubernetes_groups = asSet(std::move(d.kubernetes_groups));
    d.policies = normalized(d.policies);
    st.by_key.emplace(entryKey(d.principal_arn), &d);  // the first of two spellings decides.
  }
  st.ineligible = {targets.failed.begin(), targets.failed.end()};
}

// Splits the existing entries into ours (sorted by ARN) and the keys of everyone else's.
void splitOwnership(const std::vector<ExistingAccessEntry>& existing, const AccessEntryOptions& options,
                    PlanState& st, AccessEntryPlan& plan) {
  for (const ExistingAccessEntry& e : existing) {
    if (isOurs(e, options)) {
      st.ours.push_back(&e);
    } else {
      ++plan.foreign_count;
      st.foreign_keys.insert(entryKey(e.principal_arn));
    }
  }
  std::sort(st.ours.begin(), st.ours.end(), [](const ExistingAccessEntry* a, const ExistingAccessEntry* b) {
    return a->principal_arn < b->principal_arn;
  });
}

// Principals that must not get an entry from us although a rule matches them: one with a foreign entry, and
// (API_AND_CONFIG_MAP) one with a hand-written aws-auth mapping.
void dropIneligible(const AccessEntryOptions& options, PlanState& st, AccessEntryPlan& plan) {
  std::set<std::string> hand_written;
  if (options.mode == AuthenticationMode::kApiAndConfigMap) {
    for (const std::string& arn : options.hand_written_aws_auth_arns) hand_written.insert(entryKey(arn));
  }
  for (auto it = st.by_key.begin(); it != st.by_key.end();) {
    const bool foreign = st.foreign_keys.contains(it->first);
    if (!foreign && !hand_written.contains(it->first)) {
      ++it;
      continue;
    }
    const DesiredAccessEntry& d = *it->second;
    plan.skipped.push_back(SkippedPrincipal{
        d.principal, d.principal_arn, d.rule_index,
        foreign ? SkippedPrincipal::Reason::kForeignEntry : SkippedPrincipal::Reason::kHandWrittenMapping});
    st.ineligible.insert(it->first);
    it = st.by_key.erase(it);
  }
}

// Each entry of ours: kept as it is (frozen account), brought in step, recreated (the principal's id changed)
// or deleted (with the reason). Then every wanted entry without one of ours is to be created.
void planExisting(PlanState& st, AccessEntryPlan& plan) {
  for (const ExistingAccessEntry* e : st.ours) {
    if (st.frozen.contains(arnAccount(e->principal_arn))) {
      ++plan.frozen_kept;
      continue;
    }
    std::string key = entryKey(e->principal_arn);
    const auto it = st.by_key.find(key);
    if (it == st.by_key.end() || st.claimed.contains(key)) {
      Op::DeleteReason reason = Op::DeleteReason::kPrincipalGone;
      if (st.claimed.contains(key)) {
        reason = Op::DeleteReason::kDuplicate;
      } else if (st.ineligible.contains(key)) {
        reason = Op::DeleteReason::kNotEligible;
      } else if (st.listed.contains(key)) {
        reason = Op::DeleteReason::kNoRuleMatches;
      }
      st.phases.deletes.push_back(deleteOp(*e, reason));
      continue;
    }
    st.claimed.insert(std::move(key));
    const DesiredAccessEntry& d = *it->second;
    if (!d.principal_id.empty() && tagOf(*e, kAccessEntryPrincipalIdTag) != d.principal_id) {
      st.phases.recreate_deletes.push_back(deleteOp(*e, Op::DeleteReason::kPrincipalRecreated));
      st.to_create.push_back(&d);
      continue;
    }
    planInStep(*e, d, st.phases);
  }
  for (const auto& [key, d] : st.by_key) {
    if (!st.claimed.contains(key)) st.to_create.push_back(d);
  }
  std::sort(st.to_create.begin(), st.to_create.end(),
            [](const DesiredAccessEntry* a, const DesiredAccessEntry* b) {
              return a->principal_arn < b->principal_arn;
            });
}

// The creates, up to EKS's limit. Creates run before the deletes of the last phase, so only the entries
// deleted in the first phase (recreations) make room.
void planCreates(size_t existing_count, const AccessEntryOptions& options, PlanState& st,
                 AccessEntryPlan& plan) {
  const size_t present = existing_count - st.phases.recreate_deletes.size();
  const size_t room = options.max_entries > present ? options.max_entries - present : 0;
  for (const DesiredAccessEntry* d : st.to_create) {
    if (st.phases.creates.size() < room) {
      planCreate(*d, options, st.phases);
    } else {
      ++plan.not_created_over_limit;
      plan.skipped.push_back(SkippedPrincipal{d->principal, d->principal_arn, d->rule_index,
                                              SkippedPrincipal::Reason::kOverLimit});
    }
  }
}

// The phases in their order (make before break), and the plan's sorted reports.
void assemble(const AccessEntryTargets& targets, PlanState& st, AccessEntryPlan& plan) {
  for (std::vector<Op>* phase : {&st.phases.recreate_deletes, &st.phases.creates, &st.phases.associates,
                                 &st.phases.updates, &st.phases.disassociates, &st.phases.deletes}) {
    sortPhase(*phase);
    std::move(phase->begin(), phase->end(), std::back_inserter(plan.operations));
  }
  for (const auto& [key, d] : st.by_key) plan.desired.push_back(*d);
  std::sort(plan.desired.begin(), plan.desired.end(),
            [](const DesiredAccessEntry& a, const DesiredAccessEntry& b) {
              return a.principal_arn < b.principal_arn;
            });
  std::sort(
      plan.skipped.begin(), plan.skipped.end(),
      [](const SkippedPrincipal& a, const SkippedPrincipal& b) { return a.principal_arn < b.principal_arn; });
  plan.managed_count = plan.desired.size() - plan.not_created_over_limit + plan.frozen_kept;
  plan.shadowed = targets.shadowed;
  plan.expansion_failures = targets.expansion_failures;
}

}  // namespace

Result<AccessEntryPlan> planAccessEntries(const AccessEntryTargets& targets,
                                          const std::vector<ExistingAccessEntry>& existing,
                                          const AccessEntryOptions& options) {
  if (options.mode == AuthenticationMode::kConfigMap) {
    return makeError(
        ErrorKind::kInvalidArgument,
        "the cluster's authentication mode is CONFIG_MAP: EKS ignores access entries; switch it to "
        "API_AND_CONFIG_MAP, or use --backend aws-auth (or auto)");
  }
  PlanState st;
  AccessEntryPlan plan;
  collectWanted(targets, st);
  splitOwnership(existing, options, st, plan);
  dropIneligible(options, st, plan);
  planExisting(st, plan);
  planCreates(existing.size(), options, st, plan);
  assemble(targets, st, plan);
  return plan;
}

std::vector<std::string> awsAuthArnsToRemove(const std::vector<AwsAuthMapping>& ours,
                                             const AccessEntryPlan& plan,
                                             const std::vector<ExistingAccessEntry>& entries_now,
                                             const AccessEntryOptions& options) {
  std::map<std::string, const DesiredAccessEntry*> desired;
  for (const DesiredAccessEntry& d : plan.desired) desired.emplace(entryKey(d.principal_arn), &d);
  std::map<std::string, const ExistingAccessEntry*> present;
  for (const ExistingAccessEntry& e : entries_now) {
    if (isOurs(e, options)) present.emplace(entryKey(e.principal_arn), &e);
  }
  std::vector<std::string> out;
  for (const AwsAuthMapping& m : ours) {
    const std::string key = entryKey(m.arn);
    const auto d = desired.find(key);
    const auto e = present.find(key);
    if (d != desired.end() && e != present.end() && sameEntry(*e->second, *d->second)) out.push_back(m.arn);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace aar::core
