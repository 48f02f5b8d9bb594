// Controller with the access-entries backend (controller.hpp, "Backends"): which backend a cycle picks from
// the cluster's mode, what it refuses, and the API_AND_CONFIG_MAP migration out of aws-auth.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "controller_fixture.hpp"
#include "in_memory_access_entries.hpp"

namespace aar::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::InMemoryAccessEntries;
using ::testing::IsEmpty;
using Mode = core::AuthenticationMode;

constexpr char kRules[] = R"(- arnRegex: ^arn:aws:iam::111122223333:user/tmp-.*$
  username: temp
  groups:
  - developers
)";
constexpr char kA[] = "arn:aws:iam::111122223333:user/tmp-a";
constexpr char kB[] = "arn:aws:iam::111122223333:user/tmp-b";
constexpr char kH[] = "arn:aws:iam::111122223333:user/tmp-hand";

class ControllerAccessEntriesTest : public testing::ControllerFixture {
 protected:
  ControllerAccessEntriesTest() : ControllerFixture(kRules) {}

  std::unique_ptr<Controller> makeWith(Backend backend, ControllerOptions options = {}) {
    options.backend = backend;
    ControllerPorts ports{identities, rules, aws_auth, events, aws_auth_events, clock};
    ports.access_entries = &store;
    return std::make_unique<Controller>(ports, std::move(options), &metrics);
  }
  bool awsAuthMaps(const std::string& arn) { return aws_auth.mapUsers().find(arn) != std::string::npos; }

  InMemoryAccessEntries store;
};

TEST(BackendTest, NamesParseBackExactly) {
  for (const Backend b : {Backend::kAwsAuth, Backend::kAccessEntries, Backend::kAuto}) {
    EXPECT_EQ(parseBackend(backendName(b)), b);
  }
  EXPECT_EQ(parseBackend("AWS-AUTH"), std::nullopt);
  EXPECT_EQ(parseBackend("access_entries"), std::nullopt);
  EXPECT_EQ(parseBackend(""), std::nullopt);
}

TEST_F(ControllerAccessEntriesTest, TheDefaultBackendNeverAsksEks) {
  identities.set({kA});
  auto c = makeWith(Backend::kAwsAuth);
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(store.mode_calls, 0);
  EXPECT_EQ(store.list_calls, 0);
  EXPECT_TRUE(awsAuthMaps(kA));
}

TEST_F(ControllerAccessEntriesTest, ApiModeWritesAccessEntriesAndNeverTouchesAwsAuth) {
  identities.set({kA, kB});
  store.mode = Mode::kApi;
  auto c = makeWith(Backend::kAccessEntries);
  CycleReport r = c->runCycle();
  ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
  EXPECT_TRUE(r.access_entries);
  EXPECT_EQ(r.access_entry_calls.size(), 2U);
  EXPECT_THAT(store.calls,
              ElementsAre(std::string("CreateAccessEntry ") + kA, std::string("CreateAccessEntry ") + kB));
  EXPECT_EQ(aws_auth.reads, 0);
  EXPECT_FALSE(aws_auth.content().has_value());
  // Steady state: no mutating call.
  store.calls.clear();
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_THAT(store.calls, IsEmpty());
  EXPECT_TRUE(c->synced());
}

TEST_F(ControllerAccessEntriesTest, ConfigMapModeIsRefusedEachCycleWithoutAnyCall) {
  identities.set({kA});
  store.mode = Mode::kConfigMap;
  auto c = makeWith(Backend::kAccessEntries);
  for (int i = 0; i < 2; ++i) {
    CycleReport r = c->runCycle();
    EXPECT_FALSE(r.success);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_THAT(r.error->message, HasSubstr("CONFIG_MAP"));
  }
  EXPECT_EQ(store.list_calls, 0);
  EXPECT_THAT(store.calls, IsEmpty());
  EXPECT_FALSE(aws_auth.content().has_value());
  EXPECT_TRUE(events.has("Warning", "AuthenticationModeConfigMap"));
  EXPECT_TRUE(metricsShow("aws_auth_refresher_access_entries_errors_total{reason=\"mode_config_map\"} 2"));
}

