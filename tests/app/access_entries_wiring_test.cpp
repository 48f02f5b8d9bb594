// The access-entries wiring: the --backend flag, the region from the profile, and an EKS store built
// from the environment that reaches the fake EKS over HTTP on 127.0.0.1 with its requests counted.
#include "app/access_entries_wiring.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "controller/metrics_registry.hpp"
#include "fakes/aws/fake_eks.hpp"
#include "support/manual_clock.hpp"

namespace aar::app {
namespace {

using core::AuthenticationMode;

constexpr char kAkid[] = "AKIAFAKEWIRINGTEST01";
constexpr char kSecret[] = "wiring/secret/ssssssssssssssssssssssssss";

aws::EnvLookup envOf(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class FixedCredentials : public aws::CredentialsProvider {
 public:
  Result<aws::Credentials> get() override {
    return aws::Credentials{kAkid, kSecret, "", std::nullopt, "fixed"};
  }
  const char* name() const override { return "fixed"; }
};

// A temporary file removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& text)
      : path_(std::filesystem::temp_directory_path() /
              ("aar-wiring-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST(AccessEntriesWiringTest, ParsesTheBackendFlag) {
  EXPECT_EQ(*parseBackend("aws-auth"), controller::Backend::kAwsAuth);
  EXPECT_EQ(*parseBackend("access-entries"), controller::Backend::kAccessEntries);
  EXPECT_EQ(*parseBackend("auto"), controller::Backend::kAuto);
  auto bad = parseBackend("api");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("--backend \"api\""), std::string::npos);
}

TEST(AccessEntriesWiringTest, ReadsTheRegionOfTheProfile) {
  TempFile config("[default]\nregion = eu-west-1\n\n[profile dev]\nregion=ap-south-1\n[dev]\nregion=wrong\n");
  EXPECT_EQ(profileRegion(envOf({{"AWS_CONFIG_FILE", config.path()}})), "eu-west-1");
  EXPECT_EQ(profileRegion(envOf({{"AWS_CONFIG_FILE", config.path()}, {"AWS_PROFILE", "dev"}})), "ap-south-1");
  EXPECT_EQ(profileRegion(envOf({{"AWS_CONFIG_FILE", config.path()}, {"AWS_PROFILE", "none"}})), "");
  EXPECT_EQ(profileRegion(envOf({{"AWS_CONFIG_FILE", "/nonexistent/aar/config"}})), "");
  EXPECT_EQ(profileRegion(envOf({})), "");
  TempFile spelled("[profile default]\nregion = us-west-2\n");
  EXPECT_EQ(profileRegion(envOf({{"AWS_CONFIG_FILE", spelled.path()}})), "us-west-2");
  TempFile broken("this is not ini\n");
  EXPECT_EQ(profileRegion(envOf({{"AWS_CONFIG_FILE", broken.path()}})), "");
}

TEST(AccessEntriesWiringTest, WithoutARegionStartUpFailsSayingSo) {
  controller::MetricsRegistry registry;
  controller::ControllerMetrics metrics(registry, "test");
  test::ManualClock clock;
  FixedCredentials creds;
  RunOptions o;
  o.backend = "access-entries";
  o.cluster_name = "prod";
  auto parts =
      makeEksParts(o, creds, envOf({{"AWS_ENDPOINT_URL_EKS", "http://127.0.0.1:1"}}), clock, metrics);
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(parts.error().message.find("--backend access-entries"), std::string::npos)
      << parts.error().message;
  EXPECT_NE(parts.error().message.find("region"), std::string::npos) << parts.error().message;

  o.cluster_name.clear();
  auto no_cluster = makeEksParts(o, creds, envOf({{"AWS_REGION", "us-east-1"}}), clock, metrics);
  ASSERT_FALSE(no_cluster.ok());
  EXPECT_NE(no_cluster.error().message.find("--cluster-name"), std::string::npos);
}

TEST(AccessEntriesWiringTest, BuildsAStoreThatReachesEksAndCountsItsRequests) {
  fakes::FakeEks fake;
  ASSERT_GT(fake.start(), 0);
  fake.allowCredentials(kAkid, kSecret);
  fake.addCluster("prod", "API_AND_CONFIG_MAP");
  controller::MetricsRegistry registry;
  controller::ControllerMetrics metrics(registry, "test");
  test::ManualClock clock;
  FixedCredentials creds;
  RunOptions o;
  o.backend = "auto";
  o.cluster_name = "prod";
  o.owner_id = "team-a";
  TempFile config("[default]\nregion = us-east-1\n");
  auto parts = makeEksParts(o, creds,
                            envOf({{"AWS_CONFIG_FILE", config.path()}, {"AWS_ENDPOINT_URL_EKS", fake.url()}}),
                            clock, metrics);
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  EXPECT_EQ((*parts)->region, "us-east-1");
  EXPECT_EQ((*parts)->store->describe(), "cluster prod in us-east-1");
  auto mode = (*parts)->store->authenticationMode();
  ASSERT_TRUE(mode.ok()) << mode.error().message;
  EXPECT_EQ(*mode, AuthenticationMode::kApiAndConfigMap);

  // --owner-id reaches the store: it creates only entries tagged with it.
  core::AccessEntryOperation op;
  op.kind = core::AccessEntryOperation::Kind::kCreateAccessEntry;
  op.principal_arn = "arn:aws:iam::123456789012:user/a";
  op.tags = {{core::kAccessEntryOwnerTag, core::kDefaultAccessEntryOwnerId}};
  EXPECT_FALSE((*parts)->store->apply(op).ok());
  op.tags = {{core::kAccessEntryOwnerTag, "team-a"}};
  EXPECT_TRUE((*parts)->store->apply(op).ok());

  auto text = registry.renderText();
  EXPECT_NE(text.find("aws_auth_refresher_eks_requests_total{operation=\"DescribeCluster\",code=\"200\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("{operation=\"CreateAccessEntry\",code=\"200\"} 1"), std::string::npos) << text;
  (*parts)->cancel();
}

}  // namespace
}  // namespace aar::app
