// The real binary against the fake API server and the fake IAM: what the README and issue 5 promise.
#include <signal.h>

#include <sstream>
#include <thread>

#include "e2e/harness.hpp"

namespace aar::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kNodeRoles =
    "- rolearn: arn:aws:iam::1234567890:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  "
    "groups:\n"
    "  - system:bootstrappers\n  - system:nodes\n";
const std::string kAccounts = "- \"111122223333\"\n";
const std::string kAdminUsers =
    "- userarn: arn:aws:iam::1234567890:user/admin\n  username: admin\n  groups:\n  - system:masters\n";

Entry foo(const std::string& name) { return {userArn(name), "foo", {"system:masters"}}; }
Entry bar(const std::string& name) { return {userArn(name), "bar", {"developers"}}; }
Entry admin() { return {userArn("admin"), "admin", {"system:masters"}}; }

class ControllerE2eTest : public E2eTest {};

TEST_F(ControllerE2eTest, FollowsTheSeedReadmeThroughItsThreeSteps) {
  putRules(kSeedRules);
  putAwsAuth({{"mapRoles", kNodeRoles}, {"mapUsers", kAdminUsers}});
  iam_->addUser("tmp-foo-one");
  iam_->addUser("admin");
  ChildProcess& c = start({"--refresh-interval", "100ms"});

  ASSERT_TRUE(eventually([&] {
    return mapUsers() == std::vector<Entry>{foo("tmp-foo-one"), admin()};
  })) << c.err();
  iam_->addUser("tmp-bar-one");
  iam_->addUser("tmp-bar-two");
  ASSERT_TRUE(eventually([&] {
    return mapUsers() ==
           std::vector<Entry>{bar("tmp-bar-one"), bar("tmp-bar-two"), foo("tmp-foo-one"), admin()};
  })) << c.err();
  iam_->removeUser("tmp-foo-one");
  iam_->removeUser("tmp-bar-two");
  ASSERT_TRUE(eventually([&] {
    return mapUsers() == std::vector<Entry>{bar("tmp-bar-one"), admin()};
  })) << c.err();
  EXPECT_EQ(awsAuthData("mapRoles"), kNodeRoles);
  // The fake API server logs a request just after applying it: wait for the log to catch up with the state.
  EXPECT_TRUE(eventually([&] { return configMapWrites() == 3u; })) << configMapWrites();
  // Each change is logged at info with ARN, username and groups; the secret key never is.
  EXPECT_TRUE(eventually([&] {
    return c.err().find("removed arn=" + userArn("tmp-foo-one")) != std::string::npos;
  })) << c.err();
  std::string log = c.err();
  EXPECT_NE(log.find("added arn=" + userArn("tmp-bar-two") + " username=bar groups=[developers]"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find(kSecretKey), std::string::npos);
}

TEST_F(ControllerE2eTest, PreservesMapRolesMapAccountsAndUnmanagedEntries) {
  putRules("- arnRegex: .*\n  username: everyone\n  groups: [viewers]\n");
  putAwsAuth({{"mapRoles", kNodeRoles}, {"mapAccounts", kAccounts}, {"mapUsers", kAdminUsers}});
  iam_->addUser("admin");  // has a hand-written entry: it must keep it, with no second entry
  iam_->addUser("alice");
  ASSERT_EQ(runToExit({"--once"}), 0);
  EXPECT_EQ(awsAuthData("mapRoles"), kNodeRoles);
  EXPECT_EQ(awsAuthData("mapAccounts"), kAccounts);
  EXPECT_EQ(mapUsers(), (std::vector<Entry>{{userArn("alice"), "everyone", {"viewers"}}, admin()}));
  // Removing every rule removes only our entry.
  putRules("[]");
  ASSERT_EQ(runToExit({"--once"}), 0);
  EXPECT_EQ(mapUsers(), std::vector<Entry>{admin()});
  EXPECT_EQ(awsAuthData("mapRoles"), kNodeRoles);
  EXPECT_EQ(awsAuthData("mapAccounts"), kAccounts);
}

TEST_F(ControllerE2eTest, TakesOverTheGoToolsEntriesOnlyWithAdoptMatchingEntries) {
  // aws-auth as the 2019 tool left it: entries exactly as the rules write them, no ownership record.
  putRules(kSeedRules);
  const std::string go_tool_users = kAdminUsers + "- userarn: " + userArn("tmp-foo-gone") +
                                    "\n  username: foo\n  groups:\n  - system:masters\n"
                                    "- userarn: " +
                                    userArn("tmp-foo-one") +
                                    "\n  username: foo\n  groups:\n  - system:masters\n";
  putAwsAuth({{"mapRoles", kNodeRoles}, {"mapUsers", go_tool_users}});
  iam_->addUser("admin");
  iam_->addUser("tmp-foo-one");  // tmp-foo-gone's IAM user no longer exists.
  ASSERT_EQ(runToExit({"--once"}), 0);
  EXPECT_EQ(configMapWrites(), 0u);  // without the flag, all three entries are someone else's.

  ChildProcess* c = nullptr;
  ASSERT_EQ(runToExit({"--once", "--adopt-matching-entries"}, {}, 20s, &c), 0);
  EXPECT_EQ(mapUsers(), (std::vector<Entry>{foo("tmp-foo-one"), admin()}));
  EXPECT_EQ(awsAuthData("mapRoles"), kNodeRoles);
  EXPECT_NE(c->err().find("adopting the entry for " + userArn("tmp-foo-one")), std::string::npos) << c->err();
  // From now on tmp-foo-one is ours, with or without the flag.
  iam_->removeUser("tmp-foo-one");
  ASSERT_EQ(runToExit({"--once"}), 0);
  EXPECT_EQ(mapUsers(), std::vector<Entry>{admin()});
}

TEST_F(ControllerE2eTest, DoesNotWriteOverFiveUnchangedCycles) {
  putRules(kSeedRules);
  putAwsAuth({{"mapRoles", kNodeRoles}});
  iam_->addUser("tmp-foo-one");
  ChildProcess& c = start({"--refresh-interval", "50ms", "--log-level", "debug", "--log-format", "json"});
  ASSERT_TRUE(eventually([&] { return mapUsers() == std::vector<Entry>{foo("tmp-foo-one")}; })) << c.err();
  size_t lists_after_write = listUsersRequests();
  ASSERT_TRUE(eventually([&] { return listUsersRequests() >= lists_after_write + 6; })) << c.err();
  EXPECT_EQ(configMapWrites(), 1u);
  EXPECT_EQ(kube_->countRequests("update", "configmaps"), 1u);
  // Debug logs: a summary per cycle, every line a JSON object, and never the secret key or the bearer token.
  std::string log = c.err();
  EXPECT_NE(log.find("cycle done: result=success changes=0 wrote=false"), std::string::npos) << log;
  EXPECT_EQ(log.find(kSecretKey), std::string::npos);
  EXPECT_EQ(log.find("test-token"), std::string::npos);
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    EXPECT_TRUE(j.contains("msg") && j.contains("level") && j.contains("ts")) << line;
  }
}