TEST_F(ControllerAccessEntriesTest, AutoPicksAwsAuthInConfigMapMode) {
  identities.set({kA});
  store.mode = Mode::kConfigMap;
  auto c = makeWith(Backend::kAuto);
  CycleReport r = c->runCycle();
  ASSERT_TRUE(r.success);
  EXPECT_FALSE(r.access_entries);
  EXPECT_TRUE(awsAuthMaps(kA));
  EXPECT_EQ(store.list_calls, 0);
}

TEST_F(ControllerAccessEntriesTest, AutoPicksAccessEntriesInApiMode) {
  identities.set({kA});
  store.mode = Mode::kApi;
  auto c = makeWith(Backend::kAuto);
  CycleReport r = c->runCycle();
  ASSERT_TRUE(r.success);
  EXPECT_TRUE(r.access_entries);
  EXPECT_EQ(store.entries.count(kA), 1U);
  EXPECT_FALSE(aws_auth.content().has_value());
}

TEST_F(ControllerAccessEntriesTest, AFailedIamListingMakesNoEksCall) {
  store.mode = Mode::kApi;
  store.addOurs(kA, "AIDA0", "temp", {"developers"});
  identities.error = makeError(ErrorKind::kServer, "ListUsers page 2: ServiceFailure");
  auto c = makeWith(Backend::kAccessEntries);
  CycleReport r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_EQ(store.mode_calls, 0);
  EXPECT_THAT(store.calls, IsEmpty());
  EXPECT_EQ(store.entries.count(kA), 1U);
}

TEST_F(ControllerAccessEntriesTest, AFailedDescribeClusterFailsTheCycle) {
  identities.set({kA});
  store.mode_error = makeError(ErrorKind::kForbidden, "DescribeCluster: AccessDeniedException");
  auto c = makeWith(Backend::kAuto);
  CycleReport r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_TRUE(events.has("Warning", "DescribeClusterFailed"));
  EXPECT_THAT(store.calls, IsEmpty());
  EXPECT_FALSE(aws_auth.content().has_value());
}

TEST_F(ControllerAccessEntriesTest, ACycleThatCouldNotDoEverythingFails) {
  identities.set({kA, kB});
  store.mode = Mode::kApi;
  store.fail = [](const core::AccessEntryOperation& o) -> std::optional<EksError> {
    if (o.principal_arn != kB) return std::nullopt;
    return InMemoryAccessEntries::eksError(ErrorKind::kForbidden, "AccessDeniedException", 403, "create");
  };
  auto c = makeWith(Backend::kAccessEntries);
  CycleReport r = c->runCycle();
  EXPECT_FALSE(r.success);  // --once exits 1
  EXPECT_EQ(store.entries.count(kA), 1U);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_THAT(r.error->message, HasSubstr("AccessDeniedException"));
}

TEST_F(ControllerAccessEntriesTest, InvalidRulesForThisBackendCallNothing) {
  rules.setText(R"(- arnRegex: ^arn:aws:iam::111122223333:user/tmp-.*$
  username: admin
  groups: [system:masters]
)");
  identities.set({kA});
  store.mode = Mode::kApi;
  auto c = makeWith(Backend::kAccessEntries);
  CycleReport r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_EQ(store.list_calls, 0);
  EXPECT_TRUE(events.has("Warning", "InvalidRules"));
}

TEST_F(ControllerAccessEntriesTest, DryRunPrintsTheEksCallsAndMakesNone) {
  identities.set({kA});
  store.mode = Mode::kApi;
  std::ostringstream out;
  ControllerOptions o;
  o.dry_run = true;
  o.dry_run_out = &out;
  auto c = makeWith(Backend::kAccessEntries, o);
  CycleReport r = c->runCycle();
  EXPECT_TRUE(r.success);
  EXPECT_THAT(store.calls, IsEmpty());
  EXPECT_THAT(out.str(), HasSubstr(std::string("CreateAccessEntry ") + kA));
}

TEST_F(ControllerAccessEntriesTest, OnlyTheLeaderCallsEks) {
  identities.set({kA});
  store.mode = Mode::kApi;
  ControllerOptions o;
  o.may_write = [] { return false; };
  auto c = makeWith(Backend::kAccessEntries, o);
  EXPECT_TRUE(c->runCycle().skipped);
  EXPECT_EQ(store.mode_calls, 0);
  EXPECT_THAT(store.calls, IsEmpty());
}

