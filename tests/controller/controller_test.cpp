#include "controller/controller.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "controller/controller_fixture.hpp"
#include "controller/in_memory_ports.hpp"
#include "core/aws_auth_codec.hpp"
#include "support/eventually.hpp"

namespace aar::controller {
namespace {

using namespace std::chrono_literals;
using testing::InMemoryAwsAuth;
using testing::InMemoryIdentities;
using testing::InMemoryRules;
using testing::ManualClock;
using testing::RecordingEvents;

constexpr char kSeedRules[] = R"(- arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
  username: foo
  groups:
  - system:masters
- arnRegex: ^arn:aws:iam::1234567890:user/tmp-bar-.*$
  username: bar
  groups:
  - developers
)";
constexpr char kFooOne[] = "arn:aws:iam::1234567890:user/tmp-foo-one";
constexpr char kBarOne[] = "arn:aws:iam::1234567890:user/tmp-bar-one";
constexpr char kBarTwo[] = "arn:aws:iam::1234567890:user/tmp-bar-two";
constexpr char kAdmin[] = "arn:aws:iam::1234567890:user/admin";
constexpr char kNodeRoles[] = R"(- rolearn: arn:aws:iam::1234567890:role/node
  username: system:node:{{EC2PrivateDNSName}}
  groups:
  - system:bootstrappers
  - system:nodes
)";

// (arn, username, first group) of every mapUsers entry, in order.
std::vector<std::tuple<std::string, std::string, std::string>> entries(const std::string& map_users) {
  auto parsed = core::parseMapUsers(map_users);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().toString());
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  if (!parsed.ok()) return out;
  for (const auto& e : *parsed) {
    out.emplace_back(e.mapping.user_arn, e.mapping.username,
                     e.mapping.groups.empty() ? "" : e.mapping.groups[0]);
  }
  return out;
}

class ControllerTest : public testing::ControllerFixture {
 protected:
  ControllerTest() : ControllerFixture(kSeedRules) {}

  void seedAwsAuth() {
    aws_auth.outsideWrite([](core::ConfigMapContent& c) {
      c.data["mapRoles"] = kNodeRoles;
      c.data["mapAccounts"] = "- \"111122223333\"\n";
      c.data["mapUsers"] =
          std::string("- userarn: ") + kAdmin + "\n  username: admin\n  groups:\n  - system:masters\n";
    });
  }
};

TEST_F(ControllerTest, FollowsTheSeedReadmeThroughItsThreeSteps) {
  seedAwsAuth();
  auto c = make();
  identities.set({kFooOne, kAdmin});
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(entries(aws_auth.mapUsers()),
            (std::vector<std::tuple<std::string, std::string, std::string>>{
                {kFooOne, "foo", "system:masters"}, {kAdmin, "admin", "system:masters"}}));

  identities.set({kFooOne, kBarOne, kBarTwo, kAdmin});
  auto r2 = c->runCycle();
  ASSERT_TRUE(r2.success);
  EXPECT_EQ(r2.changes.size(), 2u);
  EXPECT_EQ(entries(aws_auth.mapUsers()), (std::vector<std::tuple<std::string, std::string, std::string>>{
                                              {kBarOne, "bar", "developers"},
                                              {kBarTwo, "bar", "developers"},
                                              {kFooOne, "foo", "system:masters"},
                                              {kAdmin, "admin", "system:masters"}}));

  identities.set({kBarOne, kAdmin});
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(entries(aws_auth.mapUsers()),
            (std::vector<std::tuple<std::string, std::string, std::string>>{
                {kBarOne, "bar", "developers"}, {kAdmin, "admin", "system:masters"}}));
  EXPECT_EQ(aws_auth.content()->data.at("mapRoles"), kNodeRoles);
  EXPECT_EQ(aws_auth.content()->data.at("mapAccounts"), "- \"111122223333\"\n");
  EXPECT_EQ(aws_auth.updates, 3);
  EXPECT_TRUE(events.has("Normal", "Updated"));
}

