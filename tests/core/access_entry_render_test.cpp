#include "core/access_entry_render.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aar::core {
namespace {

using ::testing::HasSubstr;
using Op = AccessEntryOperation;

constexpr char kView[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

// A plan made by planAccessEntries, so the renderings are checked on what the controller will print.
AccessEntryPlan samplePlan() {
  AccessEntryTargets t;
  t.entries = {DesiredAccessEntry{PrincipalKind::kUser, "arn:aws:iam::1:user/a", "AIDAA", 0, "a", {"g"}, {}},
               DesiredAccessEntry{PrincipalKind::kUser,
                                  "arn:aws:iam::1:user/b",
                                  "AIDAB",
                                  0,
                                  "bob smith",
                                  {"g,h"},
                                  {AccessPolicy{kView, {AccessScope::Type::kNamespace, {"prod", "dev"}}}}},
               DesiredAccessEntry{PrincipalKind::kRole, "arn:aws:iam::1:role/F", "AROAF", 1, "f", {}, {}}};
  ExistingAccessEntry a;  // ours, stale
  a.principal_arn = "arn:aws:iam::1:user/a";
  a.username = "old";
  a.tags = {{kAccessEntryOwnerTag, kDefaultAccessEntryOwnerId}, {kAccessEntryPrincipalIdTag, "AIDAA"}};
  a.policies = {AccessPolicy{kView, {AccessScope::Type::kCluster, {}}}};
  ExistingAccessEntry gone = a;
  gone.principal_arn = "arn:aws:iam::1:user/gone";
  ExistingAccessEntry foreign;
  foreign.principal_arn = "arn:aws:iam::1:role/F";
  auto p = planAccessEntries(t, {a, gone, foreign}, AccessEntryOptions{});
  EXPECT_TRUE(p.ok());
  return p.ok() ? *p : AccessEntryPlan{};
}

TEST(AccessEntryRenderTest, TextHasOneCallPerLineInOrder) {
  EXPECT_EQ(renderAccessEntryPlanText(samplePlan()),
            "CreateAccessEntry arn:aws:iam::1:user/b type=STANDARD username=\"bob smith\" groups=[\"g,h\"] "
            "tags={aws-auth-refresher/owner=aws-auth-refresher,aws-auth-refresher/principal-id=AIDAB}\n"
            "AssociateAccessPolicy arn:aws:iam::1:user/b policy=arn:aws:eks::aws:cluster-access-policy/"
            "AmazonEKSViewPolicy scope=namespace:[dev,prod]\n"
            "UpdateAccessEntry arn:aws:iam::1:user/a username=a groups=[g]\n"
            "DisassociateAccessPolicy arn:aws:iam::1:user/a policy=arn:aws:eks::aws:cluster-access-policy/"
            "AmazonEKSViewPolicy\n"
            "DeleteAccessEntry arn:aws:iam::1:user/gone reason=principal-gone\n"
            "# skipped arn:aws:iam::1:role/F (mapRoles rule 1): foreign-entry\n");
}

TEST(AccessEntryRenderTest, EmptyPlanSaysSo) {
  EXPECT_EQ(renderAccessEntryPlanText(AccessEntryPlan{}),
            "# no calls: every access entry is as it should be\n");
  const auto j = nlohmann::json::parse(renderAccessEntryPlanJson(AccessEntryPlan{}));
  EXPECT_TRUE(j.at("operations").empty());
  EXPECT_EQ(j.at("notCreatedOverLimit"), 0);
}

TEST(AccessEntryRenderTest, TextReportsTheLimit) {
  AccessEntryPlan p;
  p.not_created_over_limit = 7;
  EXPECT_THAT(renderAccessEntryPlanText(p),
              HasSubstr("# not created (the cluster's access entry limit): 7\n"));
}

TEST(AccessEntryRenderTest, JsonUsesEksFieldNames) {
  const auto j = nlohmann::json::parse(renderAccessEntryPlanJson(samplePlan()));
  const auto& ops = j.at("operations");
  ASSERT_EQ(ops.size(), 5u);
  EXPECT_EQ(ops[0].at("operation"), "CreateAccessEntry");
  EXPECT_EQ(ops[0].at("principalArn"), "arn:aws:iam::1:user/b");
  EXPECT_EQ(ops[0].at("type"), "STANDARD");
  EXPECT_EQ(ops[0].at("username"), "bob smith");
  EXPECT_EQ(ops[0].at("kubernetesGroups"), nlohmann::json::array({"g,h"}));
  EXPECT_EQ(ops[0].at("tags").at("aws-auth-refresher/principal-id"), "AIDAB");
  EXPECT_EQ(ops[1].at("accessScope"),
            nlohmann::json::parse(R"({"type":"namespace","namespaces":["dev","prod"]})"));
  EXPECT_EQ(ops[2].at("operation"), "UpdateAccessEntry");
  EXPECT_EQ(ops[3].at("policyArn"), kView);
  EXPECT_EQ(ops[4].at("reason"), "principal-gone");
  EXPECT_EQ(j.at("skipped")[0].at("reason"), "foreign-entry");
  EXPECT_EQ(j.at("skipped")[0].at("kind"), "role");
  EXPECT_EQ(j.at("foreignEntries"), 1);
  EXPECT_EQ(j.at("managedEntries"), 2);  // a and b; F is foreign, gone is deleted.
}

TEST(AccessEntryRenderTest, JsonEscapesEverything) {
  AccessEntryPlan p;
  Op op;
  op.kind = Op::Kind::kUpdateAccessEntry;
  op.principal_arn = "arn:aws:iam::1:user/a";
  op.username = std::string("q\"b\\s\n\x01\xc3\xa9");
  p.operations.push_back(op);
  const auto j = nlohmann::json::parse(renderAccessEntryPlanJson(p));
  EXPECT_EQ(j.at("operations")[0].at("username"), op.username);
  // And the text line stays one line.
  const std::string text = renderAccessEntryPlanText(p);
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  EXPECT_THAT(text, HasSubstr("username=\"q\\\"b\\\\s\\n\\u0001"));
}

TEST(AccessEntryRenderTest, ClusterScopeHasNoNamespaces) {
  AccessEntryPlan p;
  Op op;
  op.kind = Op::Kind::kAssociateAccessPolicy;
  op.principal_arn = "arn:aws:iam::1:user/a";
  op.policy = AccessPolicy{kView, {AccessScope::Type::kCluster, {}}};
  p.operations.push_back(op);
  const auto j = nlohmann::json::parse(renderAccessEntryPlanJson(p));
  EXPECT_EQ(j.at("operations")[0].at("accessScope"), nlohmann::json::parse(R"({"type":"cluster"})"));
  EXPECT_THAT(renderAccessEntryPlanText(p), HasSubstr("scope=cluster\n"));
}

}  // namespace
}  // namespace aar::core