// CONFIG_MAP -> API_AND_CONFIG_MAP with --backend auto: our aws-auth entries move to access entries, make
// before break; the hand-written mapping is left alone and its principal gets no access entry.
TEST_F(ControllerAccessEntriesTest, MigrationRemovesOnlyOurAwsAuthEntriesOnceTheirAccessEntriesExist) {
  identities.set({kA, kB, kH});
  aws_auth.outsideWrite([](core::ConfigMapContent& c) {
    c.data["mapUsers"] = std::string("- userarn: ") + kH + "\n  username: hand\n  groups:\n  - ops\n";
  });
  store.mode = Mode::kConfigMap;
  auto c = makeWith(Backend::kAuto);
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_TRUE(awsAuthMaps(kA) && awsAuthMaps(kB) && awsAuthMaps(kH));

  store.mode = Mode::kApiAndConfigMap;
  store.fail = [](const core::AccessEntryOperation& o) -> std::optional<EksError> {
    if (o.principal_arn != kB) return std::nullopt;
    return InMemoryAccessEntries::eksError(ErrorKind::kServer, "ServerException", 500, "create");
  };
  CycleReport r = c->runCycle();
  EXPECT_FALSE(r.success);  // B's create failed
  EXPECT_THAT(r.migrated, ElementsAre(kA));
  EXPECT_EQ(store.entries.count(kH), 0U);  // hand-written mapping: no access entry
  EXPECT_FALSE(awsAuthMaps(kA));
  EXPECT_TRUE(awsAuthMaps(kB));  // make before break: its access entry does not exist yet
  EXPECT_TRUE(awsAuthMaps(kH));
  const std::string hand_written = std::string("- userarn: ") + kH + "\n  username: hand";
  EXPECT_THAT(aws_auth.mapUsers(), HasSubstr(hand_written));

  store.fail = nullptr;
  r = c->runCycle();
  EXPECT_TRUE(r.success) << (r.error ? r.error->message : "");
  EXPECT_THAT(r.migrated, ElementsAre(kB));
  EXPECT_FALSE(awsAuthMaps(kB));
  EXPECT_THAT(aws_auth.mapUsers(), HasSubstr(hand_written));

  // Steady: nothing left to migrate, no EKS write, no aws-auth write.
  store.calls.clear();
  const int updates = aws_auth.updates;
  r = c->runCycle();
  EXPECT_TRUE(r.success);
  EXPECT_THAT(store.calls, IsEmpty());
  EXPECT_EQ(aws_auth.updates, updates);
}

TEST_F(ControllerAccessEntriesTest, AMassMigrationIsHeldByTheGuardAndFailsOnce) {
  std::vector<std::string> arns;
  for (int i = 0; i < 12; ++i) arns.push_back("arn:aws:iam::111122223333:user/tmp-" + std::to_string(i));
  identities.set(arns);
  store.mode = Mode::kConfigMap;
  auto c = makeWith(Backend::kAuto);
  ASSERT_TRUE(c->runCycle().success);
  store.mode = Mode::kApiAndConfigMap;
  CycleReport r = c->runCycle();
  EXPECT_TRUE(r.held);
  EXPECT_FALSE(r.success);  // --once exits 1: aws-auth still holds the entries
  EXPECT_EQ(store.entries.size(), 12U);
  EXPECT_TRUE(awsAuthMaps(arns[0]));
  EXPECT_TRUE(events.has("Warning", "MassRemovalHeld"));
}

TEST_F(ControllerAccessEntriesTest, RoleEntriesAreKeyedWithoutThePath) {
  core::RulesText probe;
  probe.map_roles = "- arnRegex: x\n  username: someone\n";
  auto parsed = core::parseRulesConfig(probe);
  if (!parsed.ok() || parsed->roles.empty())
    GTEST_SKIP() << "core::parseRulesConfig does not read mapRoles yet";
  rules.setKeys(
      "- arnRegex: ^arn:aws:iam::111122223333:role/.*AWSReservedSSO_Admin_.*$\n  username: "
      "sso-admin\n  groups:\n  - admins\n",
      std::nullopt);
  identities.roles = {"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1",
                      "arn:aws:iam::111122223333:role/aws-service-role/x/AWSReservedSSO_Admin_2"};
  store.mode = Mode::kApi;
  auto c = makeWith(Backend::kAccessEntries);
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_THAT(store.calls,
              ElementsAre("CreateAccessEntry arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_1"));
  EXPECT_EQ(store.entries.begin()->second.tags.at(core::kAccessEntryPrincipalIdTag), "AROA0");
}

