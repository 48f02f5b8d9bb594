// EksClient against FakeEks over real HTTP on 127.0.0.1: every operation, paging, each error code, retries,
// ARNs with paths, and what a listing does when a page fails.
#include "aws/eks_client.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <mutex>

#include "aws/credentials_test_support.hpp"
#include "fakes/aws/fake_eks.hpp"
#include "fakes/aws/fake_issued_credentials.hpp"
#include "fakes/pki/test_pki.hpp"
#include "support/manual_clock.hpp"

namespace aar::aws {
namespace {

using testing::FixedCredentials;

using fakes::FakeEks;
using std::chrono::milliseconds;

constexpr char kAkid[] = "AKIAFAKEEKSTEST00001";
constexpr char kSecret[] = "sEcReT/never+in+logs/eeeeeeeeeeeeeeeeeeee";
constexpr char kCluster[] = "prod";
constexpr char kUser[] = "arn:aws:iam::123456789012:user/team/eng/alice";
constexpr char kRole[] = "arn:aws:iam::123456789012:role/ops/deployer";
constexpr char kView[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
constexpr char kEdit[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";

std::string userArn(int i) { return "arn:aws:iam::123456789012:user/u" + std::to_string(10000 + i); }

class EksClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(fake_.start(), 0);
    fake_.allowCredentials(kAkid, kSecret);
    fake_.addCluster(kCluster, "API_AND_CONFIG_MAP");
  }

  EksClientOptions options(const std::string& cluster = kCluster) {
    EksClientOptions o;
    o.endpoint = Endpoint{fake_.url(), "us-east-1", "aws"};
    o.cluster_name = cluster;
    o.request_timeout = milliseconds(3000);
    o.clock = &clock_;  // backoff waits are recorded on the manual clock, never slept
    o.random = [] { return 0.5; };
    o.on_request = [this](std::string_view op, std::string_view code) {
      std::lock_guard<std::mutex> lock(mu_);
      ++hook_counts_[std::string(op) + " " + std::string(code)];
    };
    return o;
  }

  void seed(int n) {
    for (int i = 0; i < n; ++i) {
      FakeEks::Entry e;
      e.principal_arn = userArn(i);
      ASSERT_TRUE(fake_.seedEntry(kCluster, e));
    }
  }

  std::vector<std::string> operations() {
    std::vector<std::string> out;
    for (const auto& r : fake_.requests()) out.push_back(r.operation + ":" + std::to_string(r.status));
    return out;
  }

  FakeEks fake_;
  net::HttpClient http_;
  FixedCredentials creds_{kAkid, kSecret};
  std::mutex mu_;
  // The backoff waits so far, in order (each shorter than kBackoffCancelCheck here, so one sleep each).
  std::vector<milliseconds> sleeps() const {
    std::vector<milliseconds> out;
    for (auto d : clock_.sleeps()) out.push_back(std::chrono::duration_cast<milliseconds>(d));
    return out;
  }

  test::ManualClock clock_;
  std::map<std::string, int> hook_counts_;
};

TEST_F(EksClientTest, DescribeClusterReadsEachAuthenticationMode) {
  EksClient client(http_, creds_, options());
  for (auto [text, mode] : {std::pair{"CONFIG_MAP", EksAuthenticationMode::kConfigMap},
                            std::pair{"API_AND_CONFIG_MAP", EksAuthenticationMode::kApiAndConfigMap},
                            std::pair{"API", EksAuthenticationMode::kApi}}) {
    ASSERT_TRUE(fake_.setAuthenticationMode(kCluster, text));
    auto cluster = client.describeCluster();
    ASSERT_TRUE(cluster.ok()) << cluster.error().message;
    EXPECT_EQ(cluster->authentication_mode, mode) << text;
    EXPECT_EQ(cluster->name, kCluster);
    EXPECT_EQ(cluster->status, "ACTIVE");
  }
  EXPECT_EQ(hook_counts_["DescribeCluster 200"], 3);
}

TEST_F(EksClientTest, EveryOperationRoundTripsForArnsWithPaths) {
  EksClient client(http_, creds_, options());
  EksCreateAccessEntryInput in;
  in.principal_arn = kUser;
  in.kubernetes_groups = {"dev", "view"};
  in.username = "alice";
  in.tags = {{"aws-auth-refresher/owner", "aws-auth-refresher"},
             {"aws-auth-refresher/principal-id", "AIDA1"}};
  auto created = client.createAccessEntry(in);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->principal_arn, kUser);
  EXPECT_EQ(created->type, "STANDARD");
  EXPECT_EQ(created->username, "alice");
  EXPECT_EQ(created->kubernetes_groups, (std::vector<std::string>{"dev", "view"}));
  EXPECT_EQ(created->tags, in.tags);
  EXPECT_EQ(created->cluster_name, kCluster);
  EXPECT_GT(created->created_at, 1.7e9);
  EXPECT_NE(created->access_entry_arn.find(":access-entry/prod/user/"), std::string::npos);