TEST_F(ControllerTest, ActsOnItsOwnWriteWhileTheCacheStillShowsTheVersionItReplaced) {
  seedAwsAuth();
  identities.set({kFooOne});
  auto c = make();
  aws_auth.lag();  // the watch cache delivers nothing from here on
  ASSERT_TRUE(c->runCycle().wrote);
  // Nothing changed: the cycle knows that from its own write, not from the stale cache (no 409, no re-read).
  auto idle = c->runCycle();
  EXPECT_TRUE(idle.success);
  EXPECT_FALSE(idle.wrote);
  EXPECT_EQ(aws_auth.update_attempts, 1);
  EXPECT_EQ(aws_auth.fresh_reads, 0);
  // A change is computed from what we wrote and written over our own version at the first attempt.
  identities.set({kFooOne, kBarOne});
  auto next = c->runCycle();
  EXPECT_TRUE(next.wrote);
  EXPECT_EQ(next.changes.size(), 1u);
  EXPECT_EQ(aws_auth.update_attempts, 2);
  EXPECT_EQ(aws_auth.fresh_reads, 0);
  EXPECT_EQ(entries(aws_auth.mapUsers()).size(), 3u);
  // Someone else writes: the cache shows a version that is neither; that is acted on as read.
  aws_auth.catchUp();
  aws_auth.outsideWrite([](core::ConfigMapContent& content) { content.data["mapUsers"] = "[]\n"; });
  auto after = c->runCycle();
  EXPECT_TRUE(after.wrote);
  EXPECT_EQ(entries(aws_auth.mapUsers()).size(), 2u);  // our two entries back; the hand-written one is gone
}

TEST_F(ControllerTest, WritesNothingWhenNothingChanged) {
  seedAwsAuth();
  identities.set({kFooOne});
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  for (int i = 0; i < 5; ++i) {
    auto r = c->runCycle();
    EXPECT_TRUE(r.success);
    EXPECT_FALSE(r.wrote);
  }
  EXPECT_EQ(aws_auth.updates, 1);
  EXPECT_EQ(aws_auth.update_attempts, 1);
}

TEST_F(ControllerTest, AnIdleCycleSkipsTheCoreButEveryChangedInputIsActedOn) {
  seedAwsAuth();
  identities.set({kFooOne, kBarOne});
  auto c = make();
  auto first = c->runCycle();  // writes our two entries
  ASSERT_TRUE(first.wrote);
  EXPECT_FALSE(first.inputs_unchanged);
  auto confirm = c->runCycle();  // finds aws-auth up to date and remembers what it read
  ASSERT_TRUE(confirm.success);
  EXPECT_FALSE(confirm.wrote);
  EXPECT_FALSE(confirm.inputs_unchanged);
  auto idle = c->runCycle();
  EXPECT_TRUE(idle.success);
  EXPECT_TRUE(idle.inputs_unchanged);
  EXPECT_FALSE(idle.wrote);
  EXPECT_EQ(aws_auth.updates, 1);

  using Entries = std::vector<std::tuple<std::string, std::string, std::string>>;
  // After a change: one cycle runs the core and writes `want`, the next confirms it, the one after is idle.
  auto expectWriteThenIdle = [&](const Entries& want) {
    auto changed = c->runCycle();
    EXPECT_FALSE(changed.inputs_unchanged);
    EXPECT_TRUE(changed.wrote);
    EXPECT_EQ(entries(aws_auth.mapUsers()), want);
    EXPECT_FALSE(c->runCycle().inputs_unchanged);
    EXPECT_TRUE(c->runCycle().inputs_unchanged);
  };

  // An IAM user goes: its entry is removed.
  identities.set({kFooOne});
  expectWriteThenIdle({{kFooOne, "foo", "system:masters"}, {kAdmin, "admin", "system:masters"}});

  // The same number of users, one different: still a change.
  identities.set({kBarTwo});
  expectWriteThenIdle({{kBarTwo, "bar", "developers"}, {kAdmin, "admin", "system:masters"}});

  // The rules change: the entry follows its new username.
  rules.setText("- arnRegex: ^arn:aws:iam::1234567890:user/tmp-bar-.*$\n  username: bar2\n");
  expectWriteThenIdle({{kBarTwo, "bar2", ""}, {kAdmin, "admin", "system:masters"}});

  // Someone else writes aws-auth (here: removes our entry): the next cycle restores it.
  aws_auth.outsideWrite([](core::ConfigMapContent& content) {
    content.data["mapUsers"] =
        std::string("- userarn: ") + kAdmin + "\n  username: admin\n  groups:\n  - system:masters\n";
  });
  expectWriteThenIdle({{kBarTwo, "bar2", ""}, {kAdmin, "admin", "system:masters"}});
  EXPECT_EQ(aws_auth.updates, 5);
}

