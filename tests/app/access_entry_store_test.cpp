// EksAccessEntryStore (the controller's AccessEntryStore port) against FakeEks over real HTTP on 127.0.0.1:
// what a read costs (describe only what is new, a full re-read every 10 minutes of the injected clock), never
// a partial read, each write as one EKS call with its failure paths, and a cache that stays what EKS holds.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "app/eks_access_entry_store.hpp"
#include "fakes/aws/fake_eks.hpp"
#include "support/manual_clock.hpp"

namespace aar::app {
namespace {

using fakes::FakeEks;
using Op = core::AccessEntryOperation;

constexpr char kAkid[] = "AKIAFAKESTORETEST001";
constexpr char kSecret[] = "store/secret/never+in+logs/ssssssssssssss";
constexpr char kCluster[] = "prod";
constexpr char kView[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
constexpr char kEdit[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";

std::string userArn(const std::string& name) { return "arn:aws:iam::123456789012:user/" + name; }

class FixedCredentials : public aws::CredentialsProvider {
 public:
  Result<aws::Credentials> get() override {
    return aws::Credentials{kAkid, kSecret, "", std::nullopt, "fixed"};
  }
  const char* name() const override { return "fixed"; }
};

class AccessEntryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(fake_.start(), 0);
    fake_.allowCredentials(kAkid, kSecret);
    fake_.addCluster(kCluster, "API");
    aws::EksClientOptions o;
    o.endpoint = aws::Endpoint{fake_.url(), "us-east-1", "aws"};
    o.cluster_name = kCluster;
    o.request_timeout = std::chrono::milliseconds(3000);
    o.clock = &clock_;
    o.random = [] { return 0.5; };
    client_ = std::make_unique<aws::EksClient>(http_, creds_, o);
    EksAccessEntryStoreOptions so;
    so.cluster_name = kCluster;
    so.region = "us-east-1";
    store_ = std::make_unique<EksAccessEntryStore>(*client_, clock_, so);
  }

  FakeEks::Entry ours(const std::string& name, const std::string& owner = "aws-auth-refresher") {
    FakeEks::Entry e;
    e.principal_arn = userArn(name);
    e.username = name;
    e.kubernetes_groups = {"dev"};
    e.tags = {{core::kAccessEntryOwnerTag, owner}, {core::kAccessEntryPrincipalIdTag, "AIDA" + name}};
    return e;
  }

  // Operation name → how many requests the fake saw since the last clearLog().
  std::map<std::string, int> calls() {
    std::map<std::string, int> out;
    for (const auto& r : fake_.requests()) ++out[r.operation];
    return out;
  }

  static Op create(const std::string& name, const std::string& owner = "aws-auth-refresher") {
    Op op;
    op.kind = Op::Kind::kCreateAccessEntry;
    op.principal_arn = userArn(name);
    op.username = name;
    op.kubernetes_groups = {"dev", "ops"};
    op.tags = {{core::kAccessEntryOwnerTag, owner}, {core::kAccessEntryPrincipalIdTag, "AIDA" + name}};
    return op;
  }
  static Op simple(Op::Kind kind, const std::string& name) {
    Op op;
    op.kind = kind;
    op.principal_arn = userArn(name);
    return op;
  }
  static Op associate(const std::string& name, const std::string& policy, std::vector<std::string> ns) {
    Op op = simple(Op::Kind::kAssociateAccessPolicy, name);
    op.policy.policy_arn = policy;
    if (!ns.empty()) {
      op.policy.scope.type = core::AccessScope::Type::kNamespace;
      op.policy.scope.namespaces = std::move(ns);
    }
    return op;
  }

  // What EKS holds, read by a store that has no cache.
  std::vector<core::ExistingAccessEntry> fresh() {
    EksAccessEntryStore store(*client_, clock_);
    auto got = store.listEntries();
    EXPECT_TRUE(got.ok());
    return got.ok() ? *got : std::vector<core::ExistingAccessEntry>{};
  }

  FakeEks fake_;
  net::HttpClient http_;
  FixedCredentials creds_;
  test::ManualClock clock_;
  std::unique_ptr<aws::EksClient> client_;
  std::unique_ptr<EksAccessEntryStore> store_;
};

TEST_F(AccessEntryStoreTest, ReadsTheModeOfTheCluster) {
  EXPECT_EQ(store_->describe(), "cluster prod in us-east-1");
  for (auto [text, mode] : {std::pair{"CONFIG_MAP", core::AuthenticationMode::kConfigMap},
                            std::pair{"API_AND_CONFIG_MAP", core::AuthenticationMode::kApiAndConfigMap},
                            std::pair{"API", core::AuthenticationMode::kApi}}) {
    ASSERT_TRUE(fake_.setAuthenticationMode(kCluster, text));
    auto got = store_->authenticationMode();
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, mode) << text;
  }
}

TEST_F(AccessEntryStoreTest, ReadsEveryPageAndDescribesEachEntryOnceUntilTenMinutesPass) {
  fake_.setPageCap(2);
  for (const char* n : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(fake_.seedEntry(kCluster, ours(n)));
  FakeEks::Entry node;
  node.principal_arn = "arn:aws:iam::123456789012:role/node";
  node.type = "EC2_LINUX";
  ASSERT_TRUE(fake_.seedEntry(kCluster, node));
  ASSERT_TRUE(store_->apply(create("f")).ok());
  ASSERT_TRUE(store_->apply(associate("f", kView, {"dev", "prod"})).ok());
  fake_.clearLog();

  auto first = store_->listEntries();
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 7U);
  EXPECT_EQ(calls()["ListAccessEntries"], 4);  // 7 entries, 2 a page
  EXPECT_EQ(calls()["DescribeAccessEntry"], 7);
  EXPECT_EQ(calls()["ListAssociatedAccessPolicies"], 7);
  EXPECT_TRUE(store_->lastRead().full_read);
  auto f = std::find_if(first->begin(), first->end(),
                        [](const auto& e) { return e.principal_arn == userArn("f"); });
  ASSERT_NE(f, first->end());
  EXPECT_EQ(f->type, "STANDARD");
  EXPECT_EQ(f->username, "f");
  EXPECT_EQ(f->kubernetes_groups, (std::vector<std::string>{"dev", "ops"}));
  EXPECT_EQ(f->tags.at(core::kAccessEntryPrincipalIdTag), "AIDAf");
  ASSERT_EQ(f->policies.size(), 1U);
  EXPECT_EQ(f->policies[0].policy_arn, kView);
  EXPECT_EQ(f->policies[0].scope.type, core::AccessScope::Type::kNamespace);
  EXPECT_EQ(f->policies[0].scope.namespaces, (std::vector<std::string>{"dev", "prod"}));
  auto n = std::find_if(first->begin(), first->end(), [](const auto& e) { return e.type == "EC2_LINUX"; });
  ASSERT_NE(n, first->end());

  // Steady: only the listing, and the same entries.
  fake_.clearLog();
  clock_.advance(std::chrono::minutes(9));
  auto second = store_->listEntries();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(calls(), (std::map<std::string, int>{{"ListAccessEntries", 4}}));
  EXPECT_EQ(second->size(), 7U);
  EXPECT_FALSE(store_->lastRead().full_read);
  EXPECT_EQ(store_->lastRead().described, 0U);

  // A new entry: described alone. A removed one: dropped.
  ASSERT_TRUE(fake_.seedEntry(kCluster, ours("g")));
  ASSERT_TRUE(fake_.removeEntry(kCluster, userArn("a")));
  fake_.clearLog();
  auto third = store_->listEntries();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(calls()["DescribeAccessEntry"], 1);
  EXPECT_EQ(fake_.requests().back().operation, "ListAssociatedAccessPolicies");
  EXPECT_EQ(fake_.requests().back().principal_arn, userArn("g"));
  EXPECT_EQ(third->size(), 7U);
  EXPECT_EQ(store_->cachedCount(), 7U);

  // Ten minutes after the full read: everything again, so a change made behind our back is seen.
  fake_.removeEntry(kCluster, userArn("b"));
  FakeEks::Entry b = ours("b");
  b.username = "changed";
  ASSERT_TRUE(fake_.seedEntry(kCluster, b));
  clock_.advance(std::chrono::minutes(1));
  fake_.clearLog();
  auto fourth = store_->listEntries();
  ASSERT_TRUE(fourth.ok());
  EXPECT_TRUE(store_->lastRead().full_read);
  EXPECT_EQ(calls()["DescribeAccessEntry"], 7);
  auto bb = std::find_if(fourth->begin(), fourth->end(),
                         [](const auto& e) { return e.principal_arn == userArn("b"); });
  ASSERT_NE(bb, fourth->end());
  EXPECT_EQ(bb->username, "changed");
}

TEST_F(AccessEntryStoreTest, AFailedPageOrDescribeReturnsNothingAndKeepsTheCache) {
  fake_.setPageCap(1);
  for (const char* n : {"a", "b", "c"}) ASSERT_TRUE(fake_.seedEntry(kCluster, ours(n)));
  ASSERT_TRUE(store_->listEntries().ok());
  ASSERT_EQ(store_->cachedCount(), 3U);

  fake_.failNext(3, 400, "InvalidRequestException", "ListAccessEntries");  // not retried
  auto failed = store_->listEntries();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("InvalidRequestException"), std::string::npos);
  EXPECT_EQ(store_->cachedCount(), 3U);