  EksCreateAccessEntryInput role;
  role.principal_arn = kRole;
  ASSERT_TRUE(client.createAccessEntry(role).ok());

  auto described = client.describeAccessEntry(kUser);
  ASSERT_TRUE(described.ok()) << described.error().message;
  EXPECT_EQ(described->tags, in.tags);

  EksUpdateAccessEntryInput up;
  up.principal_arn = kUser;
  up.kubernetes_groups = std::vector<std::string>{"ops"};
  auto updated = client.updateAccessEntry(up);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ(updated->kubernetes_groups, std::vector<std::string>{"ops"});
  EXPECT_EQ(updated->username, "alice");

  auto assoc = client.associateAccessPolicy(kUser, kView, EksAccessScope{"namespace", {"a", "b"}});
  ASSERT_TRUE(assoc.ok()) << assoc.error().message;
  EXPECT_EQ(assoc->policy_arn, kView);
  EXPECT_EQ(assoc->scope, (EksAccessScope{"namespace", {"a", "b"}}));
  ASSERT_TRUE(client.associateAccessPolicy(kUser, kEdit, EksAccessScope{"cluster", {}}).ok());
  // Associating again replaces the scope.
  ASSERT_TRUE(client.associateAccessPolicy(kUser, kView, EksAccessScope{"namespace", {"c"}}).ok());
  auto policies = client.listAssociatedAccessPolicies(kUser);
  ASSERT_TRUE(policies.ok()) << policies.error().message;
  ASSERT_EQ(policies->size(), 2u);
  EXPECT_EQ((*policies)[0].policy_arn, kEdit);
  EXPECT_EQ((*policies)[0].scope, (EksAccessScope{"cluster", {}}));
  EXPECT_EQ((*policies)[1].scope, (EksAccessScope{"namespace", {"c"}}));

  auto with_view = client.listAccessEntries(kView);
  ASSERT_TRUE(with_view.ok());
  EXPECT_EQ(*with_view, std::vector<std::string>{kUser});

  ASSERT_TRUE(client.disassociateAccessPolicy(kUser, kEdit).ok());
  ASSERT_TRUE(client.deleteAccessEntry(kRole).ok());
  auto all = client.listAccessEntries();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, std::vector<std::string>{kUser});

  auto stored = fake_.entry(kCluster, kUser);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->kubernetes_groups, std::vector<std::string>{"ops"});
  ASSERT_EQ(stored->policies.size(), 1u);
  EXPECT_EQ(stored->policies.begin()->first, kView);

  // The fake saw each ARN as one decoded segment, and each create/update carried an idempotency token.
  auto log = fake_.requests();
  for (const auto& r : log) {
    EXPECT_EQ(r.status, 200) << r.operation;
    if (r.operation == "DescribeAccessEntry") {
      EXPECT_EQ(r.principal_arn, kUser);
      EXPECT_EQ(
          r.target,
          "/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fteam%2Feng%2Falice");
    }
    if (r.operation == "DisassociateAccessPolicy") {
      EXPECT_EQ(r.policy_arn, kEdit);
    }
    if (r.operation == "CreateAccessEntry" || r.operation == "UpdateAccessEntry") {
      EXPECT_NE(r.body.find("\"clientRequestToken\""), std::string::npos) << r.body;
    }
  }
  EXPECT_EQ(hook_counts_["CreateAccessEntry 200"], 2);
}

