// The EKS JSON shapes: request bodies as the model names them, strict parsing where a decision depends on a
// value, and the ways an EKS error names its code.
#include "aws/eks_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace aar::aws {
namespace {

using nlohmann::json;

TEST(EksJsonTest, CreateBodyOmitsWhatIsUnsetAndKeepsWhatIsSet) {
  EksCreateAccessEntryInput in;
  in.principal_arn = "arn:aws:iam::1:user/a";
  EXPECT_EQ(json::parse(eksCreateAccessEntryBody(in)),
            json({{"principalArn", "arn:aws:iam::1:user/a"}, {"type", "STANDARD"}}));
  in.kubernetes_groups = {"dev"};
  in.username = "a";
  in.tags = {{"k", "v"}};
  in.client_request_token = "t";
  EXPECT_EQ(json::parse(eksCreateAccessEntryBody(in)), json({{"principalArn", "arn:aws:iam::1:user/a"},
                                                             {"type", "STANDARD"},
                                                             {"kubernetesGroups", {"dev"}},
                                                             {"username", "a"},
                                                             {"tags", {{"k", "v"}}},
                                                             {"clientRequestToken", "t"}}));
}

TEST(EksJsonTest, UpdateBodySendsAnEmptyGroupListButNotAnAbsentOne) {
  EksUpdateAccessEntryInput up;
  up.principal_arn = "arn:aws:iam::1:user/a";
  EXPECT_EQ(json::parse(eksUpdateAccessEntryBody(up)), json::object()) << "the ARN travels in the path";
  up.kubernetes_groups = std::vector<std::string>{};
  EXPECT_EQ(json::parse(eksUpdateAccessEntryBody(up)), json({{"kubernetesGroups", json::array()}}));
}

TEST(EksJsonTest, AssociateBodyHasNamespacesOnlyForANamespaceScope) {
  EXPECT_EQ(json::parse(eksAssociateAccessPolicyBody("p", {"cluster", {}})),
            json({{"policyArn", "p"}, {"accessScope", {{"type", "cluster"}}}}));
  EXPECT_EQ(json::parse(eksAssociateAccessPolicyBody("p", {"namespace", {"a"}})),
            json({{"policyArn", "p"}, {"accessScope", {{"type", "namespace"}, {"namespaces", {"a"}}}}}));
}

TEST(EksJsonTest, InvalidUtf8IsReplacedNotThrown) {
  EksCreateAccessEntryInput in;
  in.principal_arn = "arn:aws:iam::1:user/a";
  in.username = std::string("bad\xff");
  std::string body;
  EXPECT_NO_THROW(body = eksCreateAccessEntryBody(in));
  EXPECT_NE(body.find("\xEF\xBF\xBD"), std::string::npos);
}

TEST(EksJsonTest, DescribeClusterNeedsAKnownAuthenticationMode) {
  auto ok =
      parseEksDescribeCluster(R"({"cluster":{"name":"c","accessConfig":{"authenticationMode":"API"}}})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->authentication_mode, EksAuthenticationMode::kApi);
  for (const char* body : {R"({"cluster":{"name":"c"}})", R"({"cluster":{"accessConfig":{}}})",
                           R"({"cluster":{"accessConfig":{"authenticationMode":"SOMETHING_NEW"}}})", "[]",
                           "not json", R"({"clusters":{}})"}) {
    auto r = parseEksDescribeCluster(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().kind, ErrorKind::kParse) << body;
  }
}

TEST(EksJsonTest, AccessEntryParsingIsStrictAboutTypes) {
  auto ok = parseEksAccessEntryResponse(
      R"({"accessEntry":{"principalArn":"p","type":"STANDARD","username":"u","kubernetesGroups":["g"],)"
      R"("tags":{"a":"b"},"createdAt":1700000001.5,"unknownMember":1}})");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->kubernetes_groups, std::vector<std::string>{"g"});
  EXPECT_EQ(ok->tags.at("a"), "b");
  EXPECT_DOUBLE_EQ(ok->created_at, 1700000001.5);
  for (const char* body : {R"({"accessEntry":{"type":"STANDARD"}})",
                           R"({"accessEntry":{"principalArn":"p","kubernetesGroups":"g"}})",
                           R"({"accessEntry":{"principalArn":"p","kubernetesGroups":[1]}})",
                           R"({"accessEntry":{"principalArn":"p","tags":{"a":1}}})", R"({})"}) {
    auto r = parseEksAccessEntryResponse(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error().kind, ErrorKind::kParse) << body;
  }
}

TEST(EksJsonTest, PagesCarryTheirNextToken) {
  auto page = parseEksListAccessEntries(R"({"accessEntries":["a","b"],"nextToken":"t"})");
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(page->next_token, "t");
  auto last = parseEksListAccessEntries(R"({"accessEntries":[],"nextToken":null})");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->next_token.empty());
  EXPECT_FALSE(parseEksListAccessEntries(R"({"accessEntries":["a"],"nextToken":5})").ok());
  EXPECT_FALSE(parseEksListAccessEntries(R"({"accessEntries":"a"})").ok());
  auto policies = parseEksListAssociatedAccessPolicies(
      R"({"associatedAccessPolicies":[{"policyArn":"p","accessScope":{"type":"namespace","namespaces":["n"]}}]})");
  ASSERT_TRUE(policies.ok());
  EXPECT_EQ(policies->items.at(0).scope, (EksAccessScope{"namespace", {"n"}}));
  EXPECT_FALSE(parseEksListAssociatedAccessPolicies(
                   R"({"associatedAccessPolicies":[{"policyArn":"p","accessScope":{"type":"galaxy"}}]})")
                   .ok());
  EXPECT_FALSE(parseEksAssociateAccessPolicy(R"({"associatedAccessPolicy":{"policyArn":"p"}})").ok());
}

TEST(EksJsonTest, ErrorCodeFromTheHeaderThenTheBody) {
  auto h = parseEksError("ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.eks/",
                         R"({"message":"No cluster found for name: x."})");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->code, "ResourceNotFoundException");
  EXPECT_EQ(h->message, "No cluster found for name: x.");
  auto t = parseEksError(std::nullopt,
                         R"({"__type":"com.amazonaws.eks#InvalidParameterException","Message":"m"})");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->code, "InvalidParameterException");
  EXPECT_EQ(t->message, "m");
  auto c = parseEksError("", R"({"code":"ThrottlingException","message":"Rate exceeded"})");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->code, "ThrottlingException");
  EXPECT_FALSE(parseEksError(std::nullopt, "<html>502 Bad Gateway</html>").has_value());
  EXPECT_FALSE(parseEksError(std::nullopt, R"({"message":"no code"})").has_value());
}

}  // namespace
}  // namespace aar::aws
