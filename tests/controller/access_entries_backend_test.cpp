// AccessEntriesBackend: one access-entries pass against the in-memory EKS store (issue #13). Each test is one
// rule of access_entries_backend.hpp: what is called, in which order, and what is reported.
#include "controller/access_entries_backend.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "in_memory_access_entries.hpp"
#include "in_memory_ports.hpp"

namespace aar::controller {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::InMemoryAccessEntries;
using ::testing::IsEmpty;
using testing::ManualClock;
using testing::RecordingEvents;
using Kind = core::AccessEntryOperation::Kind;

constexpr char kRules[] = R"(- arnRegex: ^arn:aws:iam::111122223333:user/tmp-.*$
  username: temp
  groups:
  - developers
)";
constexpr char kA[] = "arn:aws:iam::111122223333:user/tmp-a";
constexpr char kB[] = "arn:aws:iam::111122223333:user/tmp-b";
constexpr char kC[] = "arn:aws:iam::111122223333:user/tmp-c";
constexpr char kView[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
constexpr char kEdit[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";

core::RulesConfig rulesOf(const char* yaml) {
  core::RulesText text;
  text.map_users = yaml;
  auto r = core::parseRulesConfig(text);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : core::RulesConfig();
}

core::AccessEntryOperation op(Kind kind, const std::string& arn, const std::string& policy = kView) {
  core::AccessEntryOperation o;
  o.kind = kind;
  o.principal_arn = arn;
  o.username = "temp";
  o.kubernetes_groups = {"developers"};
  o.tags = {{core::kAccessEntryOwnerTag, core::kDefaultAccessEntryOwnerId}};
  o.policy.policy_arn = policy;
  return o;
}

class AccessEntriesBackendTest : public ::testing::Test {
 protected:
  AccessEntriesBackendTest() : metrics(registry, "test") {}

  AccessEntriesBackend backend(AccessEntriesOptions options = {}) {
    return AccessEntriesBackend(store, events, clock, std::move(options), &metrics);
  }
  AccessEntriesReport run(AccessEntriesBackend& b, const char* rules = kRules) {
    config = rulesOf(rules);
    AccessEntriesInputs in;
    in.rules = &config;
    in.iam = &iam;
    return b.run(in);
  }
  void users(const std::vector<std::string>& arns) {
    iam.users.clear();
    for (size_t i = 0; i < arns.size(); ++i) iam.users.push_back({arns[i], "AIDA" + std::to_string(i), {}});
  }
  bool metricsShow(const std::string& line) const {
    return registry.renderText().find("\n" + line + "\n") != std::string::npos;
  }

  InMemoryAccessEntries store;
  RecordingEvents events;
  ManualClock clock;
  MetricsRegistry registry;
  ControllerMetrics metrics;
  core::RulesConfig config;
  core::IamSnapshot iam;
};

TEST_F(AccessEntriesBackendTest, CreatesOneTaggedEntryPerMatchingUser) {
  users({kA, kB, "arn:aws:iam::111122223333:user/admin"});
  auto b = backend();
  AccessEntriesReport r = run(b);
  ASSERT_TRUE(r.complete) << (r.error ? r.error->message : "");
  EXPECT_THAT(store.calls,
              ElementsAre(std::string("CreateAccessEntry ") + kA, std::string("CreateAccessEntry ") + kB));
  const core::ExistingAccessEntry& a = store.entries.at(kA);
  EXPECT_EQ(a.username, "temp");
  EXPECT_THAT(a.kubernetes_groups, ElementsAre("developers"));
  EXPECT_EQ(a.tags.at(core::kAccessEntryOwnerTag), "aws-auth-refresher");
  EXPECT_EQ(a.tags.at(core::kAccessEntryPrincipalIdTag), "AIDA0");
  EXPECT_TRUE(metricsShow("aws_auth_refresher_access_entries_managed 2"));
  ASSERT_EQ(events.all().size(), 1U);
  EXPECT_EQ(events.all()[0].reason, "AccessEntriesUpdated");
  EXPECT_THAT(events.all()[0].message, HasSubstr("CreateAccessEntry 2"));
}

TEST_F(AccessEntriesBackendTest, ASteadyCycleMakesNoMutatingCall) {
  users({kA, kB});
  auto b = backend();
  ASSERT_TRUE(run(b).complete);
  store.calls.clear();
  const size_t events_before = events.all().size();
  AccessEntriesReport r = run(b);
  EXPECT_TRUE(r.complete);
  EXPECT_THAT(store.calls, IsEmpty());
  EXPECT_EQ(events.all().size(), events_before);  // no Event when nothing was called
  ASSERT_TRUE(r.plan.has_value());
  EXPECT_THAT(r.plan->operations, IsEmpty());
}

TEST_F(AccessEntriesBackendTest, UsesTheOwnerIdForTagsAndOwnership) {
  users({kA});
  store.addOurs(kB, "AIDA9", "temp", {"developers"}, "aws-auth-refresher");  // another owner's now
  AccessEntriesOptions o;
  o.owner_id = "team-x";
  auto b = backend(o);
  ASSERT_TRUE(run(b).complete);
  EXPECT_THAT(store.calls, ElementsAre(std::string("CreateAccessEntry ") + kA));
  EXPECT_EQ(store.entries.at(kA).tags.at(core::kAccessEntryOwnerTag), "team-x");
}

TEST_F(AccessEntriesBackendTest, LeavesAForeignEntryForAMatchingPrincipalAlone) {
  users({kA, kB});
  store.addForeign(kA);
  store.addForeign("arn:aws:iam::111122223333:role/node", "EC2_LINUX");
  auto b = backend();
  AccessEntriesReport r = run(b);
  EXPECT_TRUE(r.complete);
  EXPECT_THAT(store.calls, ElementsAre(std::string("CreateAccessEntry ") + kB));
  EXPECT_EQ(store.entries.at(kA).username, "foreign");
  EXPECT_TRUE(metricsShow("aws_auth_refresher_access_entries_skipped{reason=\"foreign-entry\"} 1"));
  EXPECT_TRUE(metricsShow("aws_auth_refresher_access_entries_not_ours 2"));
}

TEST_F(AccessEntriesBackendTest, RemovesTheEntryOfADeletedUser) {
  users({kA});
  store.addOurs(kA, "AIDA0", "temp", {"developers"});
  store.addOurs(kB, "AIDA1", "temp", {"developers"});
  auto b = backend();
  EXPECT_TRUE(run(b).complete);
  EXPECT_THAT(store.calls, ElementsAre(std::string("DeleteAccessEntry ") + kB));
  EXPECT_EQ(store.entries.count(kB), 0U);
}

TEST_F(AccessEntriesBackendTest, RecreatesTheEntryOfARecreatedUser) {
  users({kA});
  store.addOurs(kA, "AIDA-OLD", "temp", {"developers"});
  auto b = backend();
  EXPECT_TRUE(run(b).complete);
  EXPECT_THAT(store.calls,
              ElementsAre(std::string("DeleteAccessEntry ") + kA, std::string("CreateAccessEntry ") + kA));
  EXPECT_EQ(store.entries.at(kA).tags.at(core::kAccessEntryPrincipalIdTag), "AIDA0");
}

TEST_F(AccessEntriesBackendTest, UpdatesUsernameAndGroupsInOneCall) {
  users({kA});
  store.addOurs(kA, "AIDA0", "old", {"old-group"});
  auto b = backend();
  EXPECT_TRUE(run(b).complete);
  EXPECT_THAT(store.calls, ElementsAre(std::string("UpdateAccessEntry ") + kA));
  EXPECT_EQ(store.entries.at(kA).username, "temp");
}

TEST_F(AccessEntriesBackendTest, AFailedListingChangesNothing) {
  users({kA});
  store.addOurs(kB, "AIDA1", "temp", {"developers"});
  store.list_error = makeError(ErrorKind::kServer, "ListAccessEntries page 2: ServerException");
  auto b = backend();
  AccessEntriesReport r = run(b);
  EXPECT_FALSE(r.complete);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_THAT(r.error->message, HasSubstr("page 2"));
  EXPECT_EQ(r.event_reason, "ListAccessEntriesFailed");
  EXPECT_THAT(store.calls, IsEmpty());
  EXPECT_TRUE(metricsShow("aws_auth_refresher_access_entries_errors_total{reason=\"list_failed\"} 1"));
}

TEST_F(AccessEntriesBackendTest, RefusesASystemGroupRuleBeforeAnyCall) {
  users({kA});
  auto b = backend();
  AccessEntriesReport r = run(b, R"(- arnRegex: ^arn:aws:iam::111122223333:user/tmp-.*$
  username: admin
  groups:
  - system:masters
)");
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.event_reason, "InvalidRules");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_THAT(r.error->message, HasSubstr("system:masters"));
  EXPECT_EQ(store.list_calls, 0);
  EXPECT_THAT(store.calls, IsEmpty());
  EXPECT_TRUE(events.has("Warning", "InvalidRules"));
  EXPECT_TRUE(metricsShow("aws_auth_refresher_config_valid 0"));
}

TEST_F(AccessEntriesBackendTest, RefusesAReservedUsername) {
  users({kA});
  auto b = backend();
  AccessEntriesReport r = run(b, R"(- arnRegex: ^arn:aws:iam::111122223333:user/tmp-.*$
  username: eks:someone
  groups: [developers]
)");
  EXPECT_EQ(r.event_reason, "InvalidRules");
  EXPECT_EQ(store.list_calls, 0);
}

TEST_F(AccessEntriesBackendTest, ResourceInUseOnCreateIsNotOverwritten) {
  users({kA, kB});
  store.fail = [](const core::AccessEntryOperation& o) -> std::optional<EksError> {
    if (o.kind == Kind::kCreateAccessEntry && o.principal_arn == kA) {
      return InMemoryAccessEntries::eksError(ErrorKind::kAlreadyExists, kEksResourceInUse, 409, "create");
    }
    return std::nullopt;
  };
  auto b = backend();
  AccessEntriesReport r = run(b);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.failed_calls, 1U);
  EXPECT_THAT(store.calls,
              ElementsAre(std::string("CreateAccessEntry ") + kA, std::string("CreateAccessEntry ") + kB));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_THAT(r.error->message, HasSubstr("never overwritten"));
  EXPECT_TRUE(events.has("Warning", "AccessEntryCallFailed"));
}

