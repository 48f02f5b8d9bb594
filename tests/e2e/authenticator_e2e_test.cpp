// Issue #10, problem 1, against the real binary: aws-auth as aws-iam-authenticator reads it (field names
// case-insensitive, ARNs lower-cased, the last entry for an ARN in force), checked after `run --once` with
// the model of the authenticator (tests/core/authenticator_model.hpp), not with our own codec.
#include <map>
#include <string>

#include "core/authenticator_model.hpp"
#include "e2e/harness.hpp"

namespace aar::e2e {
namespace {

using testmodel::AuthenticatorView;
using testmodel::Mapping;

class AuthenticatorE2eTest : public E2eTest {
 protected:
  // What aws-iam-authenticator reads from aws-auth as it is now on the API server.
  AuthenticatorView authenticatorView() const {
    std::map<std::string, std::string> data;
    for (const char* key : {"mapUsers", "mapRoles", "mapAccounts"}) {
      if (std::string value = awsAuthData(key); !value.empty()) data[key] = value;
    }
    return testmodel::readAwsAuth(data);
  }
};

// Before: the hand-written `UserArn:` entry looked to us like one without an ARN, so a rule matching every
// user added `user/dave -> system:masters` after it, and the authenticator gave dave system:masters.
TEST_F(AuthenticatorE2eTest, AHandWrittenUserArnEntryKeepsItsRestrictionWhenARuleMatchesEveryone) {
  putRules("- arnRegex: ^arn:aws:iam::1234567890:user/\n  username: everyone\n  groups: [system:masters]\n");
  putAwsAuth({{"mapUsers",
               "- UserArn: arn:aws:iam::1234567890:user/Dave\n  username: dave-view\n  groups: [view]\n"}});
  iam_->addUser("dave");
  iam_->addUser("erin");
  ChildProcess* c = nullptr;
  ASSERT_EQ(runToExit({"--once"}, {}, std::chrono::seconds(20), &c), 0) << (c ? c->err() : "");

  const AuthenticatorView view = authenticatorView();
  EXPECT_TRUE(view.parsed());
  ASSERT_TRUE(view.users.count(userArn("dave"))) << awsAuthData("mapUsers");
  EXPECT_EQ(view.users.at(userArn("dave")),
            (Mapping{"arn:aws:iam::1234567890:user/Dave", "dave-view", {"view"}}))
      << awsAuthData("mapUsers");
  // The rule still applies to everyone else.
  ASSERT_TRUE(view.users.count(userArn("erin"))) << awsAuthData("mapUsers");
  EXPECT_EQ(view.users.at(userArn("erin")), (Mapping{userArn("erin"), "everyone", {"system:masters"}}));
  EXPECT_EQ(view.users.size(), 2u) << awsAuthData("mapUsers");
}

// aws-iam-authenticator's fixture pkg/mapper/configmap/yaml/aws-auth-crazy-case-keys.yaml (with the fake
// IAM's account). Before: a rule mapping the account's users to `viewers` added a managed entry for
// user/admin after the hand-written one, and the break-glass admin was downgraded to viewers.
TEST_F(AuthenticatorE2eTest, TheCrazyCaseKeysAdminKeepsSystemMasters) {
  const std::string roles =
      "- rOlEaRn: arn:aws:iam::1234567890:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6\n"
      "  UsErNaMe: system:node:{{EC2PrivateDNSName}}\n"
      "  gRoUpS:\n"
      "    - system:bootstrappers\n"
      "    - system:nodes\n";
  const std::string users =
      "- uSeRaRn: arn:aws:iam::1234567890:user/admin\n"
      "  UsErNaMe: admin\n"
      "  gRoUpS:\n"
      "    - system:masters\n";
  putAwsAuth({{"mapRoles", roles}, {"mapUsers", users}, {"mapAccounts", "- 1234567890\n"}});
  putRules("- arnRegex: ^arn:aws:iam::1234567890:user/\n  username: viewer\n  groups: [viewers]\n");
  iam_->addUser("admin");
  iam_->addUser("bob");
  ChildProcess* c = nullptr;
  ASSERT_EQ(runToExit({"--once"}, {}, std::chrono::seconds(20), &c), 0) << (c ? c->err() : "");

  const AuthenticatorView view = authenticatorView();
  EXPECT_TRUE(view.parsed());
  ASSERT_TRUE(view.users.count(userArn("admin"))) << awsAuthData("mapUsers");
  EXPECT_EQ(view.users.at(userArn("admin")), (Mapping{userArn("admin"), "admin", {"system:masters"}}))
      << awsAuthData("mapUsers");
  ASSERT_TRUE(view.users.count(userArn("bob"))) << awsAuthData("mapUsers");
  EXPECT_EQ(view.users.at(userArn("bob")), (Mapping{userArn("bob"), "viewer", {"viewers"}}));
  EXPECT_EQ(awsAuthData("mapRoles"), roles);  // carried over byte-identical
  EXPECT_EQ(view.roles.size(), 1u);
}

}  // namespace
}  // namespace aar::e2e