TEST_F(ControllerTest, AnIdleCycleStillFailsWhenIamListingFails) {
  seedAwsAuth();
  identities.set({kFooOne});
  auto c = make();
  ASSERT_TRUE(c->runCycle().wrote);
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_TRUE(c->runCycle().inputs_unchanged);
  identities.error = makeError(ErrorKind::kUnavailable, "ListUsers page 2: throttled");
  auto failed = c->runCycle();
  EXPECT_FALSE(failed.success);
  EXPECT_FALSE(failed.inputs_unchanged);
  identities.error.reset();
  EXPECT_TRUE(c->runCycle().inputs_unchanged);  // the same inputs as the last up-to-date cycle
  EXPECT_EQ(aws_auth.updates, 1);
}

TEST_F(ControllerTest, CreatesAwsAuthHoldingOnlyOurEntriesWhenItIsMissing) {
  identities.set({kFooOne, kAdmin});
  auto c = make();
  auto r = c->runCycle();
  ASSERT_TRUE(r.success);
  EXPECT_TRUE(r.wrote);
  EXPECT_EQ(aws_auth.creates, 1);
  auto content = aws_auth.content();
  ASSERT_TRUE(content);
  EXPECT_EQ(content->data.size(), 1u);
  EXPECT_EQ(
      entries(content->data.at("mapUsers")),
      (std::vector<std::tuple<std::string, std::string, std::string>>{{kFooOne, "foo", "system:masters"}}));
}

TEST_F(ControllerTest, DoesNotCreateAwsAuthWhenToldNotTo) {
  identities.set({kFooOne});
  ControllerOptions o;
  o.create_aws_auth = false;
  auto c = make(o);
  auto r = c->runCycle();
  EXPECT_FALSE(r.success);
  ASSERT_TRUE(r.error);
  EXPECT_NE(r.error->message.find("--create-aws-auth=false"), std::string::npos);
  EXPECT_FALSE(aws_auth.content());
}

TEST_F(ControllerTest, RecomputesFromTheFreshCopyAfterAConflict) {
  seedAwsAuth();
  identities.set({kFooOne});
  auto c = make();
  bool once = true;
  aws_auth.before_update = [&] {
    if (!once) return;
    once = false;
    aws_auth.outsideWrite([](core::ConfigMapContent& content) {
      content.data["mapRoles"] += "- rolearn: arn:aws:iam::1234567890:role/extra\n  username: extra\n";
    });
  };
  auto r = c->runCycle();
  ASSERT_TRUE(r.success) << r.error->toString();
  EXPECT_EQ(aws_auth.update_attempts, 2);
  EXPECT_EQ(aws_auth.fresh_reads, 1);
  EXPECT_NE(aws_auth.content()->data.at("mapRoles").find("role/extra"), std::string::npos);
  EXPECT_EQ(entries(aws_auth.mapUsers()).size(), 2u);
}

TEST_F(ControllerTest, GivesUpAfterBoundedConflictRetries) {
  seedAwsAuth();
  identities.set({kFooOne});
  ControllerOptions o;
  o.max_conflict_retries = 3;
  auto c = make(o);
  aws_auth.before_update = [&] {
    aws_auth.outsideWrite([](core::ConfigMapContent& content) { content.data["other"] += "x"; });
  };
  auto r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error->kind, ErrorKind::kConflict);
  EXPECT_EQ(aws_auth.update_attempts, 4);
  EXPECT_EQ(aws_auth.updates, 0);
}

TEST_F(ControllerTest, KeepsTheLastValidRulesWhenTheRulesBecomeInvalid) {
  seedAwsAuth();
  identities.set({kFooOne, kBarOne});
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(metrics.configValid().value(), 1);
  // The old tool's typo: `arnregex` would have matched everyone. Now it is an error and nothing changes.
  rules.setText("- arnregex: .*\n  username: everyone\n  groups: [system:masters]\n");
  identities.set({kFooOne, kBarOne, "arn:aws:iam::1234567890:user/mallory"});
  auto r = c->runCycle();
  EXPECT_TRUE(r.success);
  EXPECT_FALSE(r.wrote);
  EXPECT_EQ(metrics.configValid().value(), 0);
  EXPECT_TRUE(events.has("Warning", "InvalidRules"));
  EXPECT_EQ(entries(aws_auth.mapUsers()).size(), 3u);  // admin, bar-one, foo-one; mallory never
  EXPECT_EQ(aws_auth.mapUsers().find("mallory"), std::string::npos);
}

