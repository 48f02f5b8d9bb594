#include "aws/account_listing.hpp"

#include <unordered_map>
#include <unordered_set>

namespace aar::aws {

Result<AccountListing> listAccount(IamClient& iam, const AccountQuery& query) {
  AccountListing out;
  auto users = iam.listUsers();
  if (!users.ok()) return users.error();
  out.users = std::move(*users);
  if (query.roles) {
    auto roles = iam.listRoles();
    if (!roles.ok()) return roles.error();
    out.roles = std::move(*roles);
  }
  std::unordered_set<std::string> seen;
  for (const auto& name : query.groups) {
    if (!seen.insert(name).second) continue;
    GroupListing group;
    group.name = name;
    auto members = iam.listGroupMembers(name);
    if (members.ok()) {
      group.member_arns.reserve(members->size());
      for (auto& m : *members) group.member_arns.push_back(std::move(m.arn));
    } else if (members.error().kind == ErrorKind::kNotFound) {
      group.missing = true;
      group.missing_reason = members.error().message;
    } else {
      return members.error();
    }
    out.groups.push_back(std::move(group));
  }
  return out;
}

std::vector<core::Principal> userPrincipals(const AccountListing& listing) {
  std::unordered_map<std::string, std::vector<std::string>> groups_of;  // user ARN → group names
  for (const auto& g : listing.groups) {
    for (const auto& arn : g.member_arns) groups_of[arn].push_back(g.name);
  }
  std::vector<core::Principal> out;
  out.reserve(listing.users.size());
  for (const auto& u : listing.users) {
    core::Principal p{u.arn, u.id, {}};
    if (auto it = groups_of.find(u.arn); it != groups_of.end()) p.iam_groups = it->second;
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<core::Principal> rolePrincipals(const AccountListing& listing) {
  std::vector<core::Principal> out;
  out.reserve(listing.roles.size());
  for (const auto& r : listing.roles) out.push_back(core::Principal{r.arn, r.id, {}});
  return out;
}

}  // namespace aar::aws
