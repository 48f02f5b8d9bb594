// Two replicas with --leader-elect: exactly one writes; when it stops, the other takes over at once.
#include <signal.h>

#include "e2e/harness.hpp"

namespace aar::e2e {
namespace {

using namespace std::chrono_literals;

class LeaderElectionE2eTest : public E2eTest {
 protected:
  std::string holder() const {
    auto lease = kube_->getLease("kube-system", "aws-auth-refresher");
    if (!lease || !lease->contains("spec")) return "";
    return (*lease)["spec"].value("holderIdentity", "");
  }
  static size_t writesLogged(const ChildProcess& c) {
    std::string log = c.err();
    size_t n = 0;
    for (size_t pos = 0; (pos = log.find("updated kube-system/aws-auth", pos)) != std::string::npos; ++pos)
      ++n;
    for (size_t pos = 0; (pos = log.find("created kube-system/aws-auth", pos)) != std::string::npos; ++pos)
      ++n;
    return n;
  }
};

TEST_F(LeaderElectionE2eTest, OnlyTheLeaderWritesAndTheStandbyTakesOverWhenItStops) {
  putRules(kSeedRules);
  putAwsAuth({{"mapRoles", "- rolearn: arn:aws:iam::1234567890:role/node\n  username: node\n"}});
  iam_->addUser("tmp-foo-one");
  ChildProcess& a = start({"--leader-elect", "--refresh-interval", "100ms"}, {"HOSTNAME=pod-a"});
  ChildProcess& b = start({"--leader-elect", "--refresh-interval", "100ms"}, {"HOSTNAME=pod-b"});
  ASSERT_TRUE(eventually([&] { return !holder().empty(); })) << a.err() << b.err();
  ASSERT_TRUE(eventually([&] { return mapUsers().size() == 1; })) << a.err() << b.err();
  const bool a_leads = holder().rfind("pod-a_", 0) == 0;
  ChildProcess& leader = a_leads ? a : b;
  ChildProcess& standby = a_leads ? b : a;

  iam_->addUser("tmp-bar-one");
  ASSERT_TRUE(eventually([&] { return mapUsers().size() == 2; })) << leader.err();
  EXPECT_TRUE(eventually([&] { return writesLogged(leader) == configMapWrites(); })) << leader.err();
  EXPECT_EQ(writesLogged(standby), 0u) << standby.err();

  // The standby is ready (a ready standby), and says it is not the leader.
  int standby_health = 0, standby_metrics = 0;
  ASSERT_TRUE(eventually([&] {
    standby_health = loggedPort(standby, "/healthz and /readyz");
    standby_metrics = loggedPort(standby, "/metrics");
    return standby_health > 0 && standby_metrics > 0;
  }));
  EXPECT_TRUE(eventually([&] { return httpGet(standby_health, "/readyz").first == 200; }));
  EXPECT_NE(httpGet(standby_metrics, "/metrics").second.find("aws_auth_refresher_is_leader 0\n"),
            std::string::npos);

  // The leader stops cleanly and releases the Lease; the standby takes over without waiting for it to expire.
  const std::string old_holder = holder();
  leader.signal(SIGTERM);
  auto code = leader.waitExit(5s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << leader.err();
  ASSERT_TRUE(eventually([&] { return !holder().empty() && holder() != old_holder; }, 8s)) << standby.err();
  EXPECT_EQ(holder().rfind(a_leads ? "pod-b_" : "pod-a_", 0), 0u);
  iam_->addUser("tmp-bar-two");
  ASSERT_TRUE(eventually([&] { return mapUsers().size() == 3; })) << standby.err();
  EXPECT_TRUE(eventually([&] { return writesLogged(standby) >= 1; })) << standby.err();
  EXPECT_TRUE(eventually([&] {
    return httpGet(standby_metrics, "/metrics").second.find("aws_auth_refresher_is_leader 1\n") !=
           std::string::npos;
  }));
}

}  // namespace
}  // namespace aar::e2e
