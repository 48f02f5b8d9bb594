// IamIdentitySource: the controller's PrincipalSource on aws::IamClient, for now the controller's own
// account's IAM users only (every page of ListUsers, or an error whose message carries the AWS error code and
// request id). A query for roles, IAM groups or a further account is answered with a kUnavailable error (so
// the cycle fails and writes nothing) until the app wires aws::listAccount and AssumeRole (issue #12).
//
// Thread-safety: as IamClient.
#pragma once

#include <string>
#include <vector>

#include "aws/iam_client.hpp"
#include "controller/ports.hpp"

namespace aar::app {

class IamIdentitySource final : public controller::PrincipalSource {
 public:
  explicit IamIdentitySource(aws::IamClient& iam) : iam_(iam) {}
  Result<controller::AccountListing> listAccount(const controller::AccountQuery& query) override;
  // The ARN of every IAM user of the own account (bench/e2e/iam_floor measures this).
  Result<std::vector<std::string>> listUserArns();

 private:
  aws::IamClient& iam_;
};

}  // namespace aar::app
