#include "app/iam_identity_source.hpp"

#include <utility>

#include "aws/credentials_assume_role.hpp"
#include "aws/endpoints.hpp"

namespace aar::app {

AccountClientFactory makeAssumeRoleAccountFactory(AwsClients& clients,
                                                  controller::ControllerMetrics& metrics) {
  return [&clients, &metrics](const core::AccountSpec& spec) -> Result<std::unique_ptr<AccountClient>> {
    auto env = aws::processEnv();
    auto endpoint = aws::iamEndpoint(env);
    if (!endpoint.ok()) return endpoint.error();
    auto hook = [&metrics](std::string_view operation, std::string_view code) {
      metrics.iamRequest(operation, code);
    };
    aws::AssumeRoleOptions ar;
    ar.role_arn = spec.role_arn;
    ar.external_id = spec.external_id;
    ar.on_request = hook;
    auto credentials = aws::makeAssumeRoleCredentialsProvider(env, *clients.credentials_http,
                                                              *clients.credentials, std::move(ar));
    if (!credentials.ok()) return credentials.error();
    auto out = std::make_unique<AccountClient>();
    out->credentials = std::move(credentials.value());
    aws::IamClientOptions options;
    options.endpoint = *endpoint;
    options.on_request = hook;
    out->iam = std::make_unique<aws::IamClient>(*clients.http, *out->credentials, options);
    return out;
  };
}

controller::AccountListing toControllerListing(aws::AccountListing listing) {
  controller::AccountListing out;
  out.users.reserve(listing.users.size());
  for (auto& u : listing.users) out.users.push_back(core::Principal{std::move(u.arn), std::move(u.id), {}});
  out.roles.reserve(listing.roles.size());
  for (auto& r : listing.roles) out.roles.push_back(core::Principal{std::move(r.arn), std::move(r.id), {}});
  for (auto& g : listing.groups) {
    if (g.missing) {
      out.missing_groups.push_back(std::move(g.name));
    } else {
      out.group_members[g.name] = std::move(g.member_arns);
    }
  }
  return out;
}

Result<std::vector<std::string>> IamIdentitySource::listUserArns() {
  auto users = own_.listUsers();
  if (!users.ok()) return users.error();
  std::vector<std::string> arns;
  arns.reserve(users->size());
  for (auto& u : *users) arns.push_back(std::move(u.arn));
  return arns;
}

Result<aws::IamClient*> IamIdentitySource::clientFor(const core::AccountSpec& spec) {
  auto it = accounts_.find(spec.account_id);
  if (it != accounts_.end() &&
      (it->second.spec.role_arn != spec.role_arn || it->second.spec.external_id != spec.external_id)) {
    accounts_.erase(it);  // the spec changed: new credentials
    it = accounts_.end();
  }
  if (it == accounts_.end()) {
    if (!factory_) {
      return makeError(ErrorKind::kUnavailable,
                       "no AssumeRole client is configured for account " + spec.account_id);
    }
    auto client = factory_(spec);
    if (!client.ok()) return client.error();
    it = accounts_.emplace(spec.account_id, Held{spec, std::move(client.value()), false}).first;
  }
  it->second.used = true;
  return it->second.client->iam.get();
}

Result<controller::AccountListing> IamIdentitySource::listAccount(const controller::AccountQuery& query) {
  aws::IamClient* iam = &own_;
  if (query.account) {
    auto client = clientFor(*query.account);
    if (!client.ok()) return client.error();
    iam = *client;
  } else {
    // A new cycle: forget the accounts the previous cycle did not ask for (they left the rules).
    std::erase_if(accounts_, [](const auto& kv) { return !kv.second.used; });
    for (auto& [id, held] : accounts_) held.used = false;
  }
  auto listing = aws::listAccount(*iam, aws::AccountQuery{query.roles, query.iam_groups});
  if (!listing.ok()) return listing.error();
  return toControllerListing(std::move(listing.value()));
}

}  // namespace aar::app