TEST_F(ControllerTest, ActsOnNothingWhenTheRulesWereNeverValid) {
  seedAwsAuth();
  identities.set({kFooOne});
  rules.setText("- arnRegex: (a\n  username: x\n");
  auto c = make();
  auto r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error->kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(identities.calls, 0);
  EXPECT_EQ(aws_auth.update_attempts, 0);
  EXPECT_EQ(metrics.configValid().value(), 0);
}

TEST_F(ControllerTest, ChangesNothingWhenTheRulesConfigMapOrItsKeyIsMissing) {
  seedAwsAuth();
  identities.set({kFooOne});
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  auto before = aws_auth.content();
  identities.set({});
  rules.snapshot.state = RulesSnapshot::State::kKeyMissing;
  EXPECT_FALSE(c->runCycle().success);
  rules.snapshot.state = RulesSnapshot::State::kConfigMapMissing;
  EXPECT_FALSE(c->runCycle().success);
  EXPECT_EQ(aws_auth.content(), before);
  EXPECT_TRUE(events.has("Warning", "RulesMissing"));
}

TEST_F(ControllerTest, AnEmptyRuleListRemovesOnlyOurEntries) {
  seedAwsAuth();
  identities.set({kFooOne, kBarOne, kAdmin});
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  rules.setText("[]");
  auto r = c->runCycle();
  ASSERT_TRUE(r.success);
  EXPECT_EQ(r.changes.size(), 2u);
  EXPECT_EQ(
      entries(aws_auth.mapUsers()),
      (std::vector<std::tuple<std::string, std::string, std::string>>{{kAdmin, "admin", "system:masters"}}));
}

TEST_F(ControllerTest, WritesNothingWhenListingIamFails) {
  seedAwsAuth();
  identities.set({kFooOne});
  identities.error = makeError(ErrorKind::kServer, "IAM ListUsers: InternalFailure (request id abc-123)");
  auto c = make();
  auto r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_NE(r.error->message.find("abc-123"), std::string::npos);
  EXPECT_EQ(aws_auth.update_attempts, 0);
  EXPECT_TRUE(events.has("Warning", "ListUsersFailed"));
  EXPECT_FALSE(c->synced());
}

TEST_F(ControllerTest, NeverOverwritesAnAwsAuthItCannotParse) {
  aws_auth.outsideWrite(
      [](core::ConfigMapContent& content) { content.data["mapUsers"] = "- userarn: [unclosed\n"; });
  identities.set({kFooOne});
  auto c = make();
  auto r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_EQ(aws_auth.update_attempts, 0);
  EXPECT_EQ(aws_auth.mapUsers(), "- userarn: [unclosed\n");
}

TEST_F(ControllerTest, DryRunPrintsTheChangesAndWritesNothing) {
  seedAwsAuth();
  identities.set({kFooOne, kBarOne});
  std::ostringstream out;
  ControllerOptions o;
  o.dry_run = true;
  o.dry_run_out = &out;
  auto c = make(o);
  auto r = c->runCycle();
  EXPECT_TRUE(r.success);
  EXPECT_FALSE(r.wrote);
  EXPECT_EQ(aws_auth.update_attempts, 0);
  EXPECT_NE(out.str().find(std::string("added arn=") + kFooOne + " username=foo groups=[system:masters]"),
            std::string::npos);
  EXPECT_NE(out.str().find(std::string("added arn=") + kBarOne + " username=bar groups=[developers]"),
            std::string::npos);
}

TEST_F(ControllerTest, DryRunSaysSoWhenThereIsNothingToChange) {
  seedAwsAuth();
  identities.set({kAdmin});
  std::ostringstream out;
  ControllerOptions o;
  o.dry_run = true;
  o.dry_run_out = &out;
  auto c = make(o);
  EXPECT_TRUE(c->runCycle().success);
  EXPECT_EQ(out.str(), "no changes: kube-system/aws-auth is up to date\n");
  auto idle = c->runCycle();  // the same inputs: the core is skipped, and the line is printed all the same
  EXPECT_TRUE(idle.inputs_unchanged);
  EXPECT_EQ(out.str(),
            "no changes: kube-system/aws-auth is up to date\n"
            "no changes: kube-system/aws-auth is up to date\n");
}

TEST_F(ControllerTest, AStandbyReadsAndWritesNothing) {
  seedAwsAuth();
  identities.set({kFooOne});
  ControllerOptions o;
  o.may_write = [] { return false; };
  auto c = make(o);
  auto r = c->runCycle();
  EXPECT_TRUE(r.skipped);
  EXPECT_EQ(identities.calls, 0);
  EXPECT_EQ(aws_auth.update_attempts, 0);
}

