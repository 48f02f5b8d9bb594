// The real binary gets its AWS credentials the way it will in EKS: IRSA (web identity → STS) and EKS Pod
// Identity (the container credentials endpoint), with no static keys in its environment.
#include <fstream>

#include "e2e/harness.hpp"
#include "fakes/aws/fake_container_credentials.hpp"
#include "fakes/aws/fake_sts.hpp"

namespace aar::e2e {
namespace {

using namespace std::chrono_literals;

class CredentialsE2eTest : public E2eTest {
 protected:
  std::string writeFile(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    return path;
  }
  void seed() {
    putRules(kSeedRules);
    iam_->addUser("tmp-foo-one");
  }
  // Every IAM request was signed with one of `keys`; at least one request was made.
  void expectIamSignedWith(const std::vector<std::string>& keys) {
    auto log = iam_->requests();
    ASSERT_FALSE(log.empty());
    for (const auto& r : log) {
      EXPECT_NE(std::find(keys.begin(), keys.end(), r.access_key_id), keys.end()) << r.access_key_id;
      EXPECT_EQ(r.status, 200);
    }
  }
};

TEST_F(CredentialsE2eTest, UsesIrsaWebIdentityThroughSts) {
  const std::string token = "eyJhbGciOiJSUzI1NiJ9.e2e-web-identity-token.signature";
  const std::string role = "arn:aws:iam::1234567890:role/aws-auth-refresher";
  fakes::FakeSts::Options so;
  so.expected_token = token;
  so.expected_role_arn = role;
  so.account_id = kAccount;
  so.iam = iam_.get();
  fakes::FakeSts sts(so);
  ASSERT_GT(sts.start(), 0);
  seed();
  std::string token_file = writeFile("web-identity-token", token);
  ChildProcess* c = nullptr;
  int code = runToExit(
      {"--once"},
      {"AWS_ROLE_ARN=" + role, "AWS_WEB_IDENTITY_TOKEN_FILE=" + token_file, "AWS_ROLE_SESSION_NAME=e2e",
       "AWS_ENDPOINT_URL_STS=" + sts.url(), "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="},
      20s, &c);
  ASSERT_EQ(code, 0) << c->err();
  EXPECT_EQ(mapUsers(), (std::vector<Entry>{{userArn("tmp-foo-one"), "foo", {"system:masters"}}}));
  ASSERT_FALSE(sts.issued().empty());
  std::vector<std::string> keys;
  for (const auto& i : sts.issued()) keys.push_back(i.access_key_id);
  expectIamSignedWith(keys);
  std::string log = c->err() + c->out();
  EXPECT_EQ(log.find(token), std::string::npos);
  for (const auto& i : sts.issued()) {
    EXPECT_EQ(log.find(i.secret_access_key), std::string::npos);
    EXPECT_EQ(log.find(i.session_token), std::string::npos);
  }
}

TEST_F(CredentialsE2eTest, UsesEksPodIdentityThroughTheContainerEndpoint) {
  const std::string auth = "pod-identity-authorization-token-e2e";
  fakes::FakeContainerCredentials::Options co;
  co.expected_authorization = auth;
  co.iam = iam_.get();
  fakes::FakeContainerCredentials agent(co);
  ASSERT_GT(agent.start(), 0);
  seed();
  std::string token_file = writeFile("eks-pod-identity-token", auth);
  ChildProcess* c = nullptr;
  int code = runToExit({"--once"},
                       {"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + agent.credentialsUrl(),
                        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + token_file,
                        "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="},
                       20s, &c);
  ASSERT_EQ(code, 0) << c->err();
  EXPECT_EQ(mapUsers(), (std::vector<Entry>{{userArn("tmp-foo-one"), "foo", {"system:masters"}}}));
  ASSERT_FALSE(agent.issued().empty());
  std::vector<std::string> keys;
  for (const auto& i : agent.issued()) keys.push_back(i.access_key_id);
  expectIamSignedWith(keys);
  std::string log = c->err() + c->out();
  EXPECT_EQ(log.find(auth), std::string::npos);
  for (const auto& i : agent.issued()) EXPECT_EQ(log.find(i.secret_access_key), std::string::npos);
}

TEST_F(CredentialsE2eTest, FailsTheCycleAndWritesNothingWithoutCredentials) {
  seed();
  ChildProcess* c = nullptr;
  int code = runToExit({"--once"}, {"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}, 20s, &c);
  EXPECT_EQ(code, 1) << c->err();
  EXPECT_EQ(configMapWrites(), 0u);
  EXPECT_TRUE(iam_->requests().empty());
}

}  // namespace
}  // namespace aar::e2e