TEST_F(AccessEntriesBackendTest, TheLimitStopsCreatingAndKeepsEverythingElse) {
  users({kA, kB, kC});
  store.addOurs("arn:aws:iam::111122223333:user/tmp-gone", "AIDA9", "temp", {"developers"});
  store.max_entries = 2;  // the entry to delete counts until it is deleted, so one create fits
  auto b = backend();
  AccessEntriesReport r = run(b);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.not_created_over_limit, 2U);
  EXPECT_THAT(store.calls,
              ElementsAre(std::string("CreateAccessEntry ") + kA, std::string("CreateAccessEntry ") + kB,
                          "DeleteAccessEntry arn:aws:iam::111122223333:user/tmp-gone"));
  EXPECT_EQ(r.event_reason, "AccessEntryLimitExceeded");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_THAT(r.error->message, HasSubstr("2 entr"));
  EXPECT_TRUE(events.has("Warning", "AccessEntryLimitExceeded"));
  // The next cycle creates what this one could not (the delete made room).
  store.calls.clear();
  run(b);
  EXPECT_THAT(store.calls,
              ElementsAre(std::string("CreateAccessEntry ") + kB, std::string("CreateAccessEntry ") + kC));
}

TEST_F(AccessEntriesBackendTest, ThePlannedLimitIsReportedWithTheCount) {
  users({kA, kB});
  for (size_t i = 0; i < core::kMaxAccessEntriesPerCluster; ++i) {
    store.addForeign("arn:aws:iam::111122223333:role/node-" + std::to_string(i), "EC2_LINUX");
  }
  auto b = backend();
  AccessEntriesReport r = run(b);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.not_created_over_limit, 2U);
  EXPECT_THAT(store.calls, IsEmpty());
  ASSERT_TRUE(r.error.has_value());
  EXPECT_THAT(r.error->message, HasSubstr("2 entr"));
  EXPECT_TRUE(events.has("Warning", "AccessEntryLimitExceeded"));
  EXPECT_TRUE(metricsShow("aws_auth_refresher_access_entries_skipped{reason=\"over-limit\"} 2"));
}