TEST_F(EksClientTest, ListAccessEntriesReturnsEveryPage) {
  seed(250);
  EksClient client(http_, creds_, options());
  auto all = client.listAccessEntries();
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 250u);
  EXPECT_EQ(all->front(), userArn(0));
  EXPECT_EQ(all->back(), userArn(249));
  auto log = fake_.requests();
  ASSERT_EQ(log.size(), 3u);
  for (const auto& r : log) {
    EXPECT_EQ(r.max_results, 100);
    EXPECT_FALSE(r.mutating);
  }
  EXPECT_TRUE(log[0].next_token.empty());
  EXPECT_FALSE(log[2].next_token.empty());

  // Pages shorter than asked are followed too.
  fake_.clearLog();
  fake_.setPageCap(7);
  auto capped = client.listAccessEntries();
  ASSERT_TRUE(capped.ok());
  EXPECT_EQ(*capped, *all);
  EXPECT_EQ(fake_.requests().size(), 36u);  // ceil(250 / 7)
}

TEST_F(EksClientTest, AFailedPageFailsTheWholeListing) {
  seed(150);
  auto o = options();
  // After the first page arrives, every later ListAccessEntries request fails (also the retries).
  o.on_request = [this](std::string_view op, std::string_view code) {
    if (op == "ListAccessEntries" && code == "200")
      fake_.failNext(-1, 500, "ServerException", "ListAccessEntries");
  };
  EksClient client(http_, creds_, o);
  auto all = client.listAccessEntries();
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().kind, ErrorKind::kServer);
  EXPECT_NE(all.error().message.find("ServerException"), std::string::npos) << all.error().message;
  EXPECT_NE(all.error().message.find("page 2; the listing is discarded"), std::string::npos)
      << all.error().message;
  EXPECT_EQ(operations(), (std::vector<std::string>{"ListAccessEntries:200", "ListAccessEntries:500",
                                                    "ListAccessEntries:500", "ListAccessEntries:500"}));
}

TEST_F(EksClientTest, ARepeatedNextTokenIsAnError) {
  seed(150);
  fake_.setRepeatNextToken(true);
  EksClient client(http_, creds_, options());
  auto all = client.listAccessEntries();
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().kind, ErrorKind::kParse);
  EXPECT_NE(all.error().message.find("same nextToken"), std::string::npos);
  EXPECT_EQ(fake_.requests().size(), 2u);
}

TEST_F(EksClientTest, ListAssociatedAccessPoliciesFollowsPages) {
  FakeEks::Entry e;
  e.principal_arn = kRole;
  for (const char* p : {"AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSViewPolicy"})
    e.policies[std::string("arn:aws:eks::aws:cluster-access-policy/") + p] = {"namespace", {"ns"}};
  ASSERT_TRUE(fake_.seedEntry(kCluster, e));
  auto o = options();
  o.max_results = 2;
  EksClient client(http_, creds_, o);
  auto policies = client.listAssociatedAccessPolicies(kRole);
  ASSERT_TRUE(policies.ok()) << policies.error().message;
  EXPECT_EQ(policies->size(), 3u);
  EXPECT_EQ(fake_.requests().size(), 2u);
  EXPECT_EQ(fake_.requests()[0].max_results, 2);
}

