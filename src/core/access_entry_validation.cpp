// validateAccessEntryRules and hasReservedUsernamePrefix (declared in access_entries.hpp): what EKS would
// refuse in an access entry, found before any call so that a bad rule never half-applies.
#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/access_entries.hpp"

namespace aar::core {
namespace {

// EKS: "The name can't start with system:, eks:, aws:, amazon:, or iam:".
constexpr std::array<std::string_view, 5> kReservedUsernamePrefixes = {
    "system:", "eks:", "aws:", "amazon:", "iam:"};
constexpr std::string_view kSystemGroupPrefix = "system:";
constexpr std::string_view kClusterAdminPolicy = "AmazonEKSClusterAdminPolicy";
constexpr std::string_view kAdminPolicy = "AmazonEKSAdminPolicy";
constexpr std::string_view kClusterAdminPolicyArn =
    "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

bool startsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

// The name of a policy ARN (the text after the last '/'), compared without case: refusing a spelling EKS
// might not accept costs nothing, missing one that it accepts could grant cluster-admin.
bool policyNamed(std::string_view policy_arn, std::string_view name) {
  const size_t slash = policy_arn.rfind('/');
  const std::string_view last = slash == std::string_view::npos ? policy_arn : policy_arn.substr(slash + 1);
  return last.size() == name.size() && startsWithIgnoringCase(last, name);
}

// The text a username template starts with before its first ${...} reference ($$ is a literal $): no capture
// can change it, so a reserved prefix in it is the rule's own doing.
std::string literalStart(std::string_view username) {
  std::string out;
  for (size_t i = 0; i < username.size(); ++i) {
    if (username[i] != '$') {
      out += username[i];
      continue;
    }
    if (i + 1 < username.size() && username[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    break;  // a reference (or a lone $, which rules parsing refuses): the rest depends on the principal.
  }
  return out;
}

std::string where(PrincipalKind kind, size_t index, const Rule& rule) {
  std::string s = kind == PrincipalKind::kRole ? "mapRoles" : "mapUsers";
  s += " rule " + std::to_string(index);
  if (rule.line > 0) s += " (line " + std::to_string(rule.line) + ")";
  return s;
}

void checkRule(PrincipalKind kind, size_t index, const Rule& rule, const AccessEntryOptions& options,
               std::vector<AccessEntryRuleError>& errors) {
  auto add = [&](std::string what) {
    errors.push_back(AccessEntryRuleError{kind, index, where(kind, index, rule) + ": " + std::move(what)});
  };
  for (const std::string& group : rule.groups) {
    if (group.starts_with(kSystemGroupPrefix)) {
      add("groups: \"" + group +
          "\" starts with system:, which EKS rejects in an access entry's kubernetesGroups; use an access "
          "policy instead, e.g. accessPolicies: [{policyArn: " +
          std::string(kClusterAdminPolicyArn) + ", accessScope: {type: cluster}}]");
    }
  }
  const std::string start = literalStart(rule.username);
  if (hasReservedUsernamePrefix(start)) {
    add("username: \"" + rule.username +
        "\" starts with a prefix EKS reserves (system:, eks:, aws:, amazon:, iam:); choose another username");
  }
  std::set<std::string> seen;
  for (const AccessPolicy& policy : rule.access_policies) {
    if (!seen.insert(policy.policy_arn).second) {
      add("accessPolicies: policyArn " + policy.policy_arn +
          " appears twice (EKS associates a policy once per entry; give it one accessScope)");
    }
    if (options.allow_cluster_admin_policy) continue;
    if (policyNamed(policy.policy_arn, kClusterAdminPolicy)) {
      add("accessPolicies: " + policy.policy_arn +
          " grants cluster-admin; refused unless the controller runs with --allow-cluster-admin-policy");
    } else if (policyNamed(policy.policy_arn, kAdminPolicy) &&
               policy.scope.type == AccessScope::Type::kCluster) {
      add("accessPolicies: " + policy.policy_arn +
          " with accessScope type cluster grants admin on every namespace; scope it to namespaces, or run "
          "the "
          "controller with --allow-cluster-admin-policy");
    }
  }
}

}  // namespace

bool hasReservedUsernamePrefix(std::string_view username) {
  return std::any_of(kReservedUsernamePrefixes.begin(), kReservedUsernamePrefixes.end(),
                     [&](std::string_view prefix) { return startsWithIgnoringCase(username, prefix); });
}

std::vector<AccessEntryRuleError> validateAccessEntryRules(const RulesConfig& rules,
                                                           const AccessEntryOptions& options) {
  std::vector<AccessEntryRuleError> errors;
  for (size_t i = 0; i < rules.users.rules().size(); ++i) {
    checkRule(PrincipalKind::kUser, i, rules.users.rules()[i], options, errors);
  }
  for (size_t i = 0; i < rules.roles.rules().size(); ++i) {
    checkRule(PrincipalKind::kRole, i, rules.roles.rules()[i], options, errors);
  }
  return errors;
}

std::vector<AccessEntryRuleError> validateAccessEntryRule(PrincipalKind principal, size_t index,
                                                          const Rule& rule,
                                                          const AccessEntryOptions& options) {
  std::vector<AccessEntryRuleError> errors;
  checkRule(principal, index, rule, options, errors);
  return errors;
}

}  // namespace aar::core
