// Lease leader election against the fake API server: acquire, renew, hand over on release and on expiry.
#include "kube/leader_election.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "kube/encoding.hpp"
#include "kube_fake_fixture.hpp"
#include "kube_test_support.hpp"

namespace aar::kube {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::ManualClock;

class LeaderElectionTest : public testing::FakeServerTest {
 protected:
  LeaderElectionOptions options(const std::string& identity, base::Clock* clock = &base::systemClock()) {
    LeaderElectionOptions o;
    o.identity = identity;
    o.lease_duration = 1000ms;
    o.renew_deadline = 600ms;
    o.retry_period = 100ms;
    o.clock = clock;
    return o;
  }

  LeaseRecord lease() {
    auto l = server_.getLease("kube-system", "aws-auth-refresher");
    if (!l) return {};
    return leaseRecordFromJson(*l).value();
  }
};

// The Lease client shares its credential source with every other client. An exec plugin that is slow to
// refresh a token that has entered its renewal margin (but is still valid) must not hold up a renewal.
TEST_F(LeaderElectionTest, RenewalIsNotBlockedByASlowExecPluginRefreshingTheToken) {
  testing::TempDir dir;
  ManualClock credential_clock;
  const std::string runs = dir.file("runs");
  const std::string expiry = formatRfc3339(credential_clock.wallNow() + 60s);
  // The first run answers at once; later runs announce themselves and wait (at most 20 s) to be released.
  const std::string script =
      dir.write("plugin.sh",
                "#!/bin/sh\necho x >> " + runs + "\nif [ $(wc -l < " + runs + ") -gt 1 ]; then\n  touch " +
                    dir.file("started") + "\n  i=0\n  while [ ! -e " + dir.file("release") +
                    " ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done\nfi\n"
                    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                    "\"status\":{\"token\":\"test-token\",\"expirationTimestamp\":\"" +
                    expiry + "\"}}\\n'\n",
                true);
  ConnectionConfig config = config_;
  config.auth = AuthConfig{};
  ExecConfig exec;
  exec.api_version = std::string(kExecApiV1);
  exec.command = script;
  config.auth.exec = exec;
  CredentialOptions credential_options;
  credential_options.clock = &credential_clock;
  auto rest = RestClient::create(config, {}, credential_options);
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  auto elector = LeaderElector::create(**rest, options("a"));
  ASSERT_TRUE(elector.ok());
  ASSERT_TRUE((*elector)->tryAcquireOrRenew());  // the plugin's first run

  credential_clock.advance(55s);  // the token is inside its 10 s renewal margin: the next use refreshes it
  std::atomic<bool> other_done{false};
  std::thread other([&] {
    (void)(*rest)->get("/api/v1/namespaces/kube-system/configmaps");
    other_done = true;
  });
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(dir.file("started")); }, 10s));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE((*elector)->tryAcquireOrRenew());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(other_done.load());  // the refresh was still running throughout
  dir.write("release", "");
  other.join();
  EXPECT_EQ(lease().holder_identity, "a");
}

TEST_F(LeaderElectionTest, RefusesDurationsInTheWrongOrder) {
  auto o = options("a");
  o.renew_deadline = 2000ms;
  EXPECT_EQ(LeaderElector::create(*rest_, o).error().kind, ErrorKind::kInvalidArgument);
}

TEST_F(LeaderElectionTest, TheFirstCandidateCreatesTheLeaseAndTheSecondWaits) {
  ManualClock clock;
  auto a = LeaderElector::create(*rest_, options("a", &clock));
  auto b = LeaderElector::create(*rest_, options("b", &clock));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE((*a)->tryAcquireOrRenew());
  EXPECT_EQ(lease().holder_identity, "a");
  EXPECT_EQ(lease().lease_duration_seconds, 1);
  EXPECT_FALSE((*b)->tryAcquireOrRenew());
  EXPECT_EQ((*b)->leader(), "a");
  clock.advance(500ms);
  EXPECT_TRUE((*a)->tryAcquireOrRenew());  // renews: the record changes, so b's observation restarts
  clock.advance(700ms);
  EXPECT_FALSE((*b)->tryAcquireOrRenew());
  EXPECT_EQ(lease().holder_identity, "a");
  EXPECT_EQ(lease().lease_transitions, 0);
}

TEST_F(LeaderElectionTest, ACandidateTakesAnUnrenewedLeaseAfterItsDurationByItsOwnClock) {
  ManualClock clock;
  auto a = LeaderElector::create(*rest_, options("a", &clock));
  auto b = LeaderElector::create(*rest_, options("b", &clock));
  ASSERT_TRUE((*a)->tryAcquireOrRenew());
  EXPECT_FALSE((*b)->tryAcquireOrRenew());  // b starts observing a's record now
  clock.advance(999ms);
  EXPECT_FALSE((*b)->tryAcquireOrRenew());
  clock.advance(1ms);
  EXPECT_TRUE((*b)->tryAcquireOrRenew());
  EXPECT_EQ(lease().holder_identity, "b");
  EXPECT_EQ(lease().lease_transitions, 1);
  EXPECT_FALSE((*a)->tryAcquireOrRenew());  // a comes back: b's lease is fresh
}