TEST_F(AccessEntriesBackendTest, InvalidRulesAreReportedOncePerMessage) {
  users({kA});
  constexpr char kInvalid[] = R"(- arnRegex: ^arn:aws:iam::111122223333:user/tmp-.*$
  username: admin
  groups: [system:masters]
)";
  auto b = backend();
  run(b, kInvalid);
  run(b, kInvalid);
  EXPECT_EQ(events.all().size(), 1U);
  EXPECT_TRUE(metricsShow("aws_auth_refresher_access_entries_errors_total{reason=\"invalid_rules\"} 2"));
  EXPECT_EQ(store.list_calls, 0);
}

TEST_F(AccessEntriesBackendTest, RetriesANotFoundAssociateRightAfterItsCreateWithBackoff) {
  core::AccessEntryPlan plan;
  plan.operations = {op(Kind::kCreateAccessEntry, kA), op(Kind::kAssociateAccessPolicy, kA)};
  store.associate_not_found_after_create = 2;
  auto b = backend();
  AccessEntriesReport r = b.execute(plan);
  EXPECT_TRUE(r.complete) << (r.error ? r.error->message : "");
  EXPECT_EQ(store.count("AssociateAccessPolicy"), 3U);
  EXPECT_THAT(clock.sleeps(), ElementsAre(500ms, 1000ms));
  EXPECT_EQ(store.entries.at(kA).policies.size(), 1U);
}

