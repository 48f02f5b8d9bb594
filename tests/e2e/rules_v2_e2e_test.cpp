// Issue #12 against the real binary: role rules (SSO roles, written without their path, next to a
// hand-written node role that stays byte-identical), IAM-group rules, per-user names from captures, and a
// second account reached through STS AssumeRole whose failure freezes only its own entries. Results are read
// back through the model of aws-iam-authenticator (tests/core/authenticator_model.hpp).
#include <chrono>
#include <map>
#include <string>

#include "core/authenticator_model.hpp"
#include "e2e/harness.hpp"
#include "fakes/aws/fake_sts.hpp"

namespace aar::e2e {
namespace {

using namespace std::chrono_literals;
using testmodel::AuthenticatorView;
using testmodel::Mapping;

// A node role as aws-auth-refresher re-emits a list (block style): when mapRoles is re-emitted, unmanaged
// entries keep their fields and values but not their layout (docs/core.md), so only this layout stays
// byte-identical.
const std::string kNodeRoles =
    "- rolearn: arn:aws:iam::1234567890:role/eks-nodes-NodeInstanceRole-1ABCDEF\n"
    "  username: system:node:{{EC2PrivateDNSName}}\n"
    "  groups:\n"
    "  - system:bootstrappers\n"
    "  - system:nodes\n";
const Mapping kNodeMapping{"arn:aws:iam::1234567890:role/eks-nodes-NodeInstanceRole-1ABCDEF",
                           "system:node:{{EC2PrivateDNSName}}",
                           {"system:bootstrappers", "system:nodes"}};
const std::string kSsoPath = "/aws-reserved/sso.amazonaws.com/eu-west-1/";
const std::string kSsoRole = "AWSReservedSSO_Admin_0123456789abcdef";

class RulesV2E2eTest : public E2eTest {
 protected:
  AuthenticatorView view() const {
    std::map<std::string, std::string> data;
    for (const char* key : {"mapUsers", "mapRoles"}) {
      if (std::string value = awsAuthData(key); !value.empty()) data[key] = value;
    }
    return testmodel::readAwsAuth(data);
  }
  static std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  bool hasUser(const std::string& arn) const { return view().users.count(lower(arn)) > 0; }
  std::string metricsText(const ChildProcess& c) const {
    const int port = loggedPort(c, "/metrics");
    return port > 0 ? httpGet(port, "/metrics").second : "";
  }
};

TEST_F(RulesV2E2eTest, AnSsoRoleIsMappedWithoutItsPathNextToAnUntouchedNodeRoleAndRemovedWithIt) {
  putAwsAuth({{"mapRoles", kNodeRoles}});
  putRulesData({{"mapRoles",
                 "- arnRegex: ^arn:aws:iam::1234567890:role/aws-reserved/sso.amazonaws.com/[a-z0-9-]+/"
                 "AWSReservedSSO_Admin_[0-9a-f]{16}$\n"
                 "  username: sso-admin:{{SessionName}}\n"
                 "  groups: [system:masters]\n"}});
  iam_->addRole("eks-nodes-NodeInstanceRole-1ABCDEF");
  iam_->addRole(kSsoRole, kSsoPath);
  // A service-linked role the pattern cannot see anyway, and one in /aws-service-role/ never matches.
  iam_->addRole("AWSServiceRoleForAmazonEKS", "/aws-service-role/eks.amazonaws.com/");

  ChildProcess& c = start({"--refresh-interval", "200ms"});
  const std::string sso_arn = "arn:aws:iam::1234567890:role/" + kSsoRole;  // no path
  ASSERT_TRUE(eventually([&] { return view().roles.count(lower(sso_arn)) > 0; }, 15s))
      << c.err() << awsAuthData("mapRoles");
  const AuthenticatorView v = view();
  EXPECT_TRUE(v.parsed());
  EXPECT_EQ(v.roles.at(lower(sso_arn)), (Mapping{sso_arn, "sso-admin:{{SessionName}}", {"system:masters"}}));
  EXPECT_EQ(v.roles.size(), 2u) << awsAuthData("mapRoles");
  EXPECT_EQ(awsAuthData("mapRoles").find("aws-reserved"), std::string::npos) << awsAuthData("mapRoles");
  // The hand-written node role is still there, byte for byte (after the managed entries).
  const std::string roles = awsAuthData("mapRoles");
  ASSERT_GE(roles.size(), kNodeRoles.size());
  EXPECT_EQ(roles.substr(roles.size() - kNodeRoles.size()), kNodeRoles) << roles;
  EXPECT_EQ(v.roles.at(lower(kNodeMapping.arn)), kNodeMapping);
  EXPECT_NE((*awsAuth())["metadata"]["annotations"].value("aws-auth-refresher/managed-roles", ""), "");

  ASSERT_TRUE(iam_->removeRole(kSsoRole));
  ASSERT_TRUE(eventually([&] { return view().roles.count(lower(sso_arn)) == 0; }, 15s))
      << c.err() << awsAuthData("mapRoles");
  EXPECT_EQ(awsAuthData("mapRoles"), kNodeRoles);
  EXPECT_EQ(view().roles.size(), 1u);
  EXPECT_EQ(view().roles.at(lower(kNodeMapping.arn)), kNodeMapping);
}

TEST_F(RulesV2E2eTest, AGroupMemberGetsAnEntryAndLosesItWhenRemovedFromTheGroup) {
  iam_->addUser("alice");
  iam_->addUser("bob");
  iam_->addGroup("eks-admins");
  ASSERT_TRUE(iam_->addGroupMember("eks-admins", "alice"));
  putRulesData({{"mapUsers", "- iamGroup: eks-admins\n  username: eks-admin\n  groups: [system:masters]\n"}});

  ChildProcess& c = start({"--refresh-interval", "200ms"});
  ASSERT_TRUE(eventually([&] { return hasUser(userArn("alice")); }, 15s))
      << c.err() << awsAuthData("mapUsers");
  EXPECT_EQ(view().users.at(userArn("alice")), (Mapping{userArn("alice"), "eks-admin", {"system:masters"}}));
  EXPECT_FALSE(hasUser(userArn("bob")));

  ASSERT_TRUE(iam_->removeGroupMember("eks-admins", "alice"));
  ASSERT_TRUE(eventually([&] { return !hasUser(userArn("alice")); }, 15s))
      << c.err() << awsAuthData("mapUsers");
  EXPECT_TRUE(view().users.empty()) << awsAuthData("mapUsers");
}

TEST_F(RulesV2E2eTest, ARuleNamingAMissingGroupIsReportedAndWritesNothingNew) {
  iam_->addUser("alice");
  iam_->addUser("bob");
  iam_->addGroup("eks-admins");
  ASSERT_TRUE(iam_->addGroupMember("eks-admins", "alice"));
  putRulesData({{"mapUsers", "- iamGroup: eks-admins\n  username: eks-admin\n  groups: [system:masters]\n"}});
  ChildProcess& c = start({"--refresh-interval", "200ms"});
  ASSERT_TRUE(eventually([&] { return hasUser(userArn("alice")); }, 15s)) << c.err();
  const std::string before = awsAuthData("mapUsers");

  // A new rule for bob, in the same ConfigMap as a rule naming a group that does not exist: the new rules are
  // invalid, so neither takes effect.
  putRulesData({{"mapUsers",
                 "- iamGroup: eks-admins\n  username: eks-admin\n  groups: [system:masters]\n"
                 "- arnRegex: ^arn:aws:iam::1234567890:user/bob$\n  username: bob\n  groups: [dev]\n"
                 "- iamGroup: no-such-group\n  username: ghost\n  groups: [dev]\n"}});
  ASSERT_TRUE(eventually([&] { return !warningEvents("InvalidRules", "aws-auth-refresher").empty(); }, 15s))
      << c.err();
  const std::string message = warningEvents("InvalidRules", "aws-auth-refresher").front().value("note", "");
  EXPECT_NE(message.find("no-such-group"), std::string::npos) << message;
  ASSERT_TRUE(eventually([&] {
    return metricsText(c).find("aws_auth_refresher_config_valid 0\n") != std::string::npos;
  })) << metricsText(c);
  // Several more cycles: still nothing new.
  const size_t lists = listUsersRequests();
  ASSERT_TRUE(eventually([&] { return listUsersRequests() >= lists + 3; }, 15s));
  EXPECT_EQ(awsAuthData("mapUsers"), before);
  EXPECT_FALSE(hasUser(userArn("bob")));
}

TEST_F(RulesV2E2eTest, APerUserNameComesFromACaptureGroup) {
  iam_->addUser("vault-alice.smith@example.com-readonly-1700000000-a1b2c3");
  iam_->addUser("vault-bob-readonly-1700000001-d4e5f6");
  iam_->addUser("vault-carol-admin-1700000002-ffffff");  // not a readonly user
  putRulesData(
      {{"mapUsers",
        "- arnRegex: ^arn:aws:iam::1234567890:user/vault-(?P<who>[a-z0-9.@-]+?)-readonly-\\d+-\\w+$\n"
        "  username: \"vault:${who}\"\n"
        "  groups: [view]\n"}});
  ChildProcess* c = nullptr;
  ASSERT_EQ(runToExit({"--once"}, {}, 20s, &c), 0) << (c ? c->err() : "");
  const AuthenticatorView v = view();
  EXPECT_TRUE(v.parsed());
  const std::string alice = userArn("vault-alice.smith@example.com-readonly-1700000000-a1b2c3");
  const std::string bob = userArn("vault-bob-readonly-1700000001-d4e5f6");
  ASSERT_TRUE(v.users.count(lower(alice))) << awsAuthData("mapUsers");
  ASSERT_TRUE(v.users.count(lower(bob))) << awsAuthData("mapUsers");
  EXPECT_EQ(v.users.at(lower(alice)), (Mapping{alice, "vault:alice.smith@example.com", {"view"}}));
  EXPECT_EQ(v.users.at(lower(bob)), (Mapping{bob, "vault:bob", {"view"}}));
  EXPECT_EQ(v.users.size(), 2u) << awsAuthData("mapUsers");
}

class TwoAccountsE2eTest : public RulesV2E2eTest {
 protected:
  static constexpr char kOther[] = "222233334444";
  const std::string role_arn_ = std::string("arn:aws:iam::") + kOther + ":role/aws-auth-refresher-reader";

