// IamIdentitySource: the controller's PrincipalSource on IAM (rules v2).
//
// The own account (AccountQuery::account == nullopt) is listed with the controller's own IamClient; each
// further account (an AccountSpec of the rules' `accounts` key) with an IamClient whose credentials come from
// STS AssumeRole on the spec's role ARN (and external id). Both go through aws::listAccount: ListUsers
// always, ListRoles only when the query asks for roles, GetGroup once per asked group; so a 2019-format rules
// ConfigMap (users only, no groups, no accounts) makes exactly one paginated ListUsers per cycle, as before.
//
// Per-account clients are built lazily by an AccountClientFactory on the first query for that account and
// kept while the spec (role ARN and external id) stays the same, so the cached AssumeRole credentials are
// reused until shortly before they expire. A changed spec rebuilds the client. The controller queries the
// own account first in every cycle, then each listed account; so each own-account query drops the clients
// that the previous cycle did not query: an account removed from the rules is forgotten a cycle later.
//
// Errors: as aws::listAccount (the first failed call, naming operation and page, AWS code and request id), or
// the factory's error (bad STS endpoint). AssumeRole failures surface from the first IAM call of that account
// (IamClient asks its credentials provider before signing).
//
// Thread-safety: not safe for concurrent use; the controller calls it from its one cycle thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/aws_wiring.hpp"
#include "aws/account_listing.hpp"
#include "aws/credentials.hpp"
#include "aws/iam_client.hpp"
#include "controller/controller_metrics.hpp"
#include "controller/ports.hpp"
#include "core/result.hpp"
#include "core/rules.hpp"

namespace aar::app {

// The IAM client of one further account and the credentials provider it signs with (declared first so it
// is destroyed last).
struct AccountClient {
  std::unique_ptr<aws::CredentialsProvider> credentials;
  std::unique_ptr<aws::IamClient> iam;
};

// Builds the client of one further account. An error when it cannot be built (bad endpoint configuration).
using AccountClientFactory = std::function<Result<std::unique_ptr<AccountClient>>(const core::AccountSpec&)>;

// The production factory: Cached(AssumeRole(spec.role_arn, spec.external_id)) signed with `clients`'
// credentials over clients.credentials_http, and an IamClient on clients.http for the IAM endpoint of the
// environment. IAM requests and AssumeRole requests are counted in aws_auth_refresher_iam_requests_total
// (operation "AssumeRole" for the latter). `clients` and `metrics` must outlive the factory and its clients.
AccountClientFactory makeAssumeRoleAccountFactory(AwsClients& clients,
                                                  controller::ControllerMetrics& metrics);

class IamIdentitySource final : public controller::PrincipalSource {
 public:
  // own: the own account's client. factory: may be empty when no further account is ever queried (a query for
  // one then fails with kUnavailable). `own` must outlive the source.
  explicit IamIdentitySource(aws::IamClient& own, AccountClientFactory factory = {})
      : own_(own), factory_(std::move(factory)) {}
  Result<controller::AccountListing> listAccount(const controller::AccountQuery& query) override;
  // The ARN of every IAM user of the own account (bench/e2e/iam_floor measures this).
  Result<std::vector<std::string>> listUserArns();

  // How many further-account clients are held now (tests).
  std::size_t accountClientCount() const { return accounts_.size(); }

 private:
  struct Held {
    core::AccountSpec spec;
    std::unique_ptr<AccountClient> client;
    bool used = false;  // queried since the last own-account query
  };
  Result<aws::IamClient*> clientFor(const core::AccountSpec& spec);

  aws::IamClient& own_;
  AccountClientFactory factory_;
  std::map<std::string, Held> accounts_;  // by account id
};

// The controller's view of one aws::listAccount result: users and roles as principals (arn, id), member ARNs
// of every existing group, the names of missing groups.
controller::AccountListing toControllerListing(aws::AccountListing listing);

}  // namespace aar::app
