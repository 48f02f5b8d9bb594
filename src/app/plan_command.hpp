// The `plan` subcommand: reconcile offline, from files, and print what `run` would write.
//
//   aws-auth-refresher plan --rules FILE --aws-auth FILE --arns FILE [--group-members FILE]
//                           [--output yaml|diff|json] [--adopt-matching-entries]
//
//   --rules     the aws-auth-refresher ConfigMap manifest (keys mapUsers, mapRoles, accounts; see
//               core::extractRulesText), or just its mapUsers value (a YAML list of rules)
//   --aws-auth  the kube-system/aws-auth ConfigMap manifest, as `kubectl get -o yaml` prints it
//   --arns      the IAM user and role ARNs that exist, one per line; blank lines and lines starting with #
//   are
//               ignored. An ARN containing ":role/" is a role (give it with its path, as ListRoles returns
//               it; it is matched against mapRoles rules); any other is a user. Offline: the ARNs are taken
//               as they are, no account of `accounts` is contacted and none is frozen
//   --group-members  IAM group membership for iamGroup rules: lines "<group> <user ARN>" (blank and #
//               lines ignored). Without it no user is in any group
//   --output    yaml (default): the new aws-auth manifest, every field we do not own kept;
//               diff: a line diff of data.mapUsers (and of data.mapRoles when role rules exist or it
//               changes), then the changes, shadowed matches, expansion failures and skipped ARNs;
//               json: {changed, changes[{kind, principal: user|role, arn, ...}], shadowed,
//               expansion_failures, skipped_unmanaged, adopted, managed_count, managed_users, managed_roles,
//               desired{data, annotations}}
//
//   aws-auth-refresher plan --backend access-entries --rules FILE --arns FILE --access-entries FILE
//       [--owner-id TEXT] [--allow-cluster-admin-policy] [--output text|json]
//   prints the EKS calls instead (the file's shape: access_entries_plan.hpp and `plan --help`).
//
// Exit codes: 0 success (whether or not there are changes), 1 runtime failure (e.g. the result would exceed a
// Kubernetes size limit), 2 bad input, with a message on stderr naming the file and, for rules, the rule
// index, field and line.
#pragma once

#include <string>

#include "core/reconcile.hpp"

namespace CLI {
class App;
}

namespace aar::app {

// Registers `plan` on the root command. When it is selected and has run, *exit_code holds its result
// (0 success, 1 runtime failure, 2 bad input).
void addPlanCommand(CLI::App& root, int* exit_code);

// A readable line diff of `before` and `after` ("-" removed, "+" added, " " kept), without headers.
std::string lineDiff(const std::string& before, const std::string& after);

}  // namespace aar::app
