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

}  // namespace aar::app