TEST_F(LeaderElectionTest, TwoCandidatesRacingForAnExpiredLeaseCannotBothWin) {
  auto a = LeaderElector::create(*rest_, options("a"));
  ASSERT_TRUE((*a)->tryAcquireOrRenew());
  // Both b and c see a's lease expire; only one write with the read resourceVersion can succeed.
  ManualClock clock;
  auto rest_c = newClient();
  auto b = LeaderElector::create(*rest_, options("b", &clock));
  auto c = LeaderElector::create(*rest_c, options("c", &clock));
  EXPECT_FALSE((*b)->tryAcquireOrRenew());
  EXPECT_FALSE((*c)->tryAcquireOrRenew());
  clock.advance(1500ms);
  server_.setResponseDelay(50ms);
  std::atomic<int> winners{0};
  std::thread tb([&] { winners += (*b)->tryAcquireOrRenew() ? 1 : 0; });
  std::thread tc([&] { winners += (*c)->tryAcquireOrRenew() ? 1 : 0; });
  tb.join();
  tc.join();
  server_.setResponseDelay(0ms);
  EXPECT_EQ(winners.load(), 1);
  EXPECT_EQ(lease().lease_transitions, 1);
}

TEST_F(LeaderElectionTest, AStandbyTakesOverAtOnceWhenTheLeaderStopsCleanly) {
  std::atomic<int> a_started{0}, a_stopped{0}, b_started{0};
  std::string b_saw;
  std::mutex mu;
  auto oa = options("a");
  // A long lease: the standby can only get it quickly if a releases it.
  oa.lease_duration = 10000ms;
  oa.renew_deadline = 5000ms;
  oa.on_started_leading = [&] { ++a_started; };
  oa.on_stopped_leading = [&] { ++a_stopped; };
  auto ob = options("b");
  ob.on_started_leading = [&] { ++b_started; };
  ob.on_new_leader = [&](const std::string& id) {
    std::lock_guard<std::mutex> lock(mu);
    b_saw = id;
  };
  auto a = LeaderElector::create(*rest_, oa);
  (*a)->start();
  ASSERT_TRUE(eventually([&] { return (*a)->isLeader(); }));
  EXPECT_EQ(lease().lease_duration_seconds, 10);
  auto rest_b = newClient();
  auto b = LeaderElector::create(*rest_b, ob);
  (*b)->start();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return b_saw == "a";
  }));
  EXPECT_FALSE((*b)->isLeader());
  (*a)->stop();
  EXPECT_EQ(a_stopped.load(), 1);
  EXPECT_FALSE((*a)->isLeader());
  ASSERT_TRUE(eventually([&] { return (*b)->isLeader(); }, 5s));  // well before a's 10 s lease could expire
  EXPECT_EQ(a_started.load(), 1);
  EXPECT_EQ(b_started.load(), 1);
  EXPECT_EQ(lease().holder_identity, "b");
  EXPECT_EQ(lease().lease_transitions, 1);
  (*b)->stop();
  EXPECT_EQ(lease().holder_identity, "");
  EXPECT_EQ(lease().lease_duration_seconds, 1);
}

// Waits (bounded) until `threads` electors block on the manual clock, then advances it by `d`: a retry period
// or a lease duration passes for them at once.
void advanceWhenWaiting(ManualClock& clock, size_t threads, std::chrono::milliseconds d) {
  ASSERT_TRUE(eventually([&] { return clock.waiters() >= threads; }));
  clock.advance(d);
}

TEST_F(LeaderElectionTest, AStandbyTakesOverWhenTheLeaderDiesWithoutReleasing) {
  ManualClock clock;
  auto oa = options("a", &clock);
  oa.release_on_stop = false;  // a crash: nothing is released
  auto a = LeaderElector::create(*rest_, oa);
  (*a)->start();
  ASSERT_TRUE(eventually([&] { return (*a)->isLeader(); }));
  auto rest_b = newClient();
  auto b = LeaderElector::create(*rest_b, options("b", &clock));
  (*b)->start();
  ASSERT_TRUE(eventually([&] { return (*b)->leader() == "a"; }));
  (*a)->stop();
  EXPECT_EQ(lease().holder_identity, "a");  // still a's, until it expires
  // One lease duration (1000 ms) and a jittered retry period later by b's clock, b takes the unrenewed Lease.
  advanceWhenWaiting(clock, 1, 999ms);
  EXPECT_FALSE((*b)->isLeader());
  advanceWhenWaiting(clock, 1, 121ms);
  ASSERT_TRUE(eventually([&] { return (*b)->isLeader(); }, 5s));
  EXPECT_EQ(lease().holder_identity, "b");
  EXPECT_EQ(lease().lease_transitions, 1);
}

TEST_F(LeaderElectionTest, ALeaderThatCannotRenewStopsLeadingWithinTheRenewDeadline) {
  ManualClock clock;
  std::atomic<int> stopped{0};
  auto o = options("a", &clock);
  o.on_stopped_leading = [&] { ++stopped; };
  auto a = LeaderElector::create(*rest_, o);
  (*a)->start();
  ASSERT_TRUE(eventually([&] { return (*a)->isLeader(); }));
  // The API server fails every Lease request (as unreachable as it gets for the elector, without waiting out
  // the fake's keep-alive in a stop()).
  server_.failNext(aar::testing::kube::FaultSpec{"*", "leases", "", 500, -1, 1});
  advanceWhenWaiting(clock, 1, 599ms);
  EXPECT_TRUE((*a)->isLeader()) << "inside the renew deadline";
  clock.advance(1ms);
  EXPECT_FALSE((*a)->isLeader()) << "the renew deadline (600 ms) has passed since the last renewal";
  // The loop's next retry (a jittered retry period later) fails to renew and stops leading.
  advanceWhenWaiting(clock, 1, 121ms);
  ASSERT_TRUE(eventually([&] { return stopped.load() == 1; }, 5s));
  server_.clearFaults();
  // A candidate again, it re-acquires its own lease at a later retry.
  for (int i = 0; i < 20 && !(*a)->isLeader(); ++i) advanceWhenWaiting(clock, 1, 121ms);
  ASSERT_TRUE(eventually([&] { return (*a)->isLeader(); }, 5s));
}

}  // namespace
}  // namespace aar::kube
