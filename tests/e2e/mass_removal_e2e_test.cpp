// Issue 10, problem 4: one bad listing must not remove everyone. The real binary against the fakes: 20
// managed entries, then an IAM listing that succeeds but is empty.
#include <algorithm>
#include <string>

#include "e2e/harness.hpp"

namespace aar::e2e {
namespace {

using namespace std::chrono_literals;

constexpr int kUsers = 20;
constexpr char kHeldLine[] = "held a mass removal of 20 of 20 managed mapUsers entries";

class MassRemovalE2eTest : public E2eTest {
 protected:
  // 20 managed entries written by one --once run; then every IAM user is deleted and the request logs are
  // cleared, so that what follows is all they hold.
  void manageTwentyThenEmptyTheListing() {
    putRules(kSeedRules);
    putAwsAuth({});
    for (int i = 0; i < kUsers; ++i) iam_->addUser("tmp-foo-" + std::to_string(i));
    ASSERT_EQ(runToExit({"--once"}), 0);
    ASSERT_EQ(mapUsers().size(), static_cast<size_t>(kUsers));
    for (int i = 0; i < kUsers; ++i) ASSERT_TRUE(iam_->removeUser("tmp-foo-" + std::to_string(i)));
    before_ = awsAuth();
    kube_->clearRequests();
  }
  static size_t occurrences(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
  std::optional<nlohmann::json> before_;
};

TEST_F(MassRemovalE2eTest, OnceRefusesToRemoveEveryManagedEntryAndWritesNothing) {
  manageTwentyThenEmptyTheListing();
  ChildProcess* child = nullptr;
  EXPECT_EQ(runToExit({"--once"}, {}, 20s, &child), 1);
  EXPECT_EQ(kube_->countRequests("update", "configmaps"), 0u);
  EXPECT_EQ(configMapWrites(), 0u);
  EXPECT_EQ(awsAuth(), before_);
  EXPECT_EQ(mapUsers().size(), static_cast<size_t>(kUsers));
  ASSERT_NE(child, nullptr);
  EXPECT_NE(child->err().find(kHeldLine), std::string::npos) << child->err();
  EXPECT_NE(child->err().find("--allow-mass-removal"), std::string::npos) << child->err();
  // The Warning Event on the rules ConfigMap says so.
  EXPECT_GT(kube_->countRequests("create", "events"), 0u);
}

TEST_F(MassRemovalE2eTest, OnceWithAllowMassRemovalWritesTheRemoval) {
  manageTwentyThenEmptyTheListing();
  EXPECT_EQ(runToExit({"--once", "--allow-mass-removal"}), 0);
  // The fake logs a request just after answering it.
  EXPECT_TRUE(eventually([&] { return kube_->countRequests("update", "configmaps") == 1u; }))
      << kube_->countRequests("update", "configmaps");
  EXPECT_TRUE(mapUsers().empty());
}

TEST_F(MassRemovalE2eTest, ADaemonAppliesTheSameRemovalOnItsThirdCycle) {
  manageTwentyThenEmptyTheListing();
  ChildProcess& c = start({"--refresh-interval", "300ms"});
  ASSERT_TRUE(eventually([&] { return mapUsers().empty(); }, 15s)) << c.err();
  // The store shows the write before the fake API server logs it, and before the binary has its answer and
  // updates its log and metrics: wait for those to catch up.
  EXPECT_TRUE(eventually([&] { return configMapWrites() == 1u; })) << configMapWrites();
  ASSERT_TRUE(eventually([&] {
    return c.err().find("the same removals computed 3 cycles in a row") != std::string::npos;
  })) << c.err();
  const std::string log = c.err();
  EXPECT_EQ(occurrences(log, kHeldLine), 2u) << log;
  EXPECT_NE(log.find("computed 1 of 3 times in a row"), std::string::npos) << log;
  EXPECT_NE(log.find("computed 2 of 3 times in a row"), std::string::npos) << log;
  EXPECT_NE(log.find("the same removals computed 3 cycles in a row"), std::string::npos) << log;
  // /metrics counts the held cycles.
  const int port = loggedPort(c, "/metrics");
  ASSERT_GT(port, 0) << log;
  std::string body;
  EXPECT_TRUE(eventually([&] {
    auto [status, text] = httpGet(port, "/metrics");
    body = text;
    return status == 200 && body.find("aws_auth_refresher_mass_removal_held 0") != std::string::npos;
  })) << body;
  EXPECT_NE(body.find("aws_auth_refresher_mass_removal_held_cycles_total 2"), std::string::npos) << body;
}

}  // namespace
}  // namespace aar::e2e