TEST_F(AccessEntriesBackendTest, GivesUpANotFoundAssociateAfterItsRetries) {
  core::AccessEntryPlan plan;
  plan.operations = {op(Kind::kCreateAccessEntry, kA), op(Kind::kAssociateAccessPolicy, kA)};
  store.associate_not_found_after_create = 100;
  AccessEntriesOptions o;
  o.associate_retries = 3;
  auto b = backend(o);
  AccessEntriesReport r = b.execute(plan);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(store.count("AssociateAccessPolicy"), 4U);
  EXPECT_THAT(clock.sleeps(), ElementsAre(500ms, 1000ms, 2000ms));
  ASSERT_TRUE(r.error.has_value());
  EXPECT_THAT(r.error->message, HasSubstr("ResourceNotFoundException"));
}

TEST_F(AccessEntriesBackendTest, DoesNotRetryANotFoundAssociateOfAnOlderEntry) {
  store.addOurs(kA, "AIDA0", "temp", {"developers"});
  core::AccessEntryPlan plan;
  plan.operations = {op(Kind::kAssociateAccessPolicy, kA)};
  store.fail = [](const core::AccessEntryOperation&) -> std::optional<EksError> {
    return InMemoryAccessEntries::eksError(ErrorKind::kNotFound, kEksResourceNotFound, 404, "associate");
  };
  auto b = backend();
  AccessEntriesReport r = b.execute(plan);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(store.calls.size(), 1U);
  EXPECT_THAT(clock.sleeps(), IsEmpty());
}

