// The text and JSON renderings of an AccessEntryPlan, for `run --dry-run` and `plan --backend
// access-entries`.
//
// Text: one EKS call per line, in execution order, then `#` lines for what was not planned:
//   CreateAccessEntry arn:aws:iam::1:user/a type=STANDARD username=a groups=[g]
//   tags={aws-auth-refresher/owner=aws-auth-refresher,aws-auth-refresher/principal-id=AIDA1}
//   AssociateAccessPolicy arn:aws:iam::1:user/a
//   policy=arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy scope=namespace:[dev,prod]
//   UpdateAccessEntry arn:aws:iam::1:user/b username=b groups=[g,h]
//   DisassociateAccessPolicy arn:aws:iam::1:user/b policy=arn:...
//   DeleteAccessEntry arn:aws:iam::1:user/c reason=principal-gone
//   # skipped arn:aws:iam::1:user/d (mapUsers rule 0): foreign-entry
// A value with a character outside [A-Za-z0-9 : / . _ @ + - $ % { }] (a space, a comma, a bracket, `=`, a
// quote...) is written as a JSON string, so every line splits unambiguously on spaces. An empty plan renders
// as the single line "# no calls: every access entry is as it should be".
//
// JSON: one object {"operations": [...], "skipped": [...], "shadowed": [...], "expansionFailures": [...],
// "notCreatedOverLimit": N, "foreignEntries": N, "frozenKept": N, "managedEntries": N}; each operation holds
// "operation" and the EKS request's own field names (principalArn, type, username, kubernetesGroups, tags,
// policyArn, accessScope {type: cluster|namespace, namespaces}), and a delete its "reason". Strings are
// escaped per RFC 8259.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "core/access_entries.hpp"

namespace aar::core {

std::string renderAccessEntryPlanText(const AccessEntryPlan& plan);
std::string renderAccessEntryPlanJson(const AccessEntryPlan& plan);

}  // namespace aar::core
