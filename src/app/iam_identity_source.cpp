#include "app/iam_identity_source.hpp"

namespace aar::app {

Result<std::vector<std::string>> IamIdentitySource::listUserArns() {
  auto users = iam_.listUsers();
  if (!users.ok()) return users.error();
  std::vector<std::string> arns;
  arns.reserve(users->size());
  for (auto& u : *users) arns.push_back(std::move(u.arn));
  return arns;
}

Result<controller::AccountListing> IamIdentitySource::listAccount(const controller::AccountQuery& query) {
  if (query.account || query.roles || !query.iam_groups.empty()) {
    return makeError(ErrorKind::kUnavailable,
                     "role rules, iamGroup rules and further accounts are not wired to IAM in this build");
  }
  auto users = iam_.listUsers();
  if (!users.ok()) return users.error();
  controller::AccountListing listing;
  listing.users.reserve(users->size());
  for (auto& u : *users) listing.users.push_back(core::Principal{std::move(u.arn), {}, {}});
  return listing;
}

}  // namespace aar::app
