// The controller's safety nets (issue 10): the mass-removal guard, ownership-record loss, liveness and the
// unanchored-rule warning, through the in-memory ports.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "controller/controller.hpp"
#include "controller/controller_fixture.hpp"
#include "controller/in_memory_ports.hpp"
#include "core/aws_auth_codec.hpp"
#include "core/reconcile.hpp"
#include "support/eventually.hpp"

namespace aar::controller {
namespace {

using namespace std::chrono_literals;
using testing::InMemoryAwsAuth;
using testing::InMemoryIdentities;
using testing::InMemoryRules;
using testing::ManualClock;
using testing::RecordingEvents;

constexpr char kRules[] = R"(- arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
  username: foo
  groups:
  - system:masters
- arnRegex: ^arn:aws:iam::1234567890:user/tmp-bar-.*$
  username: bar
  groups:
  - developers
)";

std::string foo(int i) { return "arn:aws:iam::1234567890:user/tmp-foo-" + std::to_string(i); }
std::string bar(int i) { return "arn:aws:iam::1234567890:user/tmp-bar-" + std::to_string(i); }
std::vector<std::string> foos(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(foo(i));
  return out;
}

std::vector<std::string> arnsIn(const std::string& map_users) {
  auto parsed = core::parseMapUsers(map_users);
  EXPECT_TRUE(parsed.ok());
  std::vector<std::string> out;
  if (!parsed.ok()) return out;
  for (const auto& e : *parsed) out.push_back(e.mapping.user_arn);
  return out;
}

size_t countOf(RecordingEvents& events, std::string_view reason) {
  size_t n = 0;
  for (const auto& e : events.all()) n += e.reason == reason ? 1 : 0;
  return n;
}

class ControllerSafetyTest : public testing::ControllerFixture {
 protected:
  ControllerSafetyTest() : ControllerFixture(kRules) {}