TEST_F(ControllerE2eTest, CreatesAwsAuthWhenMissingUnlessToldNotTo) {
  putRules(kSeedRules);
  iam_->addUser("tmp-foo-one");
  ASSERT_EQ(runToExit({"--once", "--create-aws-auth=false"}), 1);
  EXPECT_FALSE(awsAuth());
  ASSERT_EQ(runToExit({"--once"}), 0);
  EXPECT_EQ(mapUsers(), std::vector<Entry>{foo("tmp-foo-one")});
  // The fake logs a request just after answering it.
  EXPECT_TRUE(eventually([&] { return kube_->countRequests("create", "configmaps") == 1u; }))
      << kube_->countRequests("create", "configmaps");
}

TEST_F(ControllerE2eTest, WritesNothingWhenIamFailsOnPageTwo) {
  putRules(kSeedRules);
  putAwsAuth({{"mapRoles", kNodeRoles}});
  for (const char* u : {"tmp-foo-a", "tmp-foo-b", "tmp-foo-c"}) iam_->addUser(u);
  iam_->setPageCap(1);
  iam_->failPage(2, 500, -1);
  ChildProcess* c = nullptr;
  EXPECT_EQ(runToExit({"--once"}, {}, 20s, &c), 1);
  EXPECT_EQ(configMapWrites(), 0u);
  EXPECT_EQ(awsAuthData("mapUsers"), "");
  EXPECT_NE(c->err().find("ListUsers"), std::string::npos) << c->err();
  // Once IAM recovers, every page is read and all three entries are written.
  iam_->clearFaults();
  iam_->setPageCap(1);
  EXPECT_EQ(runToExit({"--once"}), 0);
  EXPECT_EQ(mapUsers().size(), 3u);
}

