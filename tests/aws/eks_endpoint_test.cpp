// eksEndpoint(): regional, per partition, the region's sources in order, and the overrides IAM honours.
#include <gtest/gtest.h>

#include <map>

#include "aws/endpoints.hpp"

namespace aar::aws {
namespace {

EnvLookup envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EksEndpointTest, IsRegionalInEachPartition) {
  auto e = eksEndpoint(envOf({{"AWS_REGION", "eu-west-1"}}));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->url, "https://eks.eu-west-1.amazonaws.com");
  EXPECT_EQ(e->signing_region, "eu-west-1");
  EXPECT_EQ(e->partition, "aws");
  auto cn = eksEndpoint(envOf({{"AWS_REGION", "cn-northwest-1"}}));
  ASSERT_TRUE(cn.ok());
  EXPECT_EQ(cn->url, "https://eks.cn-northwest-1.amazonaws.com.cn");
  EXPECT_EQ(cn->partition, "aws-cn");
  auto gov = eksEndpoint(envOf({{"AWS_REGION", "us-gov-west-1"}}));
  ASSERT_TRUE(gov.ok());
  EXPECT_EQ(gov->url, "https://eks.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(gov->partition, "aws-us-gov");
}

TEST(EksEndpointTest, TakesTheRegionFromAwsRegionThenAwsDefaultRegionThenTheProfile) {
  auto both =
      eksEndpoint(envOf({{"AWS_REGION", "us-west-2"}, {"AWS_DEFAULT_REGION", "eu-central-1"}}), "ap-south-1");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->signing_region, "us-west-2");
  auto fallback = eksEndpoint(envOf({{"AWS_DEFAULT_REGION", "eu-central-1"}}), "ap-south-1");
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ(fallback->signing_region, "eu-central-1");
  auto profile = eksEndpoint(envOf({}), "ap-south-1");
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(profile->url, "https://eks.ap-south-1.amazonaws.com");
}

TEST(EksEndpointTest, WithoutARegionItIsAClearError) {
  auto e = eksEndpoint(envOf({{"AWS_ENDPOINT_URL_EKS", "http://127.0.0.1:9"}}));
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(e.error().message.find("AWS_REGION"), std::string::npos);
}

TEST(EksEndpointTest, HonoursTheEksOverrideThenTheGeneralOneKeepingTheSigningRegion) {
  auto specific = eksEndpoint(envOf({{"AWS_REGION", "eu-west-1"},
                                     {"AWS_ENDPOINT_URL", "http://127.0.0.1:1"},
                                     {"AWS_ENDPOINT_URL_EKS", "http://127.0.0.1:2/"}}));
  ASSERT_TRUE(specific.ok());
  EXPECT_EQ(specific->url, "http://127.0.0.1:2");
  EXPECT_EQ(specific->signing_region, "eu-west-1");
  auto general =
      eksEndpoint(envOf({{"AWS_REGION", "eu-west-1"}, {"AWS_ENDPOINT_URL", "http://127.0.0.1:1"}}));
  ASSERT_TRUE(general.ok());
  EXPECT_EQ(general->url, "http://127.0.0.1:1");
  auto bad = eksEndpoint(envOf({{"AWS_REGION", "eu-west-1"}, {"AWS_ENDPOINT_URL_EKS", "ftp://x"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("AWS_ENDPOINT_URL_EKS"), std::string::npos);
}

}  // namespace
}  // namespace aar::aws
