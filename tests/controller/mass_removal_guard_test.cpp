#include "controller/mass_removal_guard.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace aar::controller {
namespace {

std::vector<std::string> arns(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("arn:aws:iam::1234567890:user/u" + std::to_string(i));
  return out;
}

TEST(MassRemovalGuardTest, LetsSmallOrPartialRemovalsThrough) {
  MassRemovalGuard g;
  // Ten managed: the guard does not act at all, even when all go.
  auto d = g.evaluate(10, arns(0, 10));
  EXPECT_FALSE(d.mass);
  EXPECT_FALSE(d.hold);
  // Eleven managed, exactly half or less removed: not a mass removal.
  EXPECT_FALSE(g.evaluate(12, arns(0, 6)).mass);
  EXPECT_FALSE(g.evaluate(11, arns(0, 5)).hold);
  EXPECT_FALSE(g.holding());
}

TEST(MassRemovalGuardTest, HoldsMoreThanHalfOfMoreThanTenUntilTheThirdIdenticalEvaluation) {
  MassRemovalGuard g;
  auto d1 = g.evaluate(11, arns(0, 6));
  EXPECT_TRUE(d1.mass);
  EXPECT_TRUE(d1.hold);
  EXPECT_EQ(d1.seen, 1);
  EXPECT_EQ(d1.required, 3);
  EXPECT_EQ(d1.removed, 6u);
  EXPECT_EQ(d1.managed, 11u);
  EXPECT_TRUE(g.holding());
  auto d2 = g.evaluate(11, arns(0, 6));
  EXPECT_TRUE(d2.hold);
  EXPECT_EQ(d2.seen, 2);
  // The same set in another order is the same set.
  auto third = arns(0, 6);
  std::reverse(third.begin(), third.end());
  auto d3 = g.evaluate(11, third);
  EXPECT_TRUE(d3.mass);
  EXPECT_FALSE(d3.hold);
  EXPECT_EQ(d3.seen, 3);
  g.applied();
  EXPECT_FALSE(g.holding());
  // After applying, the next mass removal starts from zero.
  EXPECT_TRUE(g.evaluate(20, arns(0, 20)).hold);
}

TEST(MassRemovalGuardTest, ADifferentSetRestartsTheCount) {
  MassRemovalGuard g;
  EXPECT_TRUE(g.evaluate(20, arns(0, 20)).hold);
  EXPECT_TRUE(g.evaluate(20, arns(0, 20)).hold);
  auto d = g.evaluate(20, arns(0, 19));  // one user came back: another set
  EXPECT_TRUE(d.hold);
  EXPECT_EQ(d.seen, 1);
  EXPECT_TRUE(g.evaluate(20, arns(0, 19)).hold);
  EXPECT_FALSE(g.evaluate(20, arns(0, 19)).hold);
}

TEST(MassRemovalGuardTest, APlanThatIsNotAMassRemovalForgetsTheHeldSet) {
  MassRemovalGuard g;
  EXPECT_TRUE(g.evaluate(20, arns(0, 20)).hold);
  EXPECT_TRUE(g.evaluate(20, arns(0, 20)).hold);
  EXPECT_FALSE(g.evaluate(20, {}).mass);  // the listing recovered
  EXPECT_FALSE(g.holding());
  auto d = g.evaluate(20, arns(0, 20));
  EXPECT_TRUE(d.hold);
  EXPECT_EQ(d.seen, 1);
}

TEST(MassRemovalGuardTest, AllowProceedsAtOnce) {
  MassRemovalGuard::Options o;
  o.allow = true;
  MassRemovalGuard g(o);
  auto d = g.evaluate(20, arns(0, 20));
  EXPECT_TRUE(d.mass);
  EXPECT_FALSE(d.hold);
}

}  // namespace
}  // namespace aar::controller
