// `plan --backend access-entries`: the EKS calls `run --backend access-entries` would make, computed offline
// from files (issue #13). The aws-auth plan is unchanged (plan_command.hpp).
//
//   aws-auth-refresher plan --backend access-entries --rules FILE --arns FILE --access-entries FILE
//       [--owner-id TEXT] [--allow-cluster-admin-policy] [--output text|json]
//
// --access-entries: the cluster's existing access entries as JSON: a list with one object per entry, each
// what `aws eks describe-access-entry` prints, plus the `associatedAccessPolicies` list that `aws eks
// list-associated-access-policies` prints for it (and, optionally, a top-level `tags` map that replaces
// accessEntry.tags):
//   [{"accessEntry": {"principalArn": "arn:aws:iam::111122223333:user/alice", "type": "STANDARD",
//                     "username": "alice", "kubernetesGroups": ["dev"],
//                     "tags": {"aws-auth-refresher/owner": "aws-auth-refresher"}},
//     "associatedAccessPolicies": [{"policyArn":
//     "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
//                                   "accessScope": {"type": "namespace", "namespaces": ["dev"]}}]}]
// principalArn and type are required (an entry whose type we cannot see is never guessed to be STANDARD);
// other members of the EKS answers are ignored. `[]` is a cluster without entries.
// --arns: IAM user and role ARNs, one per line (users :user/, roles :role/ with their path). Their unique ids
// are unknown offline, so the plan cannot see a deleted-and-recreated principal (`run` does).
// The cluster is taken to be in mode API. Output: core::renderAccessEntryPlanText (default) or, with
// --output json, core::renderAccessEntryPlanJson.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/access_entries.hpp"
#include "core/result.hpp"

namespace aar::app {

// The --access-entries file. kInvalidArgument naming `path` and the item (0-based) for anything malformed.
Result<std::vector<core::ExistingAccessEntry>> parseAccessEntriesFile(std::string_view text,
                                                                      const std::string& path);

struct AccessEntriesPlanInput {
  std::string rules_text;
  std::string rules_path;
  std::vector<std::string> arns;  // IAM users and roles
  std::string entries_text;
  std::string entries_path;
  std::string owner_id = core::kDefaultAccessEntryOwnerId;
  bool allow_cluster_admin_policy = false;
  bool json = false;
};

// The rendered plan. kInvalidArgument for bad input (rules, the entries file, an ARN that is neither a user
// nor a role, rules this backend refuses), naming the file.
Result<std::string> planAccessEntriesOffline(const AccessEntriesPlanInput& in);

}  // namespace aar::app
