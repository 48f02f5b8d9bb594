#include "app/run_options.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include "app/cli.hpp"

namespace aar::app {
namespace {

using namespace std::chrono_literals;

// Parses `args` (after "run") as the run command does, then validates. Returns the CLI11 error text or the
// validation error, empty on success.
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

TEST(RunOptionsTest, HasTheDocumentedDefaults) {
  RunOptions o;
  ASSERT_EQ(parse({}, o), "");
  EXPECT_EQ(o.namespace_name, "kube-system");
  EXPECT_EQ(o.config_map, "aws-auth-refresher");
  EXPECT_EQ(o.aws_auth_config_map, "aws-auth");
  EXPECT_EQ(o.refresh_interval, 15s);
  EXPECT_FALSE(o.once);
  EXPECT_FALSE(o.dry_run);
  EXPECT_TRUE(o.create_aws_auth);
  EXPECT_FALSE(o.leader_elect);
  EXPECT_EQ(o.leader_election_id, "aws-auth-refresher");
  EXPECT_EQ(o.leader_election_namespace, "kube-system");
  EXPECT_EQ(o.metrics_bind.host, "0.0.0.0");
  EXPECT_EQ(o.metrics_bind.port, 8080);
  EXPECT_EQ(o.health_bind.port, 8081);
  EXPECT_EQ(o.log_level, "info");
  EXPECT_EQ(o.log_format, "text");
}

TEST(RunOptionsTest, AcceptsEveryFlagOfTheIssue) {
  RunOptions o;
  ASSERT_EQ(parse({"--kubeconfig",
                   "/k",
                   "--context",
                   "c",
                   "--namespace",
                   "ns",
                   "--config-map",
                   "rules",
                   "--aws-auth-config-map",
                   "auth",
                   "--refresh-interval",
                   "1m30s",
                   "--once",
                   "--dry-run",
                   "--create-aws-auth=false",
                   "--leader-elect",
                   "--leader-election-id",
                   "lease",
                   "--leader-election-namespace",
                   "le-ns",
                   "--metrics-bind-address",
                   "0",
                   "--health-probe-bind-address",
                   "127.0.0.1:0",
                   "--log-level",
                   "debug",
                   "--log-format",
                   "json"},
                  o),
            "");
  EXPECT_EQ(o.kubeconfig, "/k");
  EXPECT_EQ(o.context, "c");
  EXPECT_EQ(o.namespace_name, "ns");
  EXPECT_EQ(o.config_map, "rules");
  EXPECT_EQ(o.aws_auth_config_map, "auth");
  EXPECT_EQ(o.refresh_interval, 90s);
  EXPECT_TRUE(o.once);
  EXPECT_TRUE(o.dry_run);
  EXPECT_FALSE(o.create_aws_auth);
  EXPECT_TRUE(o.leader_elect);
  EXPECT_EQ(o.leader_election_id, "lease");
  EXPECT_EQ(o.leader_election_namespace, "le-ns");
  EXPECT_TRUE(o.metrics_bind.disabled);
  EXPECT_EQ(o.health_bind.host, "127.0.0.1");
  EXPECT_EQ(o.log_level, "debug");
  EXPECT_EQ(o.log_format, "json");
}

TEST(RunOptionsTest, KeepsTheOriginalToolsKubeconfigFlag) {
  RunOptions o;
  ASSERT_EQ(parse({"--path-to-kubeconfig", "/old"}, o), "");
  EXPECT_EQ(o.kubeconfig, "/old");
}

TEST(RunOptionsTest, CreateAwsAuthIsABooleanFlagThatDefaultsToTrue) {
  for (auto [args, want] :
       std::vector<std::pair<std::vector<std::string>, bool>>{{{}, true},
                                                              {{"--create-aws-auth"}, true},
                                                              {{"--create-aws-auth=true"}, true},
                                                              {{"--create-aws-auth=false"}, false}}) {
    RunOptions o;
    ASSERT_EQ(parse(args, o), "");
    EXPECT_EQ(o.create_aws_auth, want) << (args.empty() ? "" : args[0]);
  }
}

TEST(RunOptionsTest, AllowMassRemovalIsOffUnlessGiven) {
  RunOptions off;
  ASSERT_EQ(parse({}, off), "");
  EXPECT_FALSE(off.allow_mass_removal);
  RunOptions on;
  ASSERT_EQ(parse({"--allow-mass-removal"}, on), "");
  EXPECT_TRUE(on.allow_mass_removal);
}

TEST(RunOptionsTest, LeaderElectionNamespaceFollowsNamespace) {
  RunOptions o;
  ASSERT_EQ(parse({"--namespace", "other"}, o), "");
  EXPECT_EQ(o.leader_election_namespace, "other");
}

TEST(RunOptionsTest, RejectsAnIntervalThatIsNotPositiveOrNotADuration) {
  for (const char* bad : {"0", "0s", "-5s", "15", "soon"}) {
    RunOptions o;
    std::string err = parse({"--refresh-interval", bad}, o);
    EXPECT_NE(err.find("--refresh-interval"), std::string::npos) << bad << ": " << err;
  }
}

TEST(RunOptionsTest, RejectsBadValuesNamingTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string flag;
  };
  for (const auto& c :
       std::vector<Case>{{{"--namespace", "Kube_System"}, "--namespace"},
                         {{"--config-map", "aws-auth"}, "--config-map"},
                         {{"--metrics-bind-address", "8080"}, "--metrics-bind-address"},
                         {{"--health-probe-bind-address", ":x"}, "--health-probe-bind-address"},
                         {{"--log-level", "trace"}, "--log-level"},
                         {{"--log-format", "xml"}, "--log-format"},
                         {{"--no-such-flag"}, "--no-such-flag"}}) {
    RunOptions o;
    std::string err = parse(c.args, o);
    EXPECT_NE(err.find(c.flag), std::string::npos) << c.args[0] << ": " << err;
  }
}

TEST(CliArgsTest, RunIsTheDefaultSubcommand) {
  EXPECT_EQ(normalizeArgs({}), std::vector<std::string>{"run"});
  EXPECT_EQ(normalizeArgs({"--once"}), (std::vector<std::string>{"run", "--once"}));
  EXPECT_EQ(normalizeArgs({"run", "--once"}), (std::vector<std::string>{"run", "--once"}));
  EXPECT_EQ(normalizeArgs({"plan", "--rules", "f"}), (std::vector<std::string>{"plan", "--rules", "f"}));
  EXPECT_EQ(normalizeArgs({"demo"}), std::vector<std::string>{"demo"});
  EXPECT_EQ(normalizeArgs({"--version"}), std::vector<std::string>{"--version"});
  EXPECT_EQ(normalizeArgs({"--help"}), std::vector<std::string>{"--help"});
}

TEST(CliArgsTest, AcceptsGoStyleSingleDashFlagsForRun) {
  EXPECT_EQ(normalizeArgs({"-path-to-kubeconfig", "/k", "-once"}),
            (std::vector<std::string>{"run", "--path-to-kubeconfig", "/k", "--once"}));
  EXPECT_EQ(normalizeArgs({"run", "-refresh-interval=30s"}),
            (std::vector<std::string>{"run", "--refresh-interval=30s"}));
  EXPECT_EQ(normalizeArgs({"-h"}), std::vector<std::string>{"-h"});
  EXPECT_EQ(normalizeArgs({"plan", "-o", "x"}), (std::vector<std::string>{"plan", "-o", "x"}));
}

}  // namespace
}  // namespace aar::app