TEST_F(ControllerE2eTest, RetriesThrottledIamRequests) {
  putRules(kSeedRules);
  iam_->addUser("tmp-foo-one");
  iam_->throttleNext(2);
  EXPECT_EQ(runToExit({"--once"}), 0);
  EXPECT_EQ(mapUsers(), std::vector<Entry>{foo("tmp-foo-one")});
}

TEST_F(ControllerE2eTest, NeverActsOnInvalidRules) {
  // The 2019 tool ignored the misspelt key and matched every user into system:masters.
  putRules(
      "- arnregex: ^arn:aws:iam::1234567890:user/tmp-.*$\n  username: foo\n  groups: [system:masters]\n");
  putAwsAuth({{"mapRoles", kNodeRoles}});
  iam_->addUser("tmp-foo-one");
  ChildProcess* once = nullptr;
  EXPECT_EQ(runToExit({"--once"}, {}, 20s, &once), 1);
  EXPECT_EQ(configMapWrites(), 0u);
  EXPECT_NE(once->err().find("unknown key \"arnregex\""), std::string::npos) << once->err();

  // Running with valid rules, then broken: the last valid rules stay in effect, config_valid drops to 0.
  putRules(kSeedRules);
  ChildProcess& c = start({"--refresh-interval", "100ms"});
  ASSERT_TRUE(eventually([&] { return mapUsers() == std::vector<Entry>{foo("tmp-foo-one")}; })) << c.err();
  putRules("- arnRegex: .*\n  username: mallory\n  groups: [system:masters]\n  extra: 1\n");
  iam_->addUser("tmp-bar-one");
  ASSERT_TRUE(eventually([&] {
    return mapUsers() == std::vector<Entry>{bar("tmp-bar-one"), foo("tmp-foo-one")};
  })) << c.err();
  int port = 0;
  ASSERT_TRUE(eventually([&] { return (port = loggedPort(c, "/metrics")) > 0; }));
  EXPECT_NE(httpGet(port, "/metrics").second.find("aws_auth_refresher_config_valid 0\n"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return kube_->countRequests("create", "events") > 0; }));
  EXPECT_NE(c.err().find("unknown key \"extra\""), std::string::npos);
}

