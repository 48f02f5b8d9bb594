#include "aws/endpoints.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace aar::aws {
namespace {

EnvLookup envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EndpointsTest, DefaultsToTheAwsPartitionWithoutARegion) {
  auto iam = iamEndpoint(envOf({}));
  ASSERT_TRUE(iam.ok());
  EXPECT_EQ(iam->url, "https://iam.amazonaws.com");
  EXPECT_EQ(iam->signing_region, "us-east-1");
  EXPECT_EQ(iam->partition, "aws");
  auto sts = stsEndpoint(envOf({}));
  ASSERT_TRUE(sts.ok());
  EXPECT_EQ(sts->url, "https://sts.amazonaws.com");
  EXPECT_EQ(sts->signing_region, "us-east-1");
}

TEST(EndpointsTest, IamIsGlobalInTheAwsPartitionWhateverTheRegion) {
  auto iam = iamEndpoint(envOf({{"AWS_REGION", "eu-west-1"}}));
  ASSERT_TRUE(iam.ok());
  EXPECT_EQ(iam->url, "https://iam.amazonaws.com");
  EXPECT_EQ(iam->signing_region, "us-east-1");
}

TEST(EndpointsTest, ChinaRegionsUseTheChinaIamEndpoint) {
  auto iam = iamEndpoint(envOf({{"AWS_REGION", "cn-northwest-1"}}));
  ASSERT_TRUE(iam.ok());
  EXPECT_EQ(iam->url, "https://iam.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(iam->signing_region, "cn-north-1");
  EXPECT_EQ(iam->partition, "aws-cn");
  auto sts = stsEndpoint(envOf({{"AWS_REGION", "cn-northwest-1"}}));
  EXPECT_EQ(sts->url, "https://sts.cn-northwest-1.amazonaws.com.cn");
  EXPECT_EQ(sts->signing_region, "cn-northwest-1");
}

TEST(EndpointsTest, GovCloudRegionsUseTheGovCloudIamEndpoint) {
  auto iam = iamEndpoint(envOf({{"AWS_DEFAULT_REGION", "us-gov-east-1"}}));
  ASSERT_TRUE(iam.ok());
  EXPECT_EQ(iam->url, "https://iam.us-gov.amazonaws.com");
  EXPECT_EQ(iam->signing_region, "us-gov-west-1");
  EXPECT_EQ(iam->partition, "aws-us-gov");
}

TEST(EndpointsTest, AwsRegionWinsOverAwsDefaultRegion) {
  auto env = envOf({{"AWS_REGION", "cn-north-1"}, {"AWS_DEFAULT_REGION", "us-gov-west-1"}});
  EXPECT_EQ(regionFromEnv(env), "cn-north-1");
  EXPECT_EQ(iamEndpoint(env)->partition, "aws-cn");
}

TEST(EndpointsTest, StsIsRegional) {
  auto sts = stsEndpoint(envOf({{"AWS_REGION", "eu-central-1"}}));
  ASSERT_TRUE(sts.ok());
  EXPECT_EQ(sts->url, "https://sts.eu-central-1.amazonaws.com");
  EXPECT_EQ(sts->signing_region, "eu-central-1");
}

TEST(EndpointsTest, ServiceSpecificOverrideWinsOverTheGeneralOne) {
  auto env = envOf({{"AWS_ENDPOINT_URL", "http://127.0.0.1:1/"},
                    {"AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:2"},
                    {"AWS_REGION", "cn-north-1"}});
  auto iam = iamEndpoint(env);
  ASSERT_TRUE(iam.ok());
  EXPECT_EQ(iam->url, "http://127.0.0.1:2");
  EXPECT_EQ(iam->signing_region, "cn-north-1");
  auto sts = stsEndpoint(env);
  ASSERT_TRUE(sts.ok());
  EXPECT_EQ(sts->url, "http://127.0.0.1:1");
}

TEST(EndpointsTest, StsOverrideApplies) {
  auto sts = stsEndpoint(envOf({{"AWS_ENDPOINT_URL_STS", "https://sts.example.test:8443"}}));
  ASSERT_TRUE(sts.ok());
  EXPECT_EQ(sts->url, "https://sts.example.test:8443");
}

TEST(EndpointsTest, RejectsAnOverrideThatIsNotHttp) {
  auto iam = iamEndpoint(envOf({{"AWS_ENDPOINT_URL_IAM", "ftp://x"}}));
  ASSERT_FALSE(iam.ok());
  EXPECT_EQ(iam.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(iam.error().message.find("AWS_ENDPOINT_URL_IAM"), std::string::npos);
  EXPECT_FALSE(stsEndpoint(envOf({{"AWS_ENDPOINT_URL", "127.0.0.1:5"}})).ok());
}

TEST(EndpointsTest, RejectsUserInfoWithoutEchoingIt) {
  auto iam = iamEndpoint(envOf({{"AWS_ENDPOINT_URL_IAM", "https://user:hunter2@iam.example"}}));
  ASSERT_FALSE(iam.ok());
  EXPECT_EQ(iam.error().message.find("hunter2"), std::string::npos);
}

TEST(EndpointsTest, SplitUrlKeepsThePortInTheHost) {
  auto parts = splitUrl("http://127.0.0.1:8080/base");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->scheme, "http");
  EXPECT_EQ(parts->host, "127.0.0.1:8080");
  EXPECT_EQ(parts->path, "/base");
  EXPECT_EQ(splitUrl("https://iam.amazonaws.com")->path, "/");
}

TEST(EndpointsTest, PartitionsMatchEveryRegionListedInPartitionsJson) {
  std::ifstream in(std::filesystem::path(AAR_SOURCE_DIR) / "tests/data/aws-models/partitions.json");
  ASSERT_TRUE(in.good());
  nlohmann::json doc = nlohmann::json::parse(in);
  int checked = 0;
  for (const auto& p : doc["partitions"]) {
    for (const auto& [region, _] : p["regions"].items()) {
      if (region.rfind("aws-", 0) == 0) continue;  // pseudo-regions like "aws-global"
      EXPECT_EQ(partitionForRegion(region), p["id"].get<std::string>()) << region;
      ++checked;
    }
  }
  EXPECT_GT(checked, 30);
}

TEST(EndpointsTest, UnknownRegionsFallBackToAws) {
  EXPECT_EQ(partitionForRegion(""), "aws");
  EXPECT_EQ(partitionForRegion("moon-base-1"), "aws");
}

}  // namespace
}  // namespace aar::aws