TEST_F(ControllerAccessEntriesTest, AFrozenAccountKeepsItsEntriesAndTheCycleIsPartial) {
  constexpr char kAccounts[] = "- roleArn: arn:aws:iam::222233334444:role/aws-auth-refresher-reader\n";
  core::RulesText probe;
  probe.map_users = "[]";
  probe.accounts = kAccounts;
  auto parsed = core::parseRulesConfig(probe);
  if (!parsed.ok() || parsed->accounts.empty())
    GTEST_SKIP() << "core::parseRulesConfig does not read accounts yet";
  rules.setText(R"(- arnRegex: ^arn:aws:iam::[0-9]+:user/tmp-.*$
  username: temp
  groups:
  - developers
)");
  rules.setKeys(std::nullopt, kAccounts);
  constexpr char kOtherUser[] = "arn:aws:iam::222233334444:user/tmp-other";
  store.addOurs(kOtherUser, "AIDAX", "temp", {"developers"});
  identities.account_errors.emplace("222233334444",
                                    makeError(ErrorKind::kForbidden, "STS AssumeRole: AccessDenied"));
  identities.set({kA});
  store.mode = Mode::kApi;
  auto c = makeWith(Backend::kAccessEntries);
  CycleReport r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_TRUE(r.partial);
  EXPECT_THAT(r.frozen_accounts, ElementsAre("222233334444"));
  EXPECT_THAT(store.calls, ElementsAre(std::string("CreateAccessEntry ") + kA));
  EXPECT_EQ(store.entries.count(kOtherUser), 1U);
}

// A start-up that makes EKS calls for longer than the liveness window is not a stuck loop; a single call
// that hangs longer than the window is.
TEST_F(ControllerAccessEntriesTest, LivenessCountsFromTheLastEksCall) {
  using namespace std::chrono_literals;
  identities.set({kA, kB, kH});
  store.mode = Mode::kApi;
  std::unique_ptr<Controller> c = makeWith(Backend::kAccessEntries);
  std::vector<Controller::Liveness> seen;
  std::atomic<bool> done{false};
  store.fail = [&](const core::AccessEntryOperation& o) -> std::optional<EksError> {
    clock.advance(50s);  // each call takes 50 s: 150 s in all, past the 60 s window
    seen.push_back(c->liveness());
    if (o.principal_arn == kH) {
      clock.advance(61s);  // this one hangs past the window
      seen.push_back(c->liveness());
      done = true;
    }
    return std::nullopt;
  };
  std::thread loop([&] { c->run(); });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  c->stop();
  loop.join();
  ASSERT_EQ(seen.size(), 4U);
  EXPECT_TRUE(seen[0].ok && seen[1].ok && seen[2].ok);
  EXPECT_FALSE(seen[3].ok);
  EXPECT_THAT(seen[3].reason, HasSubstr("since its last EKS call"));
}

// A listing that takes longer than the window (thousands of describes at start-up) stays live while the
// store reports progress through the callback the controller gave it.
TEST_F(ControllerAccessEntriesTest, ALongListingIsLiveWhileTheStoreReportsProgress) {
  using namespace std::chrono_literals;
  identities.set({kA});
  store.mode = Mode::kApi;
  std::unique_ptr<Controller> c = makeWith(Backend::kAccessEntries);
  ASSERT_TRUE(store.progress);
  std::vector<bool> live;
  std::atomic<bool> done{false};
  store.list_hook = [&] {
    for (int i = 0; i < 5; ++i) {  // 5 describes of 30 s each
      clock.advance(30s);
      store.progress();
      live.push_back(c->liveness().ok);
    }
    done = true;
  };
  std::thread loop([&] { c->run(); });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  c->stop();
  loop.join();
  EXPECT_EQ(live, std::vector<bool>(5, true));
  c.reset();
  EXPECT_FALSE(store.progress) << "the controller takes its callback back";
}