TEST_F(ControllerE2eTest, RecomputesAfterAConflictWithAnOutsideWriter) {
  putRules(kSeedRules);
  putAwsAuth({{"mapRoles", kNodeRoles}});
  iam_->addUser("tmp-foo-one");
  ChildProcess& c = start({"--refresh-interval", "1h"});
  ASSERT_TRUE(eventually([&] { return mapUsers() == std::vector<Entry>{foo("tmp-foo-one")}; })) << c.err();
  // Someone else edits mapRoles, and our next update of aws-auth is refused with 409 once.
  testing::kube::FaultSpec conflict;
  conflict.verb = "update";
  conflict.resource = "configmaps";
  conflict.name = "aws-auth";
  conflict.status = 409;
  kube_->failNext(conflict);
  std::string roles = kNodeRoles + "- rolearn: arn:aws:iam::1234567890:role/other\n  username: other\n";
  putAwsAuth({{"mapRoles", roles}, {"mapUsers", awsAuthData("mapUsers")}});
  iam_->addUser("tmp-bar-one");
  putRules(std::string(kSeedRules) + "\n");  // a rules change triggers a cycle at once
  ASSERT_TRUE(eventually([&] {
    return mapUsers() == std::vector<Entry>{bar("tmp-bar-one"), foo("tmp-foo-one")};
  })) << c.err();
  EXPECT_EQ(awsAuthData("mapRoles"), roles);
  // First write, the refused one, the retry. The fake shows a write in its store before it logs the request.
  EXPECT_TRUE(eventually([&] { return kube_->countRequests("update", "configmaps") >= 3u; }))
      << kube_->countRequests("update", "configmaps");
}

TEST_F(ControllerE2eTest, RepairsDriftWithoutAHotLoop) {
  putRules(kSeedRules);
  putAwsAuth({{"mapRoles", kNodeRoles}, {"mapUsers", kAdminUsers}});
  iam_->addUser("tmp-foo-one");
  ChildProcess& c = start({"--refresh-interval", "1h"});
  ASSERT_TRUE(eventually([&] {
    return mapUsers() == std::vector<Entry>{foo("tmp-foo-one"), admin()};
  })) << c.err();
  // Someone removes our entry by hand: it is restored without waiting for the (hour-long) interval.
  putAwsAuth({{"mapRoles", kNodeRoles}, {"mapUsers", kAdminUsers}});
  ASSERT_TRUE(eventually([&] {
    return mapUsers() == std::vector<Entry>{foo("tmp-foo-one"), admin()};
  })) << c.err();
  // The fake API server logs a request just after applying it: wait for the log to catch up with the state.
  EXPECT_TRUE(eventually([&] { return configMapWrites() == 2u; })) << configMapWrites();
  size_t writes = configMapWrites();
  // Our own write comes back through the watch and must not start another cycle.
  size_t lists = listUsersRequests();
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(configMapWrites(), writes);
  EXPECT_EQ(listUsersRequests(), lists);
}

TEST_F(ControllerE2eTest, AppliesARulesChangeAtOnceDespiteALongInterval) {
  putRules(kSeedRules);
  putAwsAuth({{"mapRoles", kNodeRoles}});
  iam_->addUser("tmp-foo-one");
  iam_->addUser("tmp-bar-one");
  ChildProcess& c = start({"--refresh-interval", "1h"});
  ASSERT_TRUE(eventually([&] { return mapUsers().size() == 2; })) << c.err();
  auto changed_at = std::chrono::steady_clock::now();
  putRules("- arnRegex: tmp-bar-\n  username: bar-only\n");
  // Bounded generously so a loaded machine does not flake; the interval (1h) shows it was the watch.
  ASSERT_TRUE(eventually(
      [&] {
        return mapUsers() == std::vector<Entry>{{userArn("tmp-bar-one"), "bar-only", {}}};
      },
      5s))
      << c.err();
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - changed_at);
  std::cout << "rules change applied after " << ms.count() << " ms\n";
}

