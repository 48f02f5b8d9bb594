// IamIdentitySource over a real IamClient against the fake IAM on 127.0.0.1: the own account with its own
// client, further accounts through per-account clients built once by the factory, kept while their spec is
// unchanged and dropped a cycle after they leave the rules.
#include "app/iam_identity_source.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "aws/credentials.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "net/http_client.hpp"

namespace aar::app {
namespace {

constexpr char kOwn[] = "111111111111";
constexpr char kOther[] = "222222222222";

class StaticProvider final : public aws::CredentialsProvider {
 public:
  explicit StaticProvider(std::string key) : key_(std::move(key)) {}
  Result<aws::Credentials> get() override {
    return aws::Credentials{key_, "secret-" + key_, "", {}, "static"};
  }
  const char* name() const override { return "static"; }

 private:
  std::string key_;
};

class IamIdentitySourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fakes::FakeIam::Options o;
    o.account_id = kOwn;
    iam_ = std::make_unique<fakes::FakeIam>(o);
    ASSERT_GT(iam_->start(), 0);
    iam_->allowCredentials("AKIDOWN", "secret-AKIDOWN");
    iam_->allowCredentials("AKIDOTHER", "secret-AKIDOTHER", "", kOther);
    http_ = std::make_unique<net::HttpClient>();
    own_client_ = std::make_unique<aws::IamClient>(*http_, own_credentials_, options());
  }
  void TearDown() override {
    own_client_.reset();
    http_.reset();  // close kept-alive connections first, so that stop() need not wait for them
    iam_->stop();
  }

  aws::IamClientOptions options() const {
    aws::IamClientOptions o;
    o.endpoint = aws::Endpoint{iam_->url(), "us-east-1", "aws"};
    o.retry.max_attempts = 1;
    return o;
  }
  // A factory whose clients sign with AKIDOTHER (so they see kOther's IAM), counting what it builds.
  AccountClientFactory factory() {
    return [this](const core::AccountSpec& spec) -> Result<std::unique_ptr<AccountClient>> {
      built_.push_back(spec);
      auto client = std::make_unique<AccountClient>();
      client->credentials = std::make_unique<StaticProvider>("AKIDOTHER");
      client->iam = std::make_unique<aws::IamClient>(*http_, *client->credentials, options());
      return client;
    };
  }
  static core::AccountSpec spec(const std::string& external_id = "") {
    return core::AccountSpec{std::string("arn:aws:iam::") + kOther + ":role/reader", external_id, kOther, 1};
  }
  static controller::AccountQuery query(std::optional<core::AccountSpec> account, bool roles = false,
                                        std::vector<std::string> groups = {}) {
    controller::AccountQuery q;
    q.account = std::move(account);
    q.roles = roles;
    q.iam_groups = std::move(groups);
    return q;
  }
  static std::vector<std::string> arns(const std::vector<core::Principal>& ps) {
    std::vector<std::string> out;
    for (const auto& p : ps) out.push_back(p.arn);
    std::sort(out.begin(), out.end());
    return out;
  }

  std::unique_ptr<fakes::FakeIam> iam_;
  std::unique_ptr<net::HttpClient> http_;
  StaticProvider own_credentials_{"AKIDOWN"};
  std::unique_ptr<aws::IamClient> own_client_;
  std::vector<core::AccountSpec> built_;
};

TEST_F(IamIdentitySourceTest, ListsEachAccountWithItsOwnClient) {
  iam_->addUser("own-user");
  iam_->addUser("other-user", "/", kOther);
  iam_->addRole("Admin", "/aws-reserved/sso.amazonaws.com/", kOther);
  iam_->addGroup("admins", "/", kOther);
  ASSERT_TRUE(iam_->addGroupMember("admins", "other-user", kOther));
  IamIdentitySource source(*own_client_, factory());

  auto own = source.listAccount(query(std::nullopt));
  ASSERT_TRUE(own.ok()) << own.error().message;
  EXPECT_EQ(arns(own->users), std::vector<std::string>{iam_->userArn("own-user")});
  EXPECT_TRUE(own->roles.empty());

  auto other = source.listAccount(query(spec(), true, {"admins", "ghosts"}));
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_EQ(arns(other->users), std::vector<std::string>{iam_->userArn("other-user", "/", kOther)});
  EXPECT_EQ(arns(other->roles),
            std::vector<std::string>{iam_->roleArn("Admin", "/aws-reserved/sso.amazonaws.com/", kOther)});
  ASSERT_EQ(other->group_members.count("admins"), 1u);
  EXPECT_EQ(other->group_members.at("admins"),
            std::vector<std::string>{iam_->userArn("other-user", "/", kOther)});
  EXPECT_EQ(other->missing_groups, std::vector<std::string>{"ghosts"});
  ASSERT_EQ(built_.size(), 1u);
  EXPECT_EQ(built_[0].role_arn, spec().role_arn);
}

TEST_F(IamIdentitySourceTest, OnlyListsUsersForAUsersOnlyQuery) {
  iam_->addUser("own-user");
  IamIdentitySource source(*own_client_, factory());
  iam_->clearLog();
  ASSERT_TRUE(source.listAccount(query(std::nullopt)).ok());
  const auto log = iam_->requests();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, "ListUsers");
  EXPECT_TRUE(built_.empty());
}

TEST_F(IamIdentitySourceTest, KeepsAnAccountClientWhileItsSpecIsUnchangedAndDropsItWhenTheAccountLeaves) {
  IamIdentitySource source(*own_client_, factory());
  for (int cycle = 0; cycle < 3; ++cycle) {
    ASSERT_TRUE(source.listAccount(query(std::nullopt)).ok());
    ASSERT_TRUE(source.listAccount(query(spec())).ok());
  }
  EXPECT_EQ(built_.size(), 1u);
  EXPECT_EQ(source.accountClientCount(), 1u);

  // A changed external id: new credentials.
  ASSERT_TRUE(source.listAccount(query(std::nullopt)).ok());
  ASSERT_TRUE(source.listAccount(query(spec("ext-2"))).ok());
  ASSERT_EQ(built_.size(), 2u);
  EXPECT_EQ(built_[1].external_id, "ext-2");
  EXPECT_EQ(source.accountClientCount(), 1u);

  // The account leaves the rules: two cycles without it and its client is gone.
  ASSERT_TRUE(source.listAccount(query(std::nullopt)).ok());
  ASSERT_TRUE(source.listAccount(query(std::nullopt)).ok());
  EXPECT_EQ(source.accountClientCount(), 0u);
}

TEST_F(IamIdentitySourceTest, FailsTheAccountWhoseListingFailsOrWhoseClientCannotBeBuilt) {
  IamIdentitySource no_factory(*own_client_);
  auto r = no_factory.listAccount(query(spec()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);

  IamIdentitySource broken(*own_client_,
                           [](const core::AccountSpec&) -> Result<std::unique_ptr<AccountClient>> {
                             return makeError(ErrorKind::kInvalidArgument, "bad STS endpoint");
                           });
  auto b = broken.listAccount(query(spec()));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message.find("bad STS endpoint"), std::string::npos);

  IamIdentitySource source(*own_client_, factory());
  iam_->failAction("GetGroup", 500, "ServiceFailure");
  auto g = source.listAccount(query(spec(), false, {"admins"}));
  EXPECT_FALSE(g.ok());
}

}  // namespace
}  // namespace aar::app
