// The access-entries backend end to end (issue #13): the real binary, `run --once --backend access-entries|
// auto`, against the fake API server, the fake IAM and the fake EKS over real HTTP on 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "e2e/harness.hpp"
#include "fakes/aws/fake_eks.hpp"

namespace aar::e2e {
namespace {

using fakes::FakeEks;
using ::testing::HasSubstr;

constexpr char kCluster[] = "prod";
constexpr char kOwnerTag[] = "aws-auth-refresher/owner";
constexpr char kIdTag[] = "aws-auth-refresher/principal-id";

// EKS accepts only real 12-digit account ids in principal ARNs (the harness's IAM uses the seed README's
// 10-digit one), so these tests run their own IAM in account 123456789012.
constexpr char kEksAccount[] = "123456789012";

constexpr char kRules[] = R"(- arnRegex: ^arn:aws:iam::123456789012:user/dev-.*$
  username: dev-user
  groups:
  - developers
  - viewers
)";

std::string arnOf(const std::string& user) {
  return std::string("arn:aws:iam::") + kEksAccount + ":user/" + user;
}

class AccessEntriesE2eTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    iam_->stop();
    fakes::FakeIam::Options io;
    io.account_id = kEksAccount;
    iam_ = std::make_unique<fakes::FakeIam>(io);
    ASSERT_GT(iam_->start(), 0);
    iam_->allowCredentials(kAccessKeyId, kSecretKey);
    eks_ = std::make_unique<FakeEks>(FakeEks::Options{kEksAccount, "us-east-1", 3000});
    ASSERT_GT(eks_->start(), 0);
    eks_->allowCredentials(kAccessKeyId, kSecretKey);
    eks_->addCluster(kCluster, "API");
  }
  void TearDown() override {
    E2eTest::TearDown();
    eks_.reset();
  }

  std::vector<std::string> env() const { return {"AWS_ENDPOINT_URL_EKS=" + eks_->url()}; }
  int once(const std::string& backend, ChildProcess** out = nullptr) {
    return runToExit({"--once", "--backend", backend, "--cluster-name", kCluster}, env(),
                     std::chrono::seconds(20), out);
  }
  size_t mutatingCalls() const {
    size_t n = 0;
    for (const auto& r : eks_->requests()) n += r.mutating ? 1 : 0;
    return n;
  }
  std::optional<FakeEks::Entry> entry(const std::string& user) const {
    return eks_->entry(kCluster, arnOf(user));
  }

  std::unique_ptr<FakeEks> eks_;
};

