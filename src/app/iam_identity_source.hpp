// IamIdentitySource: the controller's IdentitySource on aws::IamClient (every page of ListUsers, or an error
// whose message carries the AWS error code and request id).
//
// Thread-safety: as IamClient.
#pragma once

#include "aws/iam_client.hpp"
#include "controller/ports.hpp"

namespace aar::app {

class IamIdentitySource final : public controller::IdentitySource {
 public:
  explicit IamIdentitySource(aws::IamClient& iam) : iam_(iam) {}
  Result<std::vector<std::string>> listUserArns() override;

 private:
  aws::IamClient& iam_;
};

}  // namespace aar::app