TEST_F(ControllerE2eTest, DryRunPrintsTheChangesAndWritesNothing) {
  putRules(kSeedRules);
  putAwsAuth({{"mapRoles", kNodeRoles}, {"mapUsers", kAdminUsers}});
  iam_->addUser("tmp-foo-one");
  iam_->addUser("tmp-bar-one");
  ChildProcess* c = nullptr;
  ASSERT_EQ(runToExit({"--once", "--dry-run"}, {}, 20s, &c), 0) << c->err();
  EXPECT_EQ(configMapWrites(), 0u);
  EXPECT_EQ(awsAuthData("mapUsers"), kAdminUsers);
  std::string out = c->out();
  EXPECT_NE(out.find("added arn=" + userArn("tmp-foo-one") + " username=foo groups=[system:masters]"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("added arn=" + userArn("tmp-bar-one") + " username=bar groups=[developers]"),
            std::string::npos);
}

TEST_F(ControllerE2eTest, StopsWithinTwoSecondsOnSigtermMidCycleAndWritesNothing) {
  putRules(kSeedRules);
  putAwsAuth({{"mapRoles", kNodeRoles}});
  iam_->addUser("tmp-foo-one");
  iam_->setDelay(10s);  // the first ListUsers hangs
  ChildProcess& c = start({"--refresh-interval", "1h", "--leader-elect"});
  ASSERT_TRUE(eventually([&] { return c.err().find("became the leader") != std::string::npos; })) << c.err();
  std::this_thread::sleep_for(300ms);  // the cycle is now waiting on IAM
  auto sent = std::chrono::steady_clock::now();
  c.signal(SIGTERM);
  auto code = c.waitExit(5s);
  auto took = std::chrono::steady_clock::now() - sent;
  ASSERT_TRUE(code.has_value()) << c.err();
  EXPECT_EQ(*code, 0) << c.err();
  EXPECT_LT(took, 2s) << c.err();
  EXPECT_EQ(configMapWrites(), 0u);
  // The Lease was released for a standby to take over at once.
  auto lease = kube_->getLease("kube-system", "aws-auth-refresher");
  ASSERT_TRUE(lease);
  EXPECT_EQ((*lease)["spec"].value("holderIdentity", ""), "") << lease->dump();
}

TEST_F(ControllerE2eTest, ServesMetricsAndProbes) {
  putRules(kSeedRules);
  putAwsAuth({{"mapRoles", kNodeRoles}});
  iam_->addUser("tmp-foo-one");
  iam_->addUser("tmp-bar-one");
  ChildProcess& c = start({"--refresh-interval", "100ms"});
  int metrics = 0, health = 0;
  ASSERT_TRUE(eventually([&] {
    metrics = loggedPort(c, "/metrics");
    health = loggedPort(c, "/healthz and /readyz");
    return metrics > 0 && health > 0;
  })) << c.err();
  EXPECT_EQ(httpGet(health, "/healthz").first, 200);
  ASSERT_TRUE(eventually([&] { return httpGet(health, "/readyz").first == 200; })) << c.err();
  std::string text;
  ASSERT_TRUE(eventually([&] {
    text = httpGet(metrics, "/metrics").second;
    return text.find("aws_auth_refresher_managed_entries 2\n") != std::string::npos;
  })) << text
      << c.err();
  for (const char* want :
       {"aws_auth_refresher_reconcile_total{result=\"success\"} ",
        "aws_auth_refresher_reconcile_duration_seconds_bucket{",
        "aws_auth_refresher_iam_requests_total{operation=\"ListUsers\",code=\"200\"} ",
        "aws_auth_refresher_kube_requests_total{verb=\"PUT\",code=\"200\"} 1\n",
        "aws_auth_refresher_rules 2\n", "aws_auth_refresher_last_success_timestamp_seconds ",
        "aws_auth_refresher_config_valid 1\n", "aws_auth_refresher_is_leader 1\n",
        "aws_auth_refresher_build_info{version=\""}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
}

TEST_F(ControllerE2eTest, RejectsBadFlagsWithExitCodeTwo) {
  EXPECT_EQ(runToExit({"--refresh-interval", "0s"}), 2);
  EXPECT_EQ(runToExit({"--refresh-interval", "15"}), 2);
  EXPECT_EQ(runToExit({"--no-such-flag"}), 2);
  EXPECT_EQ(runToExit({"--log-format", "xml"}), 2);
}

}  // namespace
}  // namespace aar::e2e