  ASSERT_TRUE(fake_.seedEntry(kCluster, ours("d")));
  fake_.failNext(1, 403, "AccessDeniedException", "DescribeAccessEntry");
  auto denied = store_->listEntries();
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(denied.error().message.find("AccessDeniedException"), std::string::npos);
  EXPECT_EQ(denied.error().message.find(kSecret), std::string::npos);
  EXPECT_EQ(store_->cachedCount(), 3U);

  fake_.clearLog();
  auto ok = store_->listEntries();
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 4U);
  EXPECT_EQ(calls()["DescribeAccessEntry"], 1);
}

TEST_F(AccessEntryStoreTest, AnEntryDeletedBetweenListingAndDescribeIsLeftOut) {
  ASSERT_TRUE(fake_.seedEntry(kCluster, ours("a")));
  ASSERT_TRUE(fake_.seedEntry(kCluster, ours("b")));
  fake_.failNext(1, 404, "ResourceNotFoundException", "DescribeAccessEntry");
  auto got = store_->listEntries();
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->size(), 1U);
  EXPECT_EQ((*got)[0].principal_arn, userArn("b"));
}

TEST_F(AccessEntryStoreTest, WritesEachOperationAsOneCallAndTheCacheFollowsEks) {
  ASSERT_TRUE(fake_.seedEntry(kCluster, ours("gone")));
  ASSERT_TRUE(fake_.seedEntry(kCluster, ours("u")));
  ASSERT_TRUE(store_->listEntries().ok());
  fake_.clearLog();

  ASSERT_TRUE(store_->apply(create("new")).ok());
  ASSERT_TRUE(store_->apply(associate("new", kEdit, {})).ok());
  Op update = simple(Op::Kind::kUpdateAccessEntry, "u");
  update.username = "u2";
  update.kubernetes_groups = {"x", "y"};
  ASSERT_TRUE(store_->apply(update).ok());
  ASSERT_TRUE(store_->apply(associate("u", kView, {"ns"})).ok());
  Op dis = simple(Op::Kind::kDisassociateAccessPolicy, "u");
  dis.policy.policy_arn = kView;
  ASSERT_TRUE(store_->apply(dis).ok());
  ASSERT_TRUE(store_->apply(simple(Op::Kind::kDeleteAccessEntry, "gone")).ok());
  // Already gone: done.
  ASSERT_TRUE(store_->apply(simple(Op::Kind::kDeleteAccessEntry, "gone")).ok());
  ASSERT_TRUE(store_->apply(dis).ok());

  std::vector<std::string> ops;
  for (const auto& r : fake_.requests()) ops.push_back(r.operation);
  EXPECT_EQ(
      ops, (std::vector<std::string>{"CreateAccessEntry", "AssociateAccessPolicy", "UpdateAccessEntry",
                                     "AssociateAccessPolicy", "DisassociateAccessPolicy", "DeleteAccessEntry",
                                     "DeleteAccessEntry", "DisassociateAccessPolicy"}));
  auto created = fake_.entry(kCluster, userArn("new"));
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->type, "STANDARD");
  EXPECT_EQ(created->username, "new");
  EXPECT_EQ(created->kubernetes_groups, (std::vector<std::string>{"dev", "ops"}));
  EXPECT_EQ(created->tags.at(core::kAccessEntryOwnerTag), "aws-auth-refresher");
  EXPECT_EQ(created->tags.at(core::kAccessEntryPrincipalIdTag), "AIDAnew");
  ASSERT_EQ(created->policies.count(kEdit), 1U);
  EXPECT_EQ(created->policies.at(kEdit).type, "cluster");
  auto u = fake_.entry(kCluster, userArn("u"));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->username, "u2");
  EXPECT_EQ(u->kubernetes_groups, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(u->policies.empty());
  EXPECT_FALSE(fake_.entry(kCluster, userArn("gone")).has_value());

  // The cache reflects every write: no describe, and exactly what EKS holds.
  fake_.clearLog();
  auto next = store_->listEntries();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(calls(), (std::map<std::string, int>{{"ListAccessEntries", 1}}));
  auto truth = fresh();
  ASSERT_EQ(next->size(), truth.size());
  for (size_t i = 0; i < truth.size(); ++i) {
    EXPECT_EQ((*next)[i].principal_arn, truth[i].principal_arn);
    EXPECT_EQ((*next)[i].type, truth[i].type);
    EXPECT_EQ((*next)[i].username, truth[i].username);
    EXPECT_EQ((*next)[i].kubernetes_groups, truth[i].kubernetes_groups);
    EXPECT_EQ((*next)[i].tags, truth[i].tags);
    EXPECT_EQ((*next)[i].policies, truth[i].policies) << truth[i].principal_arn;
  }
}

