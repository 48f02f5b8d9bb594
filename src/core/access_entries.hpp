// Access entries (issue #13): the EKS calls that make a cluster's access entries what the rules say, as a
// pure function beside reconcile() (which does the same for kube-system/aws-auth). No I/O, no clock, no
// globals; the EKS client lists and describes the entries, the controller executes the plan in order.
//
// Contract of planAccessEntries (docs/access-entries.md):
//   - Desired: one entry per matching principal. Users match RulesConfig::users, roles RulesConfig::roles;
//   the
//     first matching rule gives username, kubernetesGroups and access policies. A role's entry is keyed by
//     its ARN WITHOUT the path (arn:aws:iam::1:role/aws-reserved/x/Name -> arn:aws:iam::1:role/Name), as for
//     aws-auth; service-linked roles (path /aws-service-role/) never match. ARNs are compared lower-cased.
//   - Ours iff type == STANDARD and tag kOwnerTag equals options.owner_id. Every other entry (the cluster
//     creator's, node and Fargate entries, hand-made ones, another owner's) is never touched, and a principal
//     that has one gets nothing from us (AccessEntryPlan::skipped, reason kForeignEntry).
//   - Operations, in this order, each phase sorted by principal ARN (then policy ARN):
//       1. DeleteAccessEntry of ours whose kPrincipalIdTag differs from the principal's current id (the IAM
//          principal was deleted and recreated; EKS bound the old entry to the old id, so it grants nothing);
//       2. CreateAccessEntry (type STANDARD, username, groups, tags owner and principal-id);
//       3. AssociateAccessPolicy: new entries' policies, missing associations, and changed scopes (EKS sets
//       the
//          scope of an already associated policy);
//       4. UpdateAccessEntry: ONE call when username or groups (compared as sets) differ;
//       5. DisassociateAccessPolicy: associations of ours that the rule no longer names;
//       6. DeleteAccessEntry of ours whose principal is gone, matches no rule, or must not have one.
//     Make before break: nothing is taken away before what replaces it is granted (phase 1 deletes only
//     entries that already grant nothing).
//   - Frozen accounts (IamSnapshot::frozen_accounts): ours there are left exactly as they are, and the
//     principals listed there are ignored.
//   - Mode kApiAndConfigMap: a principal with a hand-written aws-auth mapping gets no entry (an access entry
//     takes precedence over aws-auth and could downgrade that person); ours for it is deleted.
//   - The EKS limit (options.max_entries, 3,000): creates that would exceed it are not planned; they are
//     counted in not_created_over_limit and listed in skipped (kOverLimit). Deletes run last, so the next
//     cycle creates what this one could not.
//   - Steady state: when every entry is as it should be, operations is empty.
//   - Errors (nothing planned): kInvalidArgument when validateAccessEntryRules reports anything (the message
//     lists every error) or when options.mode is kConfigMap (the cluster ignores access entries).
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/reconcile.hpp"
#include "core/result.hpp"
#include "core/rules.hpp"

