#include <gtest/gtest.h>

#include "kube/encoding.hpp"
#include "kube/leader_election.hpp"

namespace aar::kube {
namespace {

using namespace std::chrono_literals;
using Action = LeaseDecision::Action;

const auto kT0 = std::chrono::steady_clock::time_point(1000h);
const auto kWall = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));

LeaseRecord heldBy(const std::string& holder, int transitions = 3) {
  LeaseRecord r;
  r.holder_identity = holder;
  r.lease_duration_seconds = 15;
  r.acquire_time = kWall - 100s;
  r.renew_time = kWall - 1s;
  r.lease_transitions = transitions;
  return r;
}

TEST(LeaseDecisionTest, CreatesTheLeaseWhenAbsent) {
  auto d = decideLease(std::nullopt, "me", kT0, kT0, kWall, 15s);
  EXPECT_EQ(d.action, Action::kCreate);
  EXPECT_EQ(d.record.holder_identity, "me");
  EXPECT_EQ(d.record.lease_duration_seconds, 15);
  EXPECT_EQ(d.record.acquire_time, kWall);
  EXPECT_EQ(d.record.renew_time, kWall);
  EXPECT_EQ(d.record.lease_transitions, 0);
}

TEST(LeaseDecisionTest, WaitsWhileAnotherHolderRenewsWithinTheLeaseDuration) {
  auto d = decideLease(heldBy("other"), "me", kT0, kT0 + 14s, kWall, 15s);
  EXPECT_EQ(d.action, Action::kWait);
}

TEST(LeaseDecisionTest, TakesOverAnUnchangedRecordAfterTheLeaseDurationByTheLocalClock) {
  // The renewTime in the record is irrelevant: only how long we have seen the same record counts.
  LeaseRecord stale = heldBy("other");
  stale.renew_time = kWall + 1h;  // a holder whose clock runs ahead cannot keep the lease forever
  auto d = decideLease(stale, "me", kT0, kT0 + 15s, kWall, 15s);
  EXPECT_EQ(d.action, Action::kUpdate);
  EXPECT_EQ(d.record.holder_identity, "me");
  EXPECT_EQ(d.record.acquire_time, kWall);
  EXPECT_EQ(d.record.lease_transitions, 4);
}

TEST(LeaseDecisionTest, TakesAReleasedLeaseAtOnce) {
  LeaseRecord released = heldBy("");
  released.lease_duration_seconds = 1;
  auto d = decideLease(released, "me", kT0, kT0, kWall, 15s);
  EXPECT_EQ(d.action, Action::kUpdate);
  EXPECT_EQ(d.record.lease_transitions, 4);
}

TEST(LeaseDecisionTest, RenewsItsOwnLeaseKeepingAcquireTimeAndTransitions) {
  auto d = decideLease(heldBy("me"), "me", kT0, kT0 + 1s, kWall, 15s);
  EXPECT_EQ(d.action, Action::kUpdate);
  EXPECT_EQ(d.record.acquire_time, kWall - 100s);
  EXPECT_EQ(d.record.renew_time, kWall);
  EXPECT_EQ(d.record.lease_transitions, 3);
}

TEST(LeaseRecordTest, RoundTripsThroughTheLeaseSpecAsMicroTime) {
  nlohmann::json lease = {{"metadata", {{"name", "x"}, {"resourceVersion", "7"}}}};
  LeaseRecord r = heldBy("me");
  r.renew_time = kWall + 123456us;
  leaseRecordToJson(r, &lease);
  EXPECT_EQ(lease["spec"]["renewTime"], "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(lease["metadata"]["resourceVersion"], "7");
  auto back = leaseRecordFromJson(lease);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, r);
}

TEST(LeaseRecordTest, RejectsASpecOfTheWrongShape) {
  EXPECT_FALSE(leaseRecordFromJson({{"spec", {{"holderIdentity", 5}}}}).ok());
  EXPECT_FALSE(leaseRecordFromJson({{"spec", {{"renewTime", "yesterday"}}}}).ok());
  auto empty = leaseRecordFromJson({{"metadata", {{"name", "x"}}}});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->holder_identity, "");
}

TEST(HolderIdentityTest, IsTheHostnamePlusARandomSuffix) {
  const std::string a = makeHolderIdentity("pod-7d9f");
  const std::string b = makeHolderIdentity("pod-7d9f");
  EXPECT_EQ(a.rfind("pod-7d9f_", 0), 0u);
  EXPECT_EQ(a.size(), std::string("pod-7d9f_").size() + 8);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace aar::kube