  void SetUp() override {
    RulesV2E2eTest::SetUp();
    fakes::FakeSts::Options o;
    o.iam = iam_.get();
    sts_ = std::make_unique<fakes::FakeSts>(o);
    ASSERT_GT(sts_->start(), 0);
    sts_->requireExternalId(role_arn_, "ext-42");
  }
  void TearDown() override {
    RulesV2E2eTest::TearDown();  // the children first: they talk to STS
    if (sts_) sts_->stop();
  }
  std::vector<std::string> env() const { return {"AWS_ENDPOINT_URL_STS=" + sts_->url()}; }
  std::string otherArn(const std::string& name) const { return iam_->userArn(name, "/", kOther); }

  std::unique_ptr<fakes::FakeSts> sts_;
};

TEST_F(TwoAccountsE2eTest, AFailingSecondAccountIsFrozenWhileTheFirstIsAppliedAndThenRecovers) {
  iam_->addUser("dev-a1");
  iam_->addUser("dev-b1", "/", kOther);
  putRulesData(
      {{"mapUsers", "- arnRegex: ^arn:aws:iam::[0-9]+:user/dev-\n  username: dev\n  groups: [developers]\n"},
       {"accounts", "- roleArn: " + role_arn_ + "\n  externalId: ext-42\n"}});
  ChildProcess* c = nullptr;
  ASSERT_EQ(runToExit({"--once"}, env(), 20s, &c), 0) << (c ? c->err() : "");
  ASSERT_TRUE(hasUser(userArn("dev-a1"))) << awsAuthData("mapUsers");
  ASSERT_TRUE(hasUser(otherArn("dev-b1"))) << awsAuthData("mapUsers");
  // AssumeRole was signed with the controller's own keys and carried the external id.
  bool assumed = false;
  for (const auto& r : sts_->requests()) {
    if (r.action == "AssumeRole" && r.status == 200) {
      assumed = true;
      EXPECT_EQ(r.role_arn, role_arn_);
      EXPECT_EQ(r.external_id, "ext-42");
      EXPECT_EQ(r.role_session_name, "aws-auth-refresher");
      EXPECT_EQ(r.caller_access_key_id, kAccessKeyId);
    }
  }
  EXPECT_TRUE(assumed);

  // The second account's AssumeRole fails; both accounts change.
  sts_->denyAssumeRole(role_arn_);
  iam_->addUser("dev-a2");
  ASSERT_TRUE(iam_->removeUser("dev-b1", kOther));
  iam_->addUser("dev-b2", "/", kOther);
  ASSERT_EQ(runToExit({"--once"}, env(), 20s, &c), 1) << (c ? c->err() : "");
  EXPECT_TRUE(hasUser(userArn("dev-a1")));
  EXPECT_TRUE(hasUser(userArn("dev-a2"))) << awsAuthData("mapUsers");    // the first account's change applied
  EXPECT_TRUE(hasUser(otherArn("dev-b1"))) << awsAuthData("mapUsers");   // frozen: not removed
  EXPECT_FALSE(hasUser(otherArn("dev-b2"))) << awsAuthData("mapUsers");  // frozen: not added

  // The same as a running controller: reported as an Event and a metric, then it recovers.
  ChildProcess& run = start({"--refresh-interval", "200ms"}, env());
  ASSERT_TRUE(
      eventually([&] { return !warningEvents("AccountListingFailed", "aws-auth-refresher").empty(); }, 15s))
      << run.err();
  const std::string note =
      warningEvents("AccountListingFailed", "aws-auth-refresher").front().value("note", "");
  EXPECT_NE(note.find(kOther), std::string::npos) << note;
  const std::string metric =
      std::string("aws_auth_refresher_account_listing_failures_total{account=\"") + kOther + "\"}";
  ASSERT_TRUE(eventually([&] { return metricsText(run).find(metric) != std::string::npos; }))
      << metricsText(run);
  EXPECT_TRUE(hasUser(otherArn("dev-b1")));
  EXPECT_FALSE(hasUser(otherArn("dev-b2")));

  sts_->denyAssumeRole(role_arn_, false);
  ASSERT_TRUE(eventually([&] { return hasUser(otherArn("dev-b2")) && !hasUser(otherArn("dev-b1")); }, 20s))
      << run.err() << awsAuthData("mapUsers");
  const AuthenticatorView v = view();
  EXPECT_TRUE(v.parsed());
  EXPECT_EQ(v.users.size(), 3u) << awsAuthData("mapUsers");
  EXPECT_EQ(v.users.at(lower(otherArn("dev-b2"))), (Mapping{otherArn("dev-b2"), "dev", {"developers"}}));
  EXPECT_NE(metricsText(run).find("operation=\"AssumeRole\""), std::string::npos) << metricsText(run);
}

}  // namespace
}  // namespace aar::e2e
