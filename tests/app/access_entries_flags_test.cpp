// The access-entries flags of `run` (issue #13): defaults that change nothing for aws-auth users, and a clear
// start-up error for every bad combination.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "app/run_options.hpp"

namespace aar::app {
namespace {

// Parses `args` as the run command does, then validates: "" on success, else the error text.
std::string parse(std::vector<std::string> args, RunOptions& o) {
  CLI::App app;
  addRunFlags(app, o);
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return std::string("parse: ") + e.what();
  }
  auto st = validateRunOptions(o);
  return st.ok() ? "" : st.error().message;
}

TEST(AccessEntriesFlagsTest, DefaultsKeepTheAwsAuthBackend) {
  RunOptions o;
  ASSERT_EQ(parse({}, o), "");
  EXPECT_EQ(o.backend, "aws-auth");
  EXPECT_EQ(o.cluster_name, "");
  EXPECT_EQ(o.owner_id, "aws-auth-refresher");
  EXPECT_FALSE(o.allow_cluster_admin_policy);
}

TEST(AccessEntriesFlagsTest, AcceptsEachBackendWithAClusterName) {
  for (const char* backend : {"aws-auth", "access-entries", "auto"}) {
    RunOptions o;
    EXPECT_EQ(parse({"--backend", backend, "--cluster-name", "prod-1_a", "--owner-id",
                     "team a/x:y=z+1@q.r-s_t", "--allow-cluster-admin-policy"},
                    o),
              "")
        << backend;
    EXPECT_EQ(o.backend, backend);
    EXPECT_EQ(o.cluster_name, "prod-1_a");
    EXPECT_EQ(o.owner_id, "team a/x:y=z+1@q.r-s_t");
    EXPECT_TRUE(o.allow_cluster_admin_policy);
  }
}

TEST(AccessEntriesFlagsTest, AccessEntriesAndAutoNeedAClusterName) {
  for (const char* backend : {"access-entries", "auto"}) {
    RunOptions o;
    auto err = parse({"--backend", backend}, o);
    EXPECT_NE(err.find("needs --cluster-name"), std::string::npos) << err;
    EXPECT_NE(err.find(backend), std::string::npos) << err;
  }
  RunOptions aws_auth;
  EXPECT_EQ(parse({"--backend", "aws-auth"}, aws_auth), "");
}

TEST(AccessEntriesFlagsTest, RefusesAnUnknownBackend) {
  RunOptions o;
  auto err = parse({"--backend", "configmap", "--cluster-name", "c"}, o);
  EXPECT_NE(err.find("parse:"), std::string::npos) << err;
  EXPECT_NE(err.find("--backend"), std::string::npos) << err;
  // Set directly, past CLI11: validation still refuses it.
  RunOptions direct;
  direct.backend = "api";
  direct.cluster_name = "c";
  auto st = validateRunOptions(direct);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("--backend \"api\""), std::string::npos) << st.error().message;
}

TEST(AccessEntriesFlagsTest, RefusesABadClusterName) {
  for (const char* bad : {"-lead", "has space", "dot.ted", "sl/ash", "ünï"}) {
    RunOptions o;
    auto err = parse({"--backend", "access-entries", "--cluster-name", bad}, o);
    EXPECT_NE(err.find("--cluster-name"), std::string::npos) << bad << ": " << err;
  }
  RunOptions too_long;
  EXPECT_NE(
      parse({"--backend", "auto", "--cluster-name", std::string(101, 'a')}, too_long).find("--cluster-name"),
      std::string::npos);
  RunOptions hundred;
  EXPECT_EQ(parse({"--backend", "auto", "--cluster-name", std::string(100, 'a')}, hundred), "");
}

TEST(AccessEntriesFlagsTest, RefusesAnOwnerIdThatIsNoTagValue) {
  for (std::string bad :
       {std::string(""), std::string("a,b"), std::string("quote\""), std::string(257, 'x')}) {
    RunOptions o;
    auto err = parse({"--backend", "access-entries", "--cluster-name", "c", "--owner-id", bad}, o);
    EXPECT_NE(err.find("--owner-id"), std::string::npos) << bad << ": " << err;
  }
  RunOptions max;
  EXPECT_EQ(parse({"--owner-id", std::string(256, 'x')}, max), "");
}

}  // namespace
}  // namespace aar::app