  // `n` managed entries written by one cycle of `c`.
  void manage(Controller& c, int n) {
    aws_auth.outsideWrite([](core::ConfigMapContent&) {});  // aws-auth exists, empty
    identities.set(foos(0, n));
    auto r = c.runCycle();
    ASSERT_TRUE(r.success);
    ASSERT_EQ(arnsIn(aws_auth.mapUsers()).size(), static_cast<size_t>(n));
  }
  double counter(const std::string& series) {
    const std::string text = registry.renderText();
    const size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
  }
};

// --- Mass removal guard ---

TEST_F(ControllerSafetyTest, HoldsAMassRemovalUntilTheSameRemovalsAreComputedThreeCyclesInARow) {
  auto c = make();
  manage(*c, 20);
  identities.set({});  // an empty listing: every managed entry would go
  for (int i = 1; i <= 2; ++i) {
    auto r = c->runCycle();
    EXPECT_FALSE(r.success) << i;
    EXPECT_TRUE(r.held) << i;
    EXPECT_TRUE(r.changes.empty());
    EXPECT_EQ(aws_auth.updates, 1) << "nothing written while held";
    EXPECT_EQ(arnsIn(aws_auth.mapUsers()).size(), 20u);
    EXPECT_EQ(metrics.massRemovalHolding().value(), 1);
    EXPECT_EQ(countOf(events, "MassRemovalHeld"), static_cast<size_t>(i));
    EXPECT_EQ(counter("aws_auth_refresher_mass_removal_held_cycles_total"), i);
  }
  auto r = c->runCycle();
  EXPECT_TRUE(r.success);
  EXPECT_TRUE(r.wrote);
  EXPECT_FALSE(r.held);
  EXPECT_EQ(r.changes.size(), 20u);
  EXPECT_TRUE(arnsIn(aws_auth.mapUsers()).empty());
  EXPECT_EQ(metrics.massRemovalHolding().value(), 0);
  EXPECT_EQ(countOf(events, "MassRemovalHeld"), 2u);
}

TEST_F(ControllerSafetyTest, HoldsTheWholeWriteOfAHeldCycleAdditionsToo) {
  auto c = make();
  manage(*c, 12);
  identities.set({bar(1)});  // removes 12 of 12, adds one
  auto r = c->runCycle();
  EXPECT_TRUE(r.held);
  EXPECT_EQ(aws_auth.updates, 1);
  auto arns = arnsIn(aws_auth.mapUsers());
  EXPECT_EQ(std::count(arns.begin(), arns.end(), bar(1)), 0);
}

TEST_F(ControllerSafetyTest, ADifferentSetOfRemovalsRestartsTheCount) {
  auto c = make();
  manage(*c, 20);
  identities.set({});
  EXPECT_TRUE(c->runCycle().held);
  EXPECT_TRUE(c->runCycle().held);
  identities.set({foo(0)});  // one came back: 19 removals, another set
  EXPECT_TRUE(c->runCycle().held);
  EXPECT_TRUE(c->runCycle().held);
  auto r = c->runCycle();
  EXPECT_TRUE(r.wrote);
  EXPECT_EQ(arnsIn(aws_auth.mapUsers()), std::vector<std::string>{foo(0)});
}

TEST_F(ControllerSafetyTest, ARecoveredListingForgetsTheHeldRemoval) {
  auto c = make();
  manage(*c, 20);
  identities.set({});
  EXPECT_TRUE(c->runCycle().held);
  EXPECT_TRUE(c->runCycle().held);
  identities.set(foos(0, 20));
  EXPECT_TRUE(c->runCycle().success);
  EXPECT_EQ(metrics.massRemovalHolding().value(), 0);
  identities.set({});
  EXPECT_TRUE(c->runCycle().held) << "the count starts again from one";
}

TEST_F(ControllerSafetyTest, AllowMassRemovalWritesAtOnce) {
  ControllerOptions o;
  o.allow_mass_removal = true;
  auto c = make(o);
  manage(*c, 20);
  identities.set({});
  auto r = c->runCycle();
  EXPECT_TRUE(r.success);
  EXPECT_TRUE(r.wrote);
  EXPECT_TRUE(arnsIn(aws_auth.mapUsers()).empty());
  EXPECT_FALSE(events.has("Warning", "MassRemovalHeld"));
}

TEST_F(ControllerSafetyTest, RemovalsOfHalfOrOfTenManagedAreWrittenAtOnce) {
  auto c = make();
  manage(*c, 10);
  identities.set({});
  EXPECT_TRUE(c->runCycle().wrote) << "ten managed: the guard does not act";
  manage(*c, 12);
  identities.set(foos(0, 6));  // exactly half removed
  EXPECT_TRUE(c->runCycle().wrote);
  EXPECT_FALSE(events.has("Warning", "MassRemovalHeld"));
}

TEST_F(ControllerSafetyTest, DryRunShowsAHeldRemovalAsHeld) {
  std::ostringstream out;
  ControllerOptions o;
  o.dry_run = true;
  o.dry_run_out = &out;
  auto c = make();
  manage(*c, 12);
  auto d = make(o);
  identities.set({});
  auto r = d->runCycle();
  EXPECT_TRUE(r.held);
  EXPECT_NE(out.str().find("held: removed arn=" + foo(0)), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("would apply"), std::string::npos) << out.str();
}

// --- Ownership record ---

TEST_F(ControllerSafetyTest, OwnWritesNeverLookLikeALostRecord) {
  auto c = make();
  manage(*c, 3);
  identities.set(foos(0, 2));
  EXPECT_TRUE(c->runCycle().wrote);
  identities.set({});
  EXPECT_TRUE(c->runCycle().wrote);
  identities.set(foos(0, 2));
  EXPECT_TRUE(c->runCycle().wrote);
  EXPECT_TRUE(aws_auth_events.all().empty());
  EXPECT_EQ(counter("aws_auth_refresher_ownership_record_lost_total{reason=\"absent\"}"), 0);
}

TEST_F(ControllerSafetyTest, WarnsOnAwsAuthWhenTheRecordIsRemovedAndKeepsTheEntriesAsNotOurs) {
  auto c = make();
  manage(*c, 3);
  aws_auth.outsideWrite(
      [](core::ConfigMapContent& content) { content.annotations.erase(core::kManagedUsersAnnotation); });
  identities.set({foo(0), foo(1), foo(2), foo(3)});  // and a later user matches a rule
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_EQ(aws_auth_events.all().size(), 1u);
  EXPECT_EQ(aws_auth_events.all()[0].type, "Warning");
  EXPECT_EQ(aws_auth_events.all()[0].reason, "OwnershipRecordLost");
  EXPECT_NE(aws_auth_events.all()[0].message.find("kube-system/aws-auth"), std::string::npos);
  EXPECT_FALSE(events.has("Warning", "OwnershipRecordLost")) << "the Event is about aws-auth";
  EXPECT_EQ(counter("aws_auth_refresher_ownership_record_lost_total{reason=\"absent\"}"), 1);
  // The new user gets a managed entry (ours come first); the old three are no longer ours: their users'
  // deletion keeps them.
  EXPECT_EQ(arnsIn(aws_auth.mapUsers()), (std::vector<std::string>{foo(3), foo(0), foo(1), foo(2)}));
  identities.set({});
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(arnsIn(aws_auth.mapUsers()), (std::vector<std::string>{foo(0), foo(1), foo(2)}));
  EXPECT_EQ(aws_auth_events.all().size(), 1u) << "one loss, one Event";
}

TEST_F(ControllerSafetyTest, WarnsWhenSomeoneElseShrinksTheRecord) {
  auto c = make();
  manage(*c, 3);
  aws_auth.outsideWrite([](core::ConfigMapContent& content) {
    std::string& record = content.annotations.at(core::kManagedUsersAnnotation);
    record.erase(record.rfind(','));  // drop one fingerprint
  });
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_EQ(aws_auth_events.all().size(), 1u);
  EXPECT_EQ(aws_auth_events.all()[0].reason, "OwnershipRecordLost");
  EXPECT_EQ(counter("aws_auth_refresher_ownership_record_lost_total{reason=\"shrunk\"}"), 1);
  identities.set({});
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(arnsIn(aws_auth.mapUsers()).size(), 1u) << "the entry dropped from the record is not ours";
}

TEST_F(ControllerSafetyTest, WarnsWhenTheRecordIsBoundToAnotherObjectAndTreatsItsEntriesAsNotOurs) {
  auto c = make();
  manage(*c, 3);
  const std::string uid = aws_auth.uid;
  aws_auth.outsideWrite([&uid](core::ConfigMapContent& content) {
    // As if aws-auth had been copied, record and all, from another cluster: the record names another uid.
    std::string& record = content.annotations.at(core::kManagedUsersAnnotation);
    ASSERT_EQ(record.rfind("v2:" + uid + ":", 0), 0u) << record;
    record = "v2:0badc0de-0000-4000-8000-000000000000:" + record.substr(4 + uid.size());
  });
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_EQ(aws_auth_events.all().size(), 1u);
  EXPECT_EQ(aws_auth_events.all()[0].reason, "OwnershipRecordLost");
  EXPECT_NE(aws_auth_events.all()[0].message.find("bound to another object"), std::string::npos);
  EXPECT_EQ(counter("aws_auth_refresher_ownership_record_lost_total{reason=\"other_object\"}"), 1);
  identities.set({});
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(arnsIn(aws_auth.mapUsers()).size(), 3u) << "entries a foreign record lists are not ours";
}

TEST_F(ControllerSafetyTest, WarnsWhenAwsAuthIsDeleted) {
  auto c = make();
  manage(*c, 3);
  {
    std::lock_guard lock(aws_auth.mu);
    aws_auth.object.reset();
  }
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_TRUE(aws_auth_events.has("Warning", "OwnershipRecordLost"));
  EXPECT_EQ(counter("aws_auth_refresher_ownership_record_lost_total{reason=\"absent\"}"), 1);
}

TEST_F(ControllerSafetyTest, ACycleWithoutLeadershipForgetsWhatItRemembers) {
  std::atomic<bool> leader{true};
  ControllerOptions o;
  o.may_write = [&leader] { return leader.load(); };
  auto c = make(o);
  manage(*c, 3);
  leader = false;
  EXPECT_TRUE(c->runCycle().skipped);
  // Meanwhile another replica (or a person) rewrote the record; we cannot tell, so we say nothing.
  aws_auth.outsideWrite(
      [](core::ConfigMapContent& content) { content.annotations.erase(core::kManagedUsersAnnotation); });
  leader = true;
  EXPECT_TRUE(c->runCycle().success);
  EXPECT_TRUE(aws_auth_events.all().empty());
}

// --- Liveness ---

TEST_F(ControllerSafetyTest, LivenessWindowIsThreeRefreshIntervalsAndAtLeastAMinute) {
  ControllerOptions o;
  o.refresh_interval = 15s;
  EXPECT_EQ(make(o)->livenessWindow(), 60s);
  o.refresh_interval = 1min;
  EXPECT_EQ(make(o)->livenessWindow(), 3min);
}

class ControllerLivenessTest : public ControllerSafetyTest {
 protected:
  void start(ControllerOptions o) {
    c = make(std::move(o));
    thread = std::thread([this] { c->run(); });
  }
  ~ControllerLivenessTest() override {
    if (c) c->stop();
    if (thread.joinable()) thread.join();
  }
  std::unique_ptr<Controller> c;
  std::thread thread;
};

TEST_F(ControllerLivenessTest, IsLiveBeforeTheLoopAndWhileItKeepsToItsSchedule) {
  c = make();
  EXPECT_TRUE(c->liveness().ok) << "before run(): waiting for the caches is not a stuck loop";
  clock.advance(1h);
  EXPECT_TRUE(c->liveness().ok);
}

TEST_F(ControllerLivenessTest, FailsWhenADueCycleDoesNotStart) {
  identities.set({foo(0)});
  ControllerOptions o;
  o.refresh_interval = 15s;
  clock.freezeWaits();  // before the loop first waits
  start(o);
  ASSERT_TRUE(test::eventually([&] { return c->cyclesRun() == 1 && !c->liveness().cycle_running; }));
  // The loop now waits for the next cycle at +15 s, but its waits no longer end by time, and the clock moves
  // only here: to the controller, a cycle that is due and does not start.
  clock.advance(15s + 60s);
  EXPECT_TRUE(c->liveness().ok) << "due for exactly the window: still live";
  clock.advance(1s);
  auto l = c->liveness();
  EXPECT_FALSE(l.ok);
  EXPECT_NE(l.reason.find("due"), std::string::npos) << l.reason;
  EXPECT_EQ(c->cyclesRun(), 1);
}

TEST_F(ControllerLivenessTest, FailsWhileACycleRunsLongerThanTheWindow) {
  identities.set({foo(0)});
  aws_auth.outsideWrite([](core::ConfigMapContent&) {});
  std::atomic<bool> checked{false};
  Controller::Liveness during_short, during_long;
  aws_auth.before_update = [&] {  // runs on the loop thread, inside the cycle
    clock.advance(59s);
    during_short = c->liveness();
    clock.advance(2s);
    during_long = c->liveness();
    checked = true;
  };
  start({});
  ASSERT_TRUE(test::eventually([&] { return checked.load(); }));
  EXPECT_TRUE(during_short.ok);
  EXPECT_FALSE(during_long.ok);
  EXPECT_NE(during_long.reason.find("running"), std::string::npos) << during_long.reason;
  ASSERT_TRUE(test::eventually([&] { return c->cyclesRun() == 1 && !c->liveness().cycle_running; }));
  EXPECT_TRUE(c->liveness().ok) << "the cycle ended; the next is due in one interval";
}

TEST_F(ControllerLivenessTest, AHeldMassRemovalWaitsAnIntervalNotABackoff) {
  c = make();
  manage(*c, 20);
  c.reset();
  identities.set({});
  ControllerOptions o;
  o.refresh_interval = 15s;
  o.backoff_initial = 1ms;  // a failure would be retried (in real time) at once
  start(o);
  ASSERT_TRUE(test::eventually([&] { return c->cyclesRun() == 1 && !c->liveness().cycle_running; }));
  // The next cycle is due one 15 s interval after the held one, not after the 1 ms backoff: the manual clock
  // passes the backoff but not the interval, and the loop runs no second cycle.
  EXPECT_EQ(c->nextCycleAt(), clock.now() + 15s);
  clock.advance(1s);
  EXPECT_EQ(c->nextCycleAt(), clock.now() + 14s);
  EXPECT_EQ(c->cyclesRun(), 1);
  EXPECT_EQ(aws_auth.updates, 1);
}

// --- Unanchored rules ---

TEST_F(ControllerSafetyTest, WarnsOncePerRulesVersionAboutUnanchoredRulesThatGrantSystemMasters) {
  rules.setText("- arnRegex: admin\n  username: admin\n  groups: [system:masters]\n");
  identities.set({});
  auto c = make();
  ASSERT_TRUE(c->runCycle().success);
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(countOf(events, "UnanchoredRule"), 1u);
  auto all = events.all();
  auto it = std::find_if(all.begin(), all.end(), [](const auto& e) { return e.reason == "UnanchoredRule"; });
  ASSERT_NE(it, all.end());
  EXPECT_EQ(it->type, "Warning");
  EXPECT_NE(it->message.find("system:masters"), std::string::npos);
  // A new rules version warns again; anchored rules do not.
  rules.setText("- arnRegex: admin\n  username: root\n  groups: [system:masters]\n");
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(countOf(events, "UnanchoredRule"), 2u);
  rules.setText(kRules);
  ASSERT_TRUE(c->runCycle().success);
  EXPECT_EQ(countOf(events, "UnanchoredRule"), 2u);
}

}  // namespace
}  // namespace aar::controller
