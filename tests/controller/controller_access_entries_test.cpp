// Controller with the access-entries backend (controller.hpp, "Backends"): which backend a cycle picks from
// the cluster's mode, what it refuses, and the API_AND_CONFIG_MAP migration out of aws-auth.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
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