namespace aar::core {

inline constexpr char kAccessEntryOwnerTag[] = "aws-auth-refresher/owner";
inline constexpr char kAccessEntryPrincipalIdTag[] = "aws-auth-refresher/principal-id";
inline constexpr char kDefaultAccessEntryOwnerId[] = "aws-auth-refresher";
inline constexpr char kStandardAccessEntryType[] = "STANDARD";
inline constexpr size_t kMaxAccessEntriesPerCluster = 3000;  // EKS's quota per cluster.

// The cluster's accessConfig.authenticationMode (DescribeCluster).
enum class AuthenticationMode { kConfigMap, kApiAndConfigMap, kApi };
const char* authenticationModeName(AuthenticationMode mode);  // "CONFIG_MAP", "API_AND_CONFIG_MAP", "API"

// An access entry as EKS describes it (DescribeAccessEntry + ListAssociatedAccessPolicies).
struct ExistingAccessEntry {
  std::string principal_arn;
  std::string type = kStandardAccessEntryType;  // STANDARD, EC2_LINUX, EC2_WINDOWS, FARGATE_LINUX, ...
  std::string username;
  std::vector<std::string> kubernetes_groups;
  std::map<std::string, std::string> tags;
  std::vector<AccessPolicy> policies;  // the associated policies with their scopes.
};

struct AccessEntryOptions {
  // Entries whose kAccessEntryOwnerTag equals this are ours. Default: "aws-auth-refresher".
  std::string owner_id = kDefaultAccessEntryOwnerId;
  // Allow AmazonEKSClusterAdminPolicy, and AmazonEKSAdminPolicy with scope cluster. Default: false.
  bool allow_cluster_admin_policy = false;
  AuthenticationMode mode = AuthenticationMode::kApi;
  // kApiAndConfigMap only: ARNs (users and roles, any case) of the hand-written aws-auth entries (those not
  // managed by us). Their principals get no access entry. Ignored in mode kApi. Default: empty.
  std::vector<std::string> hand_written_aws_auth_arns;
  // Entries the cluster may hold in all (ours and others). Default: 3,000, EKS's quota.
  size_t max_entries = kMaxAccessEntriesPerCluster;
};

// One configuration error of the rules for this backend.
struct AccessEntryRuleError {
  PrincipalKind principal = PrincipalKind::kUser;  // mapUsers or mapRoles.
  size_t rule_index = 0;
  std::string message;  // names the key, the rule (0-based), its line when known, the field and the fix.
};

// What EKS would refuse, or what needs --allow-cluster-admin-policy, checked before any call. Empty: valid.
//   - a group starting with "system:" (EKS rejects it in kubernetesGroups; use an access policy instead);
//   - AmazonEKSClusterAdminPolicy, or AmazonEKSAdminPolicy with scope cluster, unless
//   allow_cluster_admin_policy;
//   - a username whose literal start (before any ${...}) starts with system:, eks:, aws:, amazon: or iam:
//     (any case; EKS reserves them); an expanded username is checked again per principal by the plan;
//   - the same policyArn twice in one rule (EKS keeps one association per policy).
// In rule order, mapUsers first.
std::vector<AccessEntryRuleError> validateAccessEntryRules(const RulesConfig& rules,
                                                           const AccessEntryOptions& options);
// The same checks for one rule (`index` and `principal` name it in messages).
std::vector<AccessEntryRuleError> validateAccessEntryRule(PrincipalKind principal, size_t index,
                                                          const Rule& rule,
                                                          const AccessEntryOptions& options);

// True when `username` starts with a prefix EKS reserves (system:, eks:, aws:, amazon:, iam:; any case).
bool hasReservedUsernamePrefix(std::string_view username);

// The principal ARN EKS keys an entry by: a role's ARN without its path; any other ARN unchanged.
std::string accessEntryPrincipalArn(std::string_view iam_arn);
// True for a role under the path /aws-service-role/ (service-linked roles never match a rule).
bool isServiceLinkedRoleArn(std::string_view iam_arn);

// One entry that must exist.
struct DesiredAccessEntry {
  PrincipalKind principal = PrincipalKind::kUser;
  std::string principal_arn;  // as EKS wants it (roles without path).
  std::string principal_id;   // IAM's unique id; empty when unknown (plan).
  size_t rule_index = 0;
  std::string username;
  std::vector<std::string> kubernetes_groups;  // sorted, distinct.
  std::vector<AccessPolicy> policies;          // sorted by policy ARN; namespaces sorted, distinct.
};

struct AccessEntryOperation {
  enum class Kind {
    kCreateAccessEntry,
    kAssociateAccessPolicy,
    kUpdateAccessEntry,
    kDisassociateAccessPolicy,
    kDeleteAccessEntry,
  };
  // Why an entry is deleted.
  enum class DeleteReason {
    kNone,
    kPrincipalRecreated,  // principal-id tag differs: delete, then create anew.
    kPrincipalGone,       // the IAM principal no longer exists.
    kNoRuleMatches,       // it exists but no rule matches it (or it is a service-linked role).
    kNotEligible,  // a rule matches, but it must not have an entry: hand-written aws-auth mapping, a foreign
                   // entry for the same principal, or a username that did not expand.
    kDuplicate,    // a second entry of ours for the same principal (ARNs differing in case).
  };
  Kind kind = Kind::kCreateAccessEntry;
  std::string principal_arn;
  std::string username;                        // create, update.
  std::vector<std::string> kubernetes_groups;  // create, update.
  std::map<std::string, std::string> tags;     // create.
  AccessPolicy policy;                         // associate (with scope), disassociate (policy_arn only).
  DeleteReason reason = DeleteReason::kNone;   // delete.
};
const char* accessEntryOperationName(AccessEntryOperation::Kind kind);    // "CreateAccessEntry", ...
const char* deleteReasonName(AccessEntryOperation::DeleteReason reason);  // "principal-recreated", ...

// A matching principal that gets no entry (this cycle).
struct SkippedPrincipal {
  enum class Reason {
    kForeignEntry,        // an entry that is not ours exists for it.
    kHandWrittenMapping,  // kApiAndConfigMap: a hand-written aws-auth entry maps it.
    kOverLimit,           // the cluster's entry limit.
  };
  PrincipalKind principal = PrincipalKind::kUser;
  std::string principal_arn;  // as EKS keys it.
  size_t rule_index = 0;
  Reason reason = Reason::kForeignEntry;
};
const char* skipReasonName(SkippedPrincipal::Reason reason);  // "foreign-entry", ...

struct AccessEntryPlan {
  std::vector<DesiredAccessEntry> desired;           // the entries that must be ours; sorted by ARN.
  std::vector<AccessEntryOperation> operations;      // in execution order; empty: nothing to do.
  std::vector<SkippedPrincipal> skipped;             // sorted by ARN.
  std::vector<ShadowedMatch> shadowed;               // principals several rules match; sorted by ARN.
  std::vector<ExpansionFailure> expansion_failures;  // incl. expanded usernames with a reserved prefix.
  size_t not_created_over_limit = 0;
  size_t foreign_count = 0;  // existing entries that are not ours.
  size_t frozen_kept = 0;    // ours in frozen accounts, left as they are.
  // Entries of ours once every call succeeded: desired ones created or kept, plus frozen_kept (the
  // "entries managed" metric).
  size_t managed_count = 0;
};

Result<AccessEntryPlan> planAccessEntries(const RulesConfig& rules, const IamSnapshot& iam,
                                          const std::vector<ExistingAccessEntry>& existing,
                                          const AccessEntryOptions& options);

// The two steps planAccessEntries takes after validating the rules (each tested on its own, so that the diff
// can be tested with hand-made targets whatever the rules parser supports).
//
// Step 1, what the rules and IAM say: the entry each matching principal must have (no existing entries).
struct AccessEntryTargets {
  std::vector<DesiredAccessEntry> entries;  // sorted by ARN; one per principal (ARNs compared lower-cased).
  std::vector<std::string> listed;  // lower-cased EKS ARNs of every listed principal outside frozen accounts.
  std::vector<std::string> failed;  // lower-cased EKS ARNs of matched principals whose username failed.
  std::vector<ShadowedMatch> shadowed;
  std::vector<ExpansionFailure> expansion_failures;
  std::vector<std::string> frozen_accounts;  // as in IamSnapshot.
};
AccessEntryTargets accessEntryTargets(const RulesConfig& rules, const IamSnapshot& iam);
// Step 2, the calls that make `existing` what `targets` says (the contract above). kInvalidArgument only for
// mode kConfigMap.
Result<AccessEntryPlan> planAccessEntries(const AccessEntryTargets& targets,
                                          const std::vector<ExistingAccessEntry>& existing,
                                          const AccessEntryOptions& options);

// Migration (kApiAndConfigMap): one of OUR aws-auth entries (mapUsers or mapRoles, as reconcile manages
// them).
struct AwsAuthMapping {
  PrincipalKind principal = PrincipalKind::kUser;
  std::string arn;  // userarn / rolearn (roles: without path).
};

// Which of our aws-auth entries can leave aws-auth now: those whose principal has, in `entries_now` (read
// after this cycle's calls), an entry of ours that is exactly the desired one of `plan` (username, groups,
// policies and scopes). Make before break: an entry still missing a policy keeps its aws-auth mapping. The
// ARNs as given in `ours`, sorted, distinct.
std::vector<std::string> awsAuthArnsToRemove(const std::vector<AwsAuthMapping>& ours,
                                             const AccessEntryPlan& plan,
                                             const std::vector<ExistingAccessEntry>& entries_now,
                                             const AccessEntryOptions& options);

}  // namespace aar::core