TEST_F(AccessEntriesBackendTest, AFailedAssociateKeepsTheOldPolicy) {
  store.addOurs(kA, "AIDA0", "temp", {"developers"});
  store.entries.at(kA).policies = {core::AccessPolicy{kView, {}}};
  core::AccessEntryPlan plan;
  plan.operations = {op(Kind::kAssociateAccessPolicy, kA, kEdit),
                     op(Kind::kDisassociateAccessPolicy, kA, kView), op(Kind::kDeleteAccessEntry, kB)};
  store.fail = [](const core::AccessEntryOperation& o) -> std::optional<EksError> {
    if (o.kind != Kind::kAssociateAccessPolicy) return std::nullopt;
    return InMemoryAccessEntries::eksError(ErrorKind::kForbidden, "AccessDeniedException", 403, "associate");
  };
  auto b = backend();
  AccessEntriesReport r = b.execute(plan);
  EXPECT_FALSE(r.complete);
  // Make before break: the old policy stays; other principals' calls go on.
  EXPECT_THAT(store.calls, ElementsAre(std::string("AssociateAccessPolicy ") + kA + " " + kEdit,
                                       std::string("DeleteAccessEntry ") + kB));
  EXPECT_EQ(store.entries.at(kA).policies.size(), 1U);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_THAT(r.error->message, HasSubstr("AccessDeniedException"));
  EXPECT_EQ(r.error->kind, ErrorKind::kForbidden);
}

TEST_F(AccessEntriesBackendTest, ReportsOtherErrorsAndTriesAgainNextCycle) {
  users({kA});
  store.addOurs(kA, "AIDA0", "old", {"developers"});
  int failures = 1;
  store.fail = [&failures](const core::AccessEntryOperation&) -> std::optional<EksError> {
    if (failures-- <= 0) return std::nullopt;
    return InMemoryAccessEntries::eksError(ErrorKind::kInvalidArgument, "InvalidParameterException", 400,
                                           "update");
  };
  auto b = backend();
  AccessEntriesReport first = run(b);
  EXPECT_FALSE(first.complete);
  ASSERT_TRUE(first.error.has_value());
  EXPECT_THAT(first.error->message, HasSubstr("InvalidParameterException"));
  EXPECT_TRUE(metricsShow("aws_auth_refresher_access_entries_errors_total{reason=\"eks_call_failed\"} 1"));
  AccessEntriesReport second = run(b);
  EXPECT_TRUE(second.complete);
  EXPECT_EQ(store.count("UpdateAccessEntry"), 2U);
  EXPECT_EQ(store.entries.at(kA).username, "temp");
}

TEST_F(AccessEntriesBackendTest, DryRunPrintsTheCallsAndMakesNone) {
  users({kA});
  store.addOurs(kB, "AIDA1", "temp", {"developers"});
  std::ostringstream out;
  AccessEntriesOptions o;
  o.dry_run = true;
  o.dry_run_out = &out;
  auto b = backend(o);
  AccessEntriesReport r = run(b);
  EXPECT_TRUE(r.complete);
  EXPECT_THAT(store.calls, IsEmpty());
  EXPECT_THAT(out.str(), HasSubstr(std::string("CreateAccessEntry ") + kA));
  EXPECT_THAT(out.str(), HasSubstr(std::string("DeleteAccessEntry ") + kB + " reason=principal-gone"));
}

TEST_F(AccessEntriesBackendTest, CallsNothingWithoutLeadership) {
  users({kA});
  AccessEntriesOptions o;
  o.may_write = [] { return false; };
  auto b = backend(o);
  AccessEntriesReport r = run(b);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.event_reason, "LostLeadership");
  EXPECT_THAT(store.calls, IsEmpty());
}

TEST_F(AccessEntriesBackendTest, HandWrittenAwsAuthMappingsGetNoEntryInApiAndConfigMapMode) {
  users({kA, kB});
  auto b = backend();
  config = rulesOf(kRules);
  AccessEntriesInputs in;
  in.rules = &config;
  in.iam = &iam;
  in.mode = core::AuthenticationMode::kApiAndConfigMap;
  in.hand_written_aws_auth_arns = {kA};
  AccessEntriesReport r = b.run(in);
  EXPECT_TRUE(r.complete);
  EXPECT_THAT(store.calls, ElementsAre(std::string("CreateAccessEntry ") + kB));
  EXPECT_TRUE(
      metricsShow("aws_auth_refresher_access_entries_skipped{reason=\"hand-written-aws-auth-mapping\"} 1"));
}

}  // namespace
}  // namespace aar::controller
