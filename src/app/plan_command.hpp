// The `plan` subcommand: reconcile offline, from files, and print what `run` would write.
//
//   aws-auth-refresher plan --rules FILE --aws-auth FILE --arns FILE [--output yaml|diff|json]
//
//   --rules     the aws-auth-refresher ConfigMap manifest, or just its mapUsers value (a YAML list of rules)
//   --aws-auth  the kube-system/aws-auth ConfigMap manifest, as `kubectl get -o yaml` prints it
//   --arns      the IAM user ARNs that exist, one per line; blank lines and lines starting with # are ignored
//   --output    yaml (default): the new aws-auth manifest, every field we do not own kept;
//               diff: a line diff of data.mapUsers, then the changes, shadowed matches and skipped ARNs;
//               json: {changed, changes, shadowed, skipped_unmanaged, managed_count, desired{data,
//               annotations}}
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