TEST_F(AccessEntryStoreTest, ACreateWithoutUsernameCachesTheUsernameEksChose) {
  Op op = create("nameless");
  op.username.clear();
  ASSERT_TRUE(store_->apply(op).ok());
  auto cached = store_->listEntries();
  ASSERT_TRUE(cached.ok());
  ASSERT_EQ(cached->size(), 1U);
  auto truth = fresh();
  ASSERT_EQ(truth.size(), 1U);
  EXPECT_FALSE(truth[0].username.empty());
  EXPECT_EQ((*cached)[0].username, truth[0].username);
}

TEST_F(AccessEntryStoreTest, RefusesToCreateAnEntryThatWouldNotBeOursOrToWriteOneThatIsNot) {
  EXPECT_EQ(store_->apply(create("x", "someone-else")).error().error.kind, ErrorKind::kInternal);
  Op untagged = create("y");
  untagged.tags.clear();
  EXPECT_EQ(store_->apply(untagged).error().error.kind, ErrorKind::kInternal);

  ASSERT_TRUE(fake_.seedEntry(kCluster, ours("foreign", "team-b")));
  FakeEks::Entry node;
  node.principal_arn = userArn("node");
  node.type = "EC2_LINUX";
  node.tags = {{core::kAccessEntryOwnerTag, "aws-auth-refresher"}};
  ASSERT_TRUE(fake_.seedEntry(kCluster, node));
  ASSERT_TRUE(store_->listEntries().ok());
  fake_.clearLog();
  for (const char* name : {"foreign", "node"}) {
    auto st = store_->apply(simple(Op::Kind::kDeleteAccessEntry, name));
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().error.message.find("not ours"), std::string::npos) << st.error().error.message;
    EXPECT_NE(st.error().error.message.find("DeleteAccessEntry " + userArn(name)), std::string::npos);
    ASSERT_TRUE(store_->listEntries().ok());
    EXPECT_FALSE(store_->apply(associate(name, kView, {})).ok());
    ASSERT_TRUE(store_->listEntries().ok());
  }
  for (const auto& r : fake_.requests()) EXPECT_FALSE(r.mutating) << r.operation;
  EXPECT_TRUE(fake_.entry(kCluster, userArn("foreign")).has_value());
  EXPECT_TRUE(fake_.entry(kCluster, userArn("node")).has_value());
}