TEST_F(EksClientTest, EachErrorCodeComesBackWithItsKindAndMessage) {
  FakeEks::Entry node;
  node.principal_arn = kRole;
  node.type = "EC2_LINUX";
  ASSERT_TRUE(fake_.seedEntry(kCluster, node));
  fake_.addCluster("legacy", "CONFIG_MAP");
  EksClient client(http_, creds_, options());
  EksClient unknown(http_, creds_, options("nope"));
  EksClient legacy(http_, creds_, options("legacy"));
  auto expectError = [](const auto& result, const AwsError& details, ErrorKind kind, const std::string& code,
                        long status) {
    ASSERT_FALSE(result.ok()) << code;
    EXPECT_EQ(result.error().kind, kind) << result.error().message;
    EXPECT_EQ(details.code, code);
    EXPECT_EQ(details.http_status, status);
    EXPECT_FALSE(details.message.empty());
    EXPECT_FALSE(details.request_id.empty());
    EXPECT_NE(result.error().message.find("EKS "), std::string::npos);
    EXPECT_NE(result.error().message.find(code), std::string::npos) << result.error().message;
    EXPECT_EQ(result.error().message.find(kSecret), std::string::npos);
  };
  AwsError d;
  expectError(unknown.describeCluster(&d), d, ErrorKind::kNotFound, "ResourceNotFoundException", 404);
  expectError(client.describeAccessEntry(kUser, &d), d, ErrorKind::kNotFound, "ResourceNotFoundException",
              404);
  expectError(client.deleteAccessEntry(kUser, &d), d, ErrorKind::kNotFound, "ResourceNotFoundException", 404);
  expectError(client.disassociateAccessPolicy(kRole, kView, &d), d, ErrorKind::kNotFound,
              "ResourceNotFoundException", 404);
  EksCreateAccessEntryInput dup;
  dup.principal_arn = kRole;
  expectError(client.createAccessEntry(dup, &d), d, ErrorKind::kAlreadyExists, "ResourceInUseException", 409);
  EksCreateAccessEntryInput masters;
  masters.principal_arn = kUser;
  masters.kubernetes_groups = {"system:masters"};
  expectError(client.createAccessEntry(masters, &d), d, ErrorKind::kInvalidArgument,
              "InvalidParameterException", 400);
  for (const char* reserved : {"system:x", "eks:x", "aws:x", "amazon:x", "iam:x"}) {
    EksCreateAccessEntryInput bad;
    bad.principal_arn = kUser;
    bad.username = reserved;
    expectError(client.createAccessEntry(bad, &d), d, ErrorKind::kInvalidArgument,
                "InvalidParameterException", 400);
  }
  EksCreateAccessEntryInput in_legacy;
  in_legacy.principal_arn = kUser;
  expectError(legacy.createAccessEntry(in_legacy, &d), d, ErrorKind::kInvalidArgument,
              "InvalidRequestException", 400);
  expectError(client.associateAccessPolicy(kRole, kView, {"cluster", {}}, &d), d, ErrorKind::kInvalidArgument,
              "InvalidRequestException", 400);

  FixedCredentials wrong{kAkid, std::string(kSecret) + "x"};
  EksClient forged(http_, wrong, options());
  expectError(forged.describeCluster(&d), d, ErrorKind::kForbidden, "InvalidSignatureException", 403);
  EXPECT_EQ(fake_.entries(kCluster).size(), 1u) << "no refused call changed anything";
  EXPECT_TRUE(sleeps().empty()) << "none of these is retried";
}

TEST_F(EksClientTest, ASecretEchoedByTheServerIsRedacted) {
  // EKS quotes a refused username in its message; were it the secret, the error must not carry it.
  EksClient client(http_, creds_, options());
  EksCreateAccessEntryInput in;
  in.principal_arn = kUser;
  in.username = std::string("eks:") + kSecret;
  AwsError d;
  auto r = client.createAccessEntry(in, &d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(d.code, "InvalidParameterException");
  EXPECT_EQ(r.error().message.find(kSecret), std::string::npos) << r.error().message;
  EXPECT_EQ(d.message.find(kSecret), std::string::npos);
  EXPECT_NE(r.error().message.find("<redacted>"), std::string::npos) << r.error().message;
}

TEST_F(EksClientTest, TheQuotaIsResourceLimitExceeded) {
  seed(2999);
  EksClient client(http_, creds_, options());
  EksCreateAccessEntryInput in;
  in.principal_arn = kUser;
  ASSERT_TRUE(client.createAccessEntry(in).ok());
  in.principal_arn = kRole;
  AwsError d;
  auto full = client.createAccessEntry(in, &d);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(d.code, "ResourceLimitExceededException");
  EXPECT_EQ(full.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(full.error().message.find("3000"), std::string::npos) << full.error().message;
  EXPECT_EQ(fake_.entries(kCluster).size(), 3000u);
  auto all = client.listAccessEntries();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3000u);
}

TEST_F(EksClientTest, ThrottlingAndServerErrorsAreRetriedOthersAreNot) {
  EksClient client(http_, creds_, options());
  fake_.throttleNext(2);
  auto ok = client.describeCluster();
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(operations(),
            (std::vector<std::string>{"DescribeCluster:400", "DescribeCluster:400", "DescribeCluster:200"}));
  EXPECT_EQ(sleeps(), (std::vector<milliseconds>{milliseconds(50), milliseconds(100)}));

  fake_.clearLog();
  fake_.failNext(3, 503, "ServiceUnavailableException");
  AwsError d;
  auto down = client.describeCluster(&d);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, ErrorKind::kServer);
  EXPECT_EQ(d.code, "ServiceUnavailableException");
  EXPECT_NE(down.error().message.find("after 3 attempts"), std::string::npos);
  EXPECT_EQ(fake_.requests().size(), 3u);

  fake_.clearLog();
  EksCreateAccessEntryInput bad;
  bad.principal_arn = "not-an-arn";
  ASSERT_FALSE(client.createAccessEntry(bad, &d).ok());
  EXPECT_EQ(d.code, "InvalidParameterException");
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(EksClientTest, ARetriedCreateKeepsItsTokenAndGetsTheEntryBack) {
  auto o = options();
  o.request_token = [] { return std::string("token-1"); };
  EksClient client(http_, creds_, o);
  EksCreateAccessEntryInput in;
  in.principal_arn = kUser;
  ASSERT_TRUE(client.createAccessEntry(in).ok());
  // The same request again, as a retry after a lost answer would send it: EKS answers with the entry.
  auto again = client.createAccessEntry(in);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->principal_arn, kUser);
  // A different token is someone else's create: ResourceInUseException.
  in.client_request_token = "token-2";
  auto other = client.createAccessEntry(in);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, ErrorKind::kAlreadyExists);
}

