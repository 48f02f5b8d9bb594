// Proves FakeEks faithful with an official AWS client: Debian's botocore (in /usr/bin/python3), given the
// current EKS model from tests/data/aws-models, calls every access-entry operation, pages with botocore's
// paginators, and gets each error code as a ClientError with that code. Skips, saying so, only when
// /usr/bin/python3 or botocore is absent.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "boto3_support.hpp"
#include "fakes/aws/fake_eks.hpp"
#include "support/temp_dir.hpp"

namespace aar::fakes {
namespace {

using nlohmann::json;

using boto3::kPython;
using boto3::kSkipExit;
using boto3::RunResult;
using boto3::runScript;
constexpr char kAkid[] = "AKIABOTO3FAKEEKS0001";
constexpr char kSecret[] = "boto3/SecretKey+ForTheFakeEks0000000000";
constexpr char kCluster[] = "prod";
constexpr char kUser[] = "arn:aws:iam::123456789012:user/team/alice";
constexpr char kRole[] = "arn:aws:iam::123456789012:role/ops/deployer";
constexpr char kNode[] = "arn:aws:iam::123456789012:role/eks-node";
constexpr char kView[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
constexpr char kEdit[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";
constexpr auto kTimeout = std::chrono::seconds(120);

json call(const std::string& op, json args) { return {{"call", op}, {"args", std::move(args)}}; }

class EksBoto3Test : public testing::Test {
 protected:
  void SetUp() override {
    if (access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is absent: cannot run the botocore check";
    ASSERT_GT(fake_.start(), 0);
    fake_.allowCredentials(kAkid, kSecret);
    fake_.addCluster(kCluster, "API_AND_CONFIG_MAP");
  }

  // Runs boto3_eks.py with these steps; one result per step (null when botocore is not installed).
  json run(const json& steps, const std::string& secret = kSecret) {
    std::vector<std::string> args{
        kPython,    std::string(AAR_SOURCE_DIR) + "/tests/aws/boto3_eks.py", "--endpoint", fake_.url(),
        "--models", std::string(AAR_SOURCE_DIR) + "/tests/data/aws-models",  "--steps",    steps.dump()};
    const auto env = boto3::cleanEnv(home_.path(), kAkid, secret);
    RunResult r = runScript(args, env, kTimeout);
    if (r.exit_code == kSkipExit) {
      skipped_ = true;
      return nullptr;
    }
    EXPECT_EQ(r.exit_code, 0) << r.out;
    auto doc = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(doc.is_array()) << r.out;
    EXPECT_EQ(doc.size(), steps.size()) << r.out;
    return doc;
  }

  FakeEks fake_;
  test::TempDir home_{"aar-boto3-eks"};
  bool skipped_ = false;
};

#define SKIP_IF_NO_BOTOCORE() \
  if (skipped_)               \
  GTEST_SKIP() << "python3-botocore is not installed for " << kPython << " (scripts/setup.sh installs it)"

TEST_F(EksBoto3Test, EveryOperationRoundTripsWithEncodedArns) {
  const json tags = {{"aws-auth-refresher/owner", "aws-auth-refresher"},
                     {"aws-auth-refresher/principal-id", "AIDAEXAMPLE"}};
  json steps = json::array({
      call("describe_cluster", {{"name", kCluster}}),
      call("create_access_entry", {{"clusterName", kCluster},
                                   {"principalArn", kUser},
                                   {"kubernetesGroups", {"dev", "view"}},
                                   {"username", "alice"},
                                   {"tags", tags}}),
      call("create_access_entry", {{"clusterName", kCluster}, {"principalArn", kRole}}),
      call("describe_access_entry", {{"clusterName", kCluster}, {"principalArn", kRole}}),
      call("update_access_entry",
           {{"clusterName", kCluster}, {"principalArn", kUser}, {"kubernetesGroups", {"ops"}}}),
      call("associate_access_policy", {{"clusterName", kCluster},
                                       {"principalArn", kUser},
                                       {"policyArn", kView},
                                       {"accessScope", {{"type", "namespace"}, {"namespaces", {"a", "b"}}}}}),
      call("associate_access_policy", {{"clusterName", kCluster},
                                       {"principalArn", kUser},
                                       {"policyArn", kEdit},
                                       {"accessScope", {{"type", "cluster"}}}}),
      call("list_associated_access_policies", {{"clusterName", kCluster}, {"principalArn", kUser}}),
      call("disassociate_access_policy",
           {{"clusterName", kCluster}, {"principalArn", kUser}, {"policyArn", kEdit}}),
      call("describe_access_entry", {{"clusterName", kCluster}, {"principalArn", kUser}}),
      call("delete_access_entry", {{"clusterName", kCluster}, {"principalArn", kRole}}),
      call("list_access_entries", {{"clusterName", kCluster}}),
  });
  json r = run(steps);
  SKIP_IF_NO_BOTOCORE();
  ASSERT_EQ(r.size(), steps.size());
  for (size_t i = 0; i < r.size(); ++i) ASSERT_TRUE(r[i]["ok"].get<bool>()) << i << ": " << r[i].dump();

  EXPECT_EQ(r[0]["response"]["cluster"]["accessConfig"]["authenticationMode"], "API_AND_CONFIG_MAP");
  const json& created = r[1]["response"]["accessEntry"];
  EXPECT_EQ(created["principalArn"], kUser);
  EXPECT_EQ(created["type"], "STANDARD");
  EXPECT_EQ(created["username"], "alice");
  EXPECT_EQ(created["kubernetesGroups"], json({"dev", "view"}));
  EXPECT_EQ(created["tags"], tags);
  EXPECT_EQ(created["createdAt"].get<std::string>().rfind("2023-11-14 ", 0), 0u)
      << "botocore parses epoch seconds: " << created["createdAt"];
  // A role's entry, made with nothing but its ARN: STANDARD, the assumed-role username EKS derives.
  EXPECT_EQ(r[3]["response"]["accessEntry"]["type"], "STANDARD");
  EXPECT_EQ(r[3]["response"]["accessEntry"]["username"],
            "arn:aws:sts::123456789012:assumed-role/deployer/{{SessionName}}");
  EXPECT_EQ(r[4]["response"]["accessEntry"]["kubernetesGroups"], json({"ops"}));
  EXPECT_EQ(r[4]["response"]["accessEntry"]["username"], "alice") << "an update leaves absent fields alone";
  EXPECT_EQ(r[5]["response"]["associatedAccessPolicy"]["accessScope"],
            json({{"type", "namespace"}, {"namespaces", {"a", "b"}}}));
  EXPECT_EQ(r[5]["response"]["principalArn"], kUser);
  ASSERT_EQ(r[7]["response"]["associatedAccessPolicies"].size(), 2u);
  EXPECT_EQ(r[7]["response"]["associatedAccessPolicies"][0]["policyArn"], kEdit);
  EXPECT_EQ(r[9]["response"]["accessEntry"]["kubernetesGroups"], json({"ops"}));
  EXPECT_EQ(r[11]["response"]["accessEntries"], json({kUser}));

  auto entry = fake_.entry(kCluster, kUser);
  ASSERT_TRUE(entry.has_value());
  ASSERT_EQ(entry->policies.size(), 1u);
  EXPECT_EQ(entry->policies.begin()->first, kView);
  EXPECT_FALSE(fake_.entry(kCluster, kRole).has_value());

  // The log names each operation, says which ones write, and shows the ARN travelled as one encoded segment.
  auto log = fake_.requests();
  ASSERT_EQ(log.size(), steps.size());
  const std::vector<std::pair<std::string, bool>> expected = {
      {"DescribeCluster", false},         {"CreateAccessEntry", true},
      {"CreateAccessEntry", true},        {"DescribeAccessEntry", false},
      {"UpdateAccessEntry", true},        {"AssociateAccessPolicy", true},
      {"AssociateAccessPolicy", true},    {"ListAssociatedAccessPolicies", false},
      {"DisassociateAccessPolicy", true}, {"DescribeAccessEntry", false},
      {"DeleteAccessEntry", true},        {"ListAccessEntries", false}};
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].operation, expected[i].first) << i;
    EXPECT_EQ(log[i].mutating, expected[i].second) << i;
    EXPECT_EQ(log[i].status, 200) << i;
    EXPECT_EQ(log[i].access_key_id, kAkid);
  }
  EXPECT_EQ(log[3].target,
            "/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fops%2Fdeployer");
  EXPECT_EQ(log[3].principal_arn, kRole);
  EXPECT_EQ(log[8].policy_arn, kEdit);
}

TEST_F(EksBoto3Test, PaginatorsFollowNextTokens) {
  for (int i = 0; i < 250; ++i) {
    FakeEks::Entry e;
    e.principal_arn = "arn:aws:iam::123456789012:user/u" + std::to_string(1000 + i);
    ASSERT_TRUE(fake_.seedEntry(kCluster, e));
  }
  FakeEks::Entry many;
  many.principal_arn = kUser;
  many.policies[kView] = {"cluster", {}};
  many.policies[kEdit] = {"namespace", {"x"}};
  many.policies["arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"] = {"namespace", {"y"}};
  ASSERT_TRUE(fake_.seedEntry(kCluster, many));
  json steps = json::array({
      {{"paginate", "list_access_entries"}, {"args", {{"clusterName", kCluster}}}, {"page_size", 100}},
      {{"paginate", "list_access_entries"},
       {"args", {{"clusterName", kCluster}, {"associatedPolicyArn", kView}}},
       {"page_size", 100}},
      {{"paginate", "list_associated_access_policies"},
       {"args", {{"clusterName", kCluster}, {"principalArn", kUser}}},
       {"page_size", 2}},
  });
  json r = run(steps);
  SKIP_IF_NO_BOTOCORE();
  ASSERT_TRUE(r[0]["ok"].get<bool>()) << r.dump();
  EXPECT_EQ(r[0]["items"].size(), 251u);
  EXPECT_EQ(r[0]["pages"], 3);
  EXPECT_EQ(r[0]["items"][0], kUser) << "in principal ARN order";
  EXPECT_EQ(r[0]["items"][1], "arn:aws:iam::123456789012:user/u1000");
  EXPECT_EQ(r[1]["items"], json({kUser}));
  EXPECT_EQ(r[2]["items"].size(), 3u);
  EXPECT_EQ(r[2]["pages"], 2);
  auto log = fake_.requests();
  ASSERT_EQ(log.size(), 6u);
  EXPECT_EQ(log[0].max_results, 100);
  EXPECT_TRUE(log[0].next_token.empty());
  EXPECT_FALSE(log[1].next_token.empty());
  EXPECT_NE(log[1].next_token, log[2].next_token);
}

TEST_F(EksBoto3Test, EachErrorComesBackWithItsCode) {
  FakeEks::Entry node;
  node.principal_arn = kNode;
  node.type = "EC2_LINUX";
  node.kubernetes_groups = {"system:nodes"};
  ASSERT_TRUE(fake_.seedEntry(kCluster, node));
  fake_.addCluster("legacy", "CONFIG_MAP");
  json steps = json::array({
      call("describe_cluster", {{"name", "nope"}}),
      call("describe_access_entry", {{"clusterName", kCluster}, {"principalArn", kUser}}),
      call("create_access_entry", {{"clusterName", kCluster}, {"principalArn", kNode}}),
      call("create_access_entry",
           {{"clusterName", kCluster}, {"principalArn", kUser}, {"kubernetesGroups", {"system:masters"}}}),
      call("create_access_entry",
           {{"clusterName", kCluster}, {"principalArn", kUser}, {"username", "eks:alice"}}),
      call("create_access_entry", {{"clusterName", "legacy"}, {"principalArn", kUser}}),
      call("disassociate_access_policy",
           {{"clusterName", kCluster}, {"principalArn", kNode}, {"policyArn", kView}}),
      call("associate_access_policy", {{"clusterName", kCluster},
                                       {"principalArn", kNode},
                                       {"policyArn", kView},
                                       {"accessScope", {{"type", "cluster"}}}}),
      call("describe_access_entry", {{"clusterName", kCluster}, {"principalArn", kNode}}),
      call("describe_cluster", {{"name", "legacy"}}),
  });
  json r = run(steps);
  SKIP_IF_NO_BOTOCORE();
  const std::vector<std::pair<std::string, int>> expected = {
      {"ResourceNotFoundException", 404}, {"ResourceNotFoundException", 404},
      {"ResourceInUseException", 409},    {"InvalidParameterException", 400},
      {"InvalidParameterException", 400}, {"InvalidRequestException", 400},
      {"ResourceNotFoundException", 404}, {"InvalidRequestException", 400}};
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_FALSE(r[i]["ok"].get<bool>()) << i << ": " << r[i].dump();
    EXPECT_EQ(r[i]["code"], expected[i].first) << i;
    EXPECT_EQ(r[i]["status"], expected[i].second) << i;
    EXPECT_FALSE(r[i]["message"].get<std::string>().empty()) << i;
    EXPECT_FALSE(r[i]["request_id"].get<std::string>().empty()) << i;
  }
  EXPECT_NE(r[3]["message"].get<std::string>().find("system:masters"), std::string::npos);
  // The seeded node entry, as someone else made it.
  ASSERT_TRUE(r[8]["ok"].get<bool>());
  EXPECT_EQ(r[8]["response"]["accessEntry"]["type"], "EC2_LINUX");
  EXPECT_EQ(r[8]["response"]["accessEntry"]["username"], "system:node:{{EC2PrivateDNSName}}");
  EXPECT_EQ(r[9]["response"]["cluster"]["accessConfig"]["authenticationMode"], "CONFIG_MAP");
  EXPECT_EQ(fake_.entries(kCluster).size(), 1u) << "no refused call changed anything";
}

TEST_F(EksBoto3Test, TheQuotaOf3000EntriesIsResourceLimitExceeded) {
  for (int i = 0; i < 2999; ++i) {
    FakeEks::Entry e;
    e.principal_arn = "arn:aws:iam::123456789012:user/q" + std::to_string(i);
    ASSERT_TRUE(fake_.seedEntry(kCluster, e));
  }
  json steps = json::array({
      call("create_access_entry", {{"clusterName", kCluster}, {"principalArn", kUser}}),
      call("create_access_entry", {{"clusterName", kCluster}, {"principalArn", kRole}}),
  });
  json r = run(steps);
  SKIP_IF_NO_BOTOCORE();
  EXPECT_TRUE(r[0]["ok"].get<bool>()) << r[0].dump();
  ASSERT_FALSE(r[1]["ok"].get<bool>());
  EXPECT_EQ(r[1]["code"], "ResourceLimitExceededException");
  EXPECT_EQ(r[1]["status"], 400);
  EXPECT_EQ(fake_.entries(kCluster).size(), 3000u);
}

TEST_F(EksBoto3Test, AWrongSecretIsInvalidSignature) {
  json r = run(json::array({call("describe_cluster", {{"name", kCluster}})}), std::string(kSecret) + "x");
  SKIP_IF_NO_BOTOCORE();
  ASSERT_FALSE(r[0]["ok"].get<bool>());
  EXPECT_EQ(r[0]["code"], "InvalidSignatureException");
  EXPECT_EQ(r[0]["status"], 403);
}

TEST_F(EksBoto3Test, BotocoreRetriesTheFakesThrottlingAndServerErrors) {
  fake_.throttleNext(1);
  json r = run(json::array({call("describe_cluster", {{"name", kCluster}})}));
  SKIP_IF_NO_BOTOCORE();
  ASSERT_TRUE(r[0]["ok"].get<bool>()) << r.dump();
  auto log = fake_.requests();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].error_code, "ThrottlingException");
  EXPECT_EQ(log[1].status, 200);

  fake_.clearLog();
  fake_.failNext(2, 500, "ServerException", "ListAccessEntries");
  r = run(json::array({call("describe_cluster", {{"name", kCluster}}),
                       call("list_access_entries", {{"clusterName", kCluster}})}));
  EXPECT_TRUE(r[0]["ok"].get<bool>()) << "the fault is for ListAccessEntries only";
  ASSERT_FALSE(r[1]["ok"].get<bool>());
  EXPECT_EQ(r[1]["code"], "ServerException");
  EXPECT_EQ(r[1]["status"], 500);
  EXPECT_EQ(fake_.requests().size(), 3u);
}

}  // namespace
}  // namespace aar::fakes