TEST_F(AccessEntriesE2eTest, CreatesTaggedEntriesLeavesForeignOnesAndIsQuietWhenSteady) {
  putRules(kRules);
  iam_->addUser("dev-alice");
  iam_->addUser("dev-bob");
  iam_->addUser("ops-carol");
  FakeEks::Entry foreign;  // someone else's entry for a matching principal
  foreign.principal_arn = arnOf("dev-bob");
  foreign.username = "bob-by-hand";
  ASSERT_TRUE(eks_->seedEntry(kCluster, foreign));
  FakeEks::Entry node;
  node.principal_arn = std::string("arn:aws:iam::") + kEksAccount + ":role/node";
  node.type = "EC2_LINUX";
  ASSERT_TRUE(eks_->seedEntry(kCluster, node));

  ChildProcess* child = nullptr;
  ASSERT_EQ(once("access-entries", &child), 0) << child->err();
  auto alice = entry("dev-alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->type, "STANDARD");
  EXPECT_EQ(alice->username, "dev-user");
  EXPECT_EQ(alice->kubernetes_groups, (std::vector<std::string>{"developers", "viewers"}));
  EXPECT_EQ(alice->tags.at(kOwnerTag), "aws-auth-refresher");
  EXPECT_THAT(alice->tags.at(kIdTag), ::testing::StartsWith("AIDA"));
  EXPECT_EQ(entry("dev-bob")->username, "bob-by-hand");
  EXPECT_TRUE(entry("dev-bob")->tags.empty());
  EXPECT_FALSE(entry("ops-carol").has_value());
  EXPECT_EQ(eks_->entries(kCluster).size(), 3U);
  EXPECT_FALSE(awsAuth().has_value()) << "mode API: aws-auth is not written";
  for (const auto& r : eks_->requests()) {
    if (r.mutating) {
      EXPECT_NE(r.principal_arn, arnOf("dev-bob")) << r.operation;
      EXPECT_EQ(r.body.find(arnOf("dev-bob")), std::string::npos) << r.operation;
    }
  }

  // A second run: the same state, no mutating EKS call.
  eks_->clearLog();
  ASSERT_EQ(once("access-entries", &child), 0) << child->err();
  EXPECT_EQ(mutatingCalls(), 0U);
  EXPECT_EQ(child->err().find(kSecretKey), std::string::npos);
}

TEST_F(AccessEntriesE2eTest, RemovesADeletedUsersEntryAndRecreatesARecreatedUsers) {
  putRules(kRules);
  iam_->addUser("dev-alice");
  iam_->addUser("dev-bob");
  ChildProcess* child = nullptr;
  ASSERT_EQ(once("access-entries", &child), 0) << child->err();
  const std::string old_id = entry("dev-bob")->tags.at(kIdTag);

  ASSERT_TRUE(iam_->removeUser("dev-alice"));
  ASSERT_TRUE(iam_->removeUser("dev-bob"));
  iam_->addUser("dev-bob");  // same name, new unique id
  eks_->clearLog();
  ASSERT_EQ(once("access-entries", &child), 0) << child->err();
  EXPECT_FALSE(entry("dev-alice").has_value());
  ASSERT_TRUE(entry("dev-bob").has_value());
  EXPECT_NE(entry("dev-bob")->tags.at(kIdTag), old_id);
  std::vector<std::string> bob_calls;
  for (const auto& r : eks_->requests()) {
    // CreateAccessEntry carries the ARN in its body, the others in the path.
    const bool bob =
        r.principal_arn == arnOf("dev-bob") || r.body.find(arnOf("dev-bob")) != std::string::npos;
    if (r.mutating && bob) bob_calls.push_back(r.operation);
  }
  EXPECT_EQ(bob_calls, (std::vector<std::string>{"DeleteAccessEntry", "CreateAccessEntry"})) << child->err();
}

TEST_F(AccessEntriesE2eTest, AFailedIamPageDeletesNothing) {
  putRules(kRules);
  iam_->addUser("dev-alice");
  ASSERT_EQ(once("access-entries"), 0);
  ASSERT_TRUE(entry("dev-alice").has_value());
  iam_->failPage(1, 500, -1);
  eks_->clearLog();
  ChildProcess* child = nullptr;
  EXPECT_EQ(once("access-entries", &child), 1) << child->err();
  EXPECT_EQ(mutatingCalls(), 0U);
  EXPECT_TRUE(entry("dev-alice").has_value());
}

TEST_F(AccessEntriesE2eTest, RefusesModeConfigMapAndASystemGroupWithoutWriting) {
  putRules(kRules);
  iam_->addUser("dev-alice");
  ASSERT_TRUE(eks_->setAuthenticationMode(kCluster, "CONFIG_MAP"));
  ChildProcess* child = nullptr;
  EXPECT_EQ(once("access-entries", &child), 1);
  EXPECT_THAT(child->err(), HasSubstr("CONFIG_MAP"));
  EXPECT_EQ(mutatingCalls(), 0U);
  EXPECT_FALSE(awsAuth().has_value()) << "access-entries never falls back to aws-auth";

  ASSERT_TRUE(eks_->setAuthenticationMode(kCluster, "API"));
  putRules(R"(- arnRegex: ^arn:aws:iam::123456789012:user/dev-.*$
  username: dev-user
  groups:
  - system:masters
)");
  EXPECT_EQ(once("access-entries", &child), 1);
  EXPECT_THAT(child->err(), HasSubstr("system:"));
  EXPECT_EQ(mutatingCalls(), 0U);
  EXPECT_TRUE(eks_->entries(kCluster).empty());
}

TEST_F(AccessEntriesE2eTest, AutoPicksTheBackendFromTheClustersMode) {
  putRules(kRules);
  iam_->addUser("dev-alice");
  ASSERT_TRUE(eks_->setAuthenticationMode(kCluster, "CONFIG_MAP"));
  ChildProcess* child = nullptr;
  ASSERT_EQ(once("auto", &child), 0) << child->err();
  EXPECT_EQ(mapUsers(), (std::vector<Entry>{{arnOf("dev-alice"), "dev-user", {"developers", "viewers"}}}));
  EXPECT_EQ(mutatingCalls(), 0U);

  ASSERT_TRUE(eks_->setAuthenticationMode(kCluster, "API"));
  const size_t writes = configMapWrites();
  ASSERT_EQ(once("auto", &child), 0) << child->err();
  ASSERT_TRUE(entry("dev-alice").has_value());
  EXPECT_EQ(entry("dev-alice")->username, "dev-user");
  EXPECT_EQ(configMapWrites(), writes) << "mode API: aws-auth is not written";
}

TEST_F(AccessEntriesE2eTest, ApiAndConfigMapMigratesOnlyOurAwsAuthEntriesOnceTheirAccessEntryExists) {
  putRules(kRules);
  iam_->addUser("dev-alice");
  iam_->addUser("dev-bob");
  // Someone mapped dev-bob by hand; the aws-auth backend then adds dev-alice (ours).
  putAwsAuth({{"mapUsers", "- userarn: " + arnOf("dev-bob") + "\n  username: bob\n  groups:\n  - admins\n"}});
  ASSERT_TRUE(eks_->setAuthenticationMode(kCluster, "CONFIG_MAP"));
  ChildProcess* child = nullptr;
  ASSERT_EQ(once("auto", &child), 0) << child->err();
  ASSERT_EQ(mapUsers(), (std::vector<Entry>{{arnOf("dev-alice"), "dev-user", {"developers", "viewers"}},
                                            {arnOf("dev-bob"), "bob", {"admins"}}}));

  ASSERT_TRUE(eks_->setAuthenticationMode(kCluster, "API_AND_CONFIG_MAP"));
  ASSERT_EQ(once("auto", &child), 0) << child->err();
  ASSERT_TRUE(entry("dev-alice").has_value());
  EXPECT_EQ(entry("dev-alice")->username, "dev-user");
  EXPECT_FALSE(entry("dev-bob").has_value()) << "a hand-written mapping keeps its principal out of EKS";
  EXPECT_EQ(mapUsers(), (std::vector<Entry>{{arnOf("dev-bob"), "bob", {"admins"}}}))
      << "only our entry leaves aws-auth, after its access entry exists";
}

TEST_F(AccessEntriesE2eTest, DryRunPrintsTheCallsAndMakesNone) {
  putRules(kRules);
  iam_->addUser("dev-alice");
  ChildProcess* child = nullptr;
  ASSERT_EQ(runToExit({"--once", "--dry-run", "--backend", "access-entries", "--cluster-name", kCluster},
                      env(), std::chrono::seconds(20), &child),
            0)
      << child->err();
  EXPECT_THAT(child->out(), HasSubstr("CreateAccessEntry " + arnOf("dev-alice")));
  EXPECT_EQ(mutatingCalls(), 0U);
  EXPECT_TRUE(eks_->entries(kCluster).empty());
}

TEST_F(AccessEntriesE2eTest, WithoutAClusterNameOrARegionItStopsAtStartUp) {
  putRules(kRules);
  ChildProcess* child = nullptr;
  EXPECT_EQ(runToExit({"--once", "--backend", "access-entries"}, env(), std::chrono::seconds(20), &child), 2);
  EXPECT_THAT(child->err(), HasSubstr("--cluster-name"));
  std::vector<std::string> no_region = env();
  no_region.push_back("AWS_REGION=");
  EXPECT_EQ(runToExit({"--once", "--backend", "auto", "--cluster-name", kCluster}, no_region,
                      std::chrono::seconds(20), &child),
            1);
  EXPECT_THAT(child->err(), HasSubstr("region"));
  EXPECT_TRUE(eks_->requests().empty());
}

}  // namespace
}  // namespace aar::e2e