TEST_F(ControllerTest, ALeaderThatLosesItsLeaseMidCycleDoesNotWrite) {
  seedAwsAuth();
  identities.set({kFooOne});
  int asked = 0;
  ControllerOptions o;
  o.may_write = [&] { return ++asked == 1; };  // leader at the start of the cycle, not at the write
  auto c = make(o);
  auto r = c->runCycle();
  EXPECT_FALSE(r.success);
  EXPECT_EQ(aws_auth.update_attempts, 0);
}

TEST_F(ControllerTest, RecordsMetricsForEachCycle) {
  seedAwsAuth();
  identities.set({kFooOne, kBarOne});
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  identities.error = makeError(ErrorKind::kNetwork, "connection refused");
  EXPECT_FALSE(c->runCycle().success);
  std::string text = registry.renderText();
  EXPECT_NE(text.find("aws_auth_refresher_reconcile_total{result=\"success\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("aws_auth_refresher_reconcile_total{result=\"error\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("aws_auth_refresher_reconcile_duration_seconds_count 2\n"), std::string::npos);
  EXPECT_NE(text.find("aws_auth_refresher_managed_entries 2\n"), std::string::npos);
  EXPECT_NE(text.find("aws_auth_refresher_rules 2\n"), std::string::npos);
  EXPECT_NE(text.find("aws_auth_refresher_changes_total{kind=\"added\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("aws_auth_refresher_last_success_timestamp_seconds 1700000000\n"), std::string::npos);
  EXPECT_NE(text.find("aws_auth_refresher_build_info{version=\"test\"} 1\n"), std::string::npos);
}

// --- The loop (the manual clock: time moves only when a test advances it) ---

// Polls (tests/support), bounded in real time, only where the loop thread must catch up.
using aar::test::eventually;

class ControllerLoopTest : public ControllerTest {
 protected:
  void start(ControllerOptions o) {
    c = std::make_unique<Controller>(
        ControllerPorts{identities, rules, aws_auth, events, aws_auth_events, clock}, std::move(o), &metrics);
    thread = std::thread([this] { c->run(); });
  }
  ~ControllerLoopTest() override {
    if (c) c->stop();
    if (thread.joinable()) thread.join();
  }
  // The loop has run exactly `cycles` cycles and waits on the clock for the next (nothing else is pending:
  // a pending trigger would have started a cycle instead of waiting).
  bool idleAfter(int cycles) {
    return eventually([&] { return c->cyclesRun() == cycles && clock.waiters() == 1; });
  }
  std::unique_ptr<Controller> c;
  std::thread thread;
};

TEST_F(ControllerLoopTest, RunsAtStartAndThenEveryInterval) {
  seedAwsAuth();
  identities.set({kFooOne});
  ControllerOptions o;
  o.refresh_interval = 10ms;
  start(o);
  for (int i = 1; i < 5; ++i) {
    ASSERT_TRUE(idleAfter(i));
    EXPECT_EQ(c->nextCycleAt(), clock.now() + 10ms);
    clock.advance(10ms);
  }
  ASSERT_TRUE(idleAfter(5));
  EXPECT_TRUE(c->synced());
  EXPECT_EQ(aws_auth.updates, 1);  // five cycles, one write
}

TEST_F(ControllerLoopTest, ARulesChangeRunsACycleAtOnceDespiteALongInterval) {
  seedAwsAuth();
  identities.set({kFooOne, kBarOne});
  ControllerOptions o;
  o.refresh_interval = std::chrono::hours(1);
  start(o);
  ASSERT_TRUE(idleAfter(1));
  rules.setText("- arnRegex: tmp-bar\n  username: bar\n");
  c->rulesChanged();  // the clock does not move: only the trigger can start this cycle
  ASSERT_TRUE(idleAfter(2));
  EXPECT_EQ(entries(aws_auth.mapUsers()), (std::vector<std::tuple<std::string, std::string, std::string>>{
                                              {kBarOne, "bar", ""}, {kAdmin, "admin", "system:masters"}}));
}

TEST_F(ControllerLoopTest, RestoresAnEntrySomeoneElseRemovedButIgnoresItsOwnWrites) {
  seedAwsAuth();
  identities.set({kFooOne});
  ControllerOptions o;
  o.refresh_interval = std::chrono::hours(1);
  start(o);
  ASSERT_TRUE(idleAfter(1));
  std::string ours = aws_auth.mapUsers();
  // The watch reports our own write: no cycle (the schedule does not move).
  const auto next = c->nextCycleAt();
  c->awsAuthObserved(aws_auth.content());
  EXPECT_EQ(c->nextCycleAt(), next);
  EXPECT_EQ(c->cyclesRun(), 1);
  // Someone removes our entry: one cycle restores it, and the watch event of that write triggers nothing.
  aws_auth.outsideWrite([](core::ConfigMapContent& content) {
    content.data["mapUsers"] =
        std::string("- userarn: ") + kAdmin + "\n  username: admin\n  groups:\n  - system:masters\n";
  });
  c->awsAuthObserved(aws_auth.content());
  ASSERT_TRUE(idleAfter(2));
  EXPECT_EQ(aws_auth.mapUsers(), ours);
  const auto next_after_restore = c->nextCycleAt();
  c->awsAuthObserved(aws_auth.content());
  EXPECT_EQ(c->nextCycleAt(), next_after_restore);
  EXPECT_EQ(c->cyclesRun(), 2);
  EXPECT_EQ(aws_auth.updates, 2);
}

TEST_F(ControllerLoopTest, BacksOffAfterFailuresInsteadOfRetryingInATightLoop) {
  seedAwsAuth();
  identities.error = makeError(ErrorKind::kServer, "IAM ListUsers: HTTP 500");
  ControllerOptions o;
  o.refresh_interval = 1ms;
  o.backoff_initial = 40ms;
  o.backoff_max = 10s;
  const auto t0 = clock.now();
  start(o);
  // Backoff 40, 80, 160 ms: exactly four attempts in 300 ms, where a 1 ms interval would allow hundreds.
  const std::chrono::milliseconds backoffs[] = {40ms, 80ms, 160ms};
  for (int failures = 1; failures <= 3; ++failures) {
    ASSERT_TRUE(idleAfter(failures));
    EXPECT_EQ(identities.calls, failures);
    EXPECT_EQ(c->nextCycleAt(), clock.now() + backoffs[failures - 1]);
    clock.advance(backoffs[failures - 1]);
  }
  ASSERT_TRUE(idleAfter(4));
  clock.advance(20ms);
  EXPECT_EQ(clock.now() - t0, 300ms);
  EXPECT_EQ(c->nextCycleAt(), t0 + 280ms + 320ms);  // the fourth failure waits 320 ms
  EXPECT_EQ(identities.calls, 4);
  {
    std::lock_guard lock(identities.mu);
    identities.error.reset();
    identities.arns = {kFooOne};
  }
  // Ordinary triggers wait out the backoff, coalesced into one cycle.
  for (int i = 0; i < 3; ++i) c->trigger("test");
  clock.advance(300ms);
  EXPECT_TRUE(eventually([&] { return c->synced(); }));
  EXPECT_TRUE(idleAfter(5));
}

TEST_F(ControllerLoopTest, TriggersCoalesceIntoOneCycle) {
  seedAwsAuth();
  identities.set({kFooOne});
  ControllerOptions o;
  o.refresh_interval = std::chrono::hours(1);
  std::atomic<bool> release{false};
  std::atomic<int> in_update{0};
  start(o);
  ASSERT_TRUE(idleAfter(1));
  // Hold the next cycle inside its write while many triggers arrive; they must add one cycle, not many.
  identities.set({kFooOne, kBarOne});
  {
    std::lock_guard lock(aws_auth.mu);
    aws_auth.before_update = [&] {
      ++in_update;
      release.wait(false);
    };
  }
  c->trigger("first");
  ASSERT_TRUE(eventually([&] { return in_update.load() == 1; }));
  for (int i = 0; i < 20; ++i) c->trigger("burst");
  {
    std::lock_guard lock(aws_auth.mu);
    aws_auth.before_update = nullptr;
  }
  release = true;
  release.notify_all();
  // Three cycles, then the loop waits a whole interval: no trigger is left pending.
  ASSERT_TRUE(idleAfter(3));
  EXPECT_EQ(c->nextCycleAt(), clock.now() + std::chrono::hours(1));
  EXPECT_EQ(c->cyclesRun(), 3);
}

TEST_F(ControllerLoopTest, StopEndsTheLoopPromptly) {
  seedAwsAuth();
  identities.set({kFooOne});
  ControllerOptions o;
  o.refresh_interval = std::chrono::hours(1);
  start(o);
  ASSERT_TRUE(eventually([&] { return c->cyclesRun() == 1; }));
  c->stop();
  thread.join();
  EXPECT_TRUE(c->stopping());
}

}  // namespace
}  // namespace aar::controller
