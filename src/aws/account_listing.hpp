// listAccount: everything the controller needs from one AWS account's IAM in one cycle (rules v2), as one
// all-or-nothing result.
//
// Calls, in order, on the given IamClient (so with the credentials it was built with: the controller's own
// for its own account, an AssumeRole provider's for another):
//   1. ListUsers (every page) — always;
//   2. ListRoles (every page) — only when AccountQuery::roles (some mapRoles rule exists);
//   3. GetGroup (every page) — once per DISTINCT name in AccountQuery::groups, in their first-seen order.
// A group that does not exist (IAM NoSuchEntity) is not a failure: its GroupListing says missing, with IAM's
// reason, so that the controller reports the rule naming it as invalid. Any other failure of any call fails
// the whole listing (the first error, naming the operation and page; nothing partial is returned), so the
// controller leaves that account's entries as they are for the cycle.
//
// Thread-safety: as IamClient (the listing may run on several threads with different clients).
#pragma once

#include <string>
#include <vector>

#include "aws/iam_client.hpp"
#include "core/result.hpp"
#include "core/rules.hpp"

namespace aar::aws {

struct AccountQuery {
  bool roles = false;               // list roles (ListRoles)
  std::vector<std::string> groups;  // IAM group names to list the members of (duplicates ignored)
};

struct GroupListing {
  std::string name;
  bool missing = false;                  // IAM answered NoSuchEntity
  std::string missing_reason;            // the kNotFound message when missing, naming the group
  std::vector<std::string> member_arns;  // the members' user ARNs, in IAM's order; empty when missing
};

struct AccountListing {
  std::vector<IamUser> users;        // ARN, UserId, path, name
  std::vector<IamRole> roles;        // ARN with its path, RoleId, path, name; empty unless asked
  std::vector<GroupListing> groups;  // one per distinct asked group, in first-seen order
};

Result<AccountListing> listAccount(IamClient& iam, const AccountQuery& query);

// The listing as rule-matching principals: users (arn, id, iam_groups = the non-missing listed groups the
// user is a member of, matched by ARN) and roles (arn, id; iam_groups empty).
std::vector<core::Principal> userPrincipals(const AccountListing& listing);
std::vector<core::Principal> rolePrincipals(const AccountListing& listing);

}  // namespace aar::aws