TEST_F(EksClientTest, ANotFoundRightAfterCreateIsReportedAsNotFound) {
  // EKS is eventually consistent: an associate right after a create can see no entry. The client reports it
  // (kNotFound, not retried here); the caller decides to retry with backoff.
  EksClient client(http_, creds_, options());
  EksCreateAccessEntryInput in;
  in.principal_arn = kUser;
  ASSERT_TRUE(client.createAccessEntry(in).ok());
  fake_.failNext(1, 404, "ResourceNotFoundException", "AssociateAccessPolicy");
  auto first = client.associateAccessPolicy(kUser, kView, {"cluster", {}});
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().kind, ErrorKind::kNotFound);
  EXPECT_TRUE(client.associateAccessPolicy(kUser, kView, {"cluster", {}}).ok());
}

TEST_F(EksClientTest, ACancelledClientSendsNothing) {
  EksClient client(http_, creds_, options());
  http_.cancel();
  auto r = client.listAccessEntries();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
  EXPECT_TRUE(fake_.requests().empty());
}

TEST(EksClientLimitTest, AResponseOverTheLimitIsRefusedWithoutBeingHeld) {
  // An endpoint (or a proxy in front of it) that answers DescribeCluster with more than any real page.
  fakes::ServerThread big;
  big.server().Get(R"(/clusters/.*)", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(kMaxEksResponseBytes + 1, ' ') + "{}", "application/json");
  });
  ASSERT_GT(big.start(), 0);
  net::HttpClient http;
  FixedCredentials creds{kAkid, kSecret};
  EksClientOptions o;
  o.endpoint = Endpoint{big.url(), "us-east-1", "aws"};
  o.cluster_name = kCluster;
  o.request_timeout = milliseconds(3000);
  o.clock = testing::noWaitClock();
  EksClient client(http, creds, o);
  auto cluster = client.describeCluster();
  ASSERT_FALSE(cluster.ok());
  EXPECT_EQ(cluster.error().kind, ErrorKind::kTooLarge) << cluster.error().message;
}

TEST(EksClientTlsTest, CallsOverHttpsTrustingOnlyTheGivenCa) {
  auto pki = aar::testing::TestPki::generate();
  FakeEks fake;
  ASSERT_GT(fake.startTls(pki.server.cert, pki.server.key), 0);
  ASSERT_EQ(fake.url().rfind("https://127.0.0.1:", 0), 0u);
  fake.allowCredentials(kAkid, kSecret);
  fake.addCluster(kCluster, "API");
  FixedCredentials creds(kAkid, kSecret);
  EksClientOptions o;
  o.endpoint = Endpoint{fake.url(), "us-east-1", "aws"};
  o.cluster_name = kCluster;
  o.clock = testing::noWaitClock();
  {
    net::HttpClientOptions trusted;
    trusted.ca_pem = pki.ca.cert;
    net::HttpClient http(trusted);
    EksClient client(http, creds, o);
    auto cluster = client.describeCluster();
    ASSERT_TRUE(cluster.ok()) << cluster.error().toString();
    EXPECT_EQ(cluster->authentication_mode, EksAuthenticationMode::kApi);
  }
  net::HttpClient untrusting;  // the system store does not know the test CA
  EksClient client(untrusting, creds, o);
  auto refused = client.describeCluster();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kNetwork);
}

}  // namespace
}  // namespace aar::aws