TEST_F(AccessEntryStoreTest, AssociateAfterCreateReturnsA404AsItIsForTheControllerToRetry) {
  ASSERT_TRUE(store_->apply(create("a")).ok());
  fake_.failNext(1, 404, "ResourceNotFoundException", "AssociateAccessPolicy");
  fake_.clearLog();
  auto st = store_->apply(associate("a", kView, {}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().error.kind, ErrorKind::kNotFound);
  EXPECT_EQ(st.error().code, controller::kEksResourceNotFound);
  EXPECT_EQ(st.error().http_status, 404);
  EXPECT_NE(st.error().error.message.find("AssociateAccessPolicy " + userArn("a") + " " + kView),
            std::string::npos)
      << st.error().error.message;
  EXPECT_EQ(calls()["AssociateAccessPolicy"], 1);
  EXPECT_TRUE(clock_.sleeps().empty());
  // The failure made the store forget the entry: the next read describes it (and sees no policy).
  fake_.clearLog();
  auto read = store_->listEntries();
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(calls()["DescribeAccessEntry"], 1);
  ASSERT_EQ(read->size(), 1U);
  EXPECT_TRUE((*read)[0].policies.empty());
  ASSERT_TRUE(store_->apply(associate("a", kView, {})).ok());
}

TEST_F(AccessEntryStoreTest, ReportsEksCodesForInUseAndTheLimit) {
  FakeEks::Entry hand;
  hand.principal_arn = userArn("taken");
  ASSERT_TRUE(fake_.seedEntry(kCluster, hand));
  auto in_use = store_->apply(create("taken"));
  ASSERT_FALSE(in_use.ok());
  EXPECT_EQ(in_use.error().error.kind, ErrorKind::kAlreadyExists);
  EXPECT_EQ(in_use.error().code, controller::kEksResourceInUse);
  EXPECT_EQ(in_use.error().http_status, 409);
  EXPECT_EQ(in_use.error().error.message.find(kSecret), std::string::npos);
  EXPECT_TRUE(fake_.entry(kCluster, userArn("taken"))->tags.empty());  // not overwritten

  FakeEks small(FakeEks::Options{"123456789012", "us-east-1", 2});
  ASSERT_GT(small.start(), 0);
  small.allowCredentials(kAkid, kSecret);
  small.addCluster(kCluster, "API");
  aws::EksClientOptions o;
  o.endpoint = aws::Endpoint{small.url(), "us-east-1", "aws"};
  o.cluster_name = kCluster;
  o.clock = &clock_;
  net::HttpClient http;  // destroyed before `small`, so stop() does not wait out a keep-alive connection
  aws::EksClient client(http, creds_, o);
  EksAccessEntryStore store(client, clock_);
  ASSERT_TRUE(store.apply(create("a")).ok());
  ASSERT_TRUE(store.apply(create("b")).ok());
  auto over = store.apply(create("c"));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, controller::kEksResourceLimitExceeded);
  EXPECT_EQ(over.error().error.kind, ErrorKind::kTooLarge);
  EXPECT_EQ(small.entries(kCluster).size(), 2U);
}

}  // namespace
}  // namespace aar::app