constexpr char kAdminPolicyRules[] = R"(- arnRegex: ^arn:aws:iam::111122223333:user/tmp-.*$
  username: temp
  groups: [developers]
  accessPolicies:
  - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
    accessScope:
      type: cluster
  - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
    accessScope:
      type: namespace
      namespaces: [dev, prod]
)";

TEST_F(ControllerAccessEntriesTest, TheClusterAdminPolicyIsRefusedUnlessAllowed) {
  rules.setText(kAdminPolicyRules);
  identities.set({kA});
  store.mode = Mode::kApi;
  auto refused = makeWith(Backend::kAccessEntries);
  CycleReport r = refused->runCycle();
  EXPECT_FALSE(r.success);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_THAT(r.error->message, HasSubstr("AmazonEKSClusterAdminPolicy"));
  EXPECT_THAT(store.calls, IsEmpty());

  ControllerOptions o;
  o.allow_cluster_admin_policy = true;
  auto allowed = makeWith(Backend::kAccessEntries, o);
  r = allowed->runCycle();
  ASSERT_TRUE(r.success) << (r.error ? r.error->message : "");
  // Create first, then each policy with its scope (make before break).
  EXPECT_THAT(store.calls,
              ElementsAre(std::string("CreateAccessEntry ") + kA,
                          std::string("AssociateAccessPolicy ") + kA +
                              " arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                          std::string("AssociateAccessPolicy ") + kA +
                              " arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"));
  const auto& policies = store.entries.at(kA).policies;
  ASSERT_EQ(policies.size(), 2U);
  EXPECT_EQ(policies[1].scope.type, core::AccessScope::Type::kNamespace);
  EXPECT_THAT(policies[1].scope.namespaces, ElementsAre("dev", "prod"));
  store.calls.clear();
  ASSERT_TRUE(allowed->runCycle().success);
  EXPECT_THAT(store.calls, IsEmpty());
}

TEST_F(ControllerAccessEntriesTest, ARuleChangeOfPoliciesAssociatesBeforeItDisassociates) {
  rules.setText(R"(- arnRegex: ^arn:aws:iam::111122223333:user/tmp-.*$
  username: temp
  groups: [developers]
  accessPolicies:
  - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
    accessScope: {type: cluster}
)");
  identities.set({kA});
  store.mode = Mode::kApi;
  auto c = makeWith(Backend::kAccessEntries);
  ASSERT_TRUE(c->runCycle().success);
  rules.setText(R"(- arnRegex: ^arn:aws:iam::111122223333:user/tmp-.*$
  username: temp
  groups: [developers]
  accessPolicies:
  - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy
    accessScope: {type: cluster}
)");
  store.calls.clear();
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_THAT(store.calls, ElementsAre(std::string("AssociateAccessPolicy ") + kA +
                                           " arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                                       std::string("DisassociateAccessPolicy ") + kA +
                                           " arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"));
}

TEST_F(ControllerAccessEntriesTest, AFailedListingAfterTheCallsLeavesAwsAuthAsItIs) {
  identities.set({kA});
  store.mode = Mode::kConfigMap;
  auto c = makeWith(Backend::kAuto);
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_TRUE(awsAuthMaps(kA));
  store.mode = Mode::kApiAndConfigMap;
  store.list_hook = [this] {  // the second listing of the cycle (before migrating) fails
    if (store.list_calls == 2) store.list_error = makeError(ErrorKind::kServer, "ListAccessEntries: 500");
  };
  const int updates = aws_auth.updates;
  CycleReport r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_EQ(store.entries.count(kA), 1U);
  EXPECT_TRUE(awsAuthMaps(kA));
  EXPECT_EQ(aws_auth.updates, updates);
  EXPECT_THAT(r.migrated, IsEmpty());
}

TEST_F(ControllerAccessEntriesTest, ApiAndConfigMapModeAddsNothingToAwsAuth) {
  identities.set({kA});
  aws_auth.outsideWrite([](core::ConfigMapContent& c) {
    c.data["mapUsers"] = std::string("- userarn: ") + kH + "\n  username: hand\n  groups:\n  - ops\n";
  });
  store.mode = Mode::kApiAndConfigMap;
  auto c = makeWith(Backend::kAccessEntries);
  const auto before = aws_auth.content();
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(store.entries.count(kA), 1U);
  EXPECT_EQ(aws_auth.content(), before);
}

}  // namespace
}  // namespace aar::controller
