// Property: executing a plan the way EKS would, then planning again, gives no call at all; and no call ever
// touches an entry that is not ours. Random targets and existing entries from a fixed seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/access_entries.hpp"

namespace aar::core {
namespace {

using Op = AccessEntryOperation;

constexpr char kView[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
constexpr char kEdit[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy";

bool isOursForTest(const ExistingAccessEntry& e) {
  const auto it = e.tags.find(kAccessEntryOwnerTag);
  return e.type == kStandardAccessEntryType && it != e.tags.end() && it->second == kDefaultAccessEntryOwnerId;
}

// Applies `ops` as EKS would; a call EKS would refuse, or one on an entry that is not ours, fails the test.
void executeLikeEks(const std::vector<Op>& ops, std::vector<ExistingAccessEntry>& entries) {
  for (const Op& op : ops) {
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&](const ExistingAccessEntry& e) { return e.principal_arn == op.principal_arn; });
    if (op.kind == Op::Kind::kCreateAccessEntry) {
      ASSERT_EQ(it, entries.end()) << "ResourceInUseException: " << op.principal_arn;
      ExistingAccessEntry e;
      e.principal_arn = op.principal_arn;
      e.username = op.username;
      e.kubernetes_groups = op.kubernetes_groups;
      e.tags = op.tags;
      entries.push_back(std::move(e));
      continue;
    }
    ASSERT_NE(it, entries.end()) << "ResourceNotFoundException: " << op.principal_arn;
    ASSERT_TRUE(isOursForTest(*it)) << accessEntryOperationName(op.kind) << " on a foreign entry "
                                    << op.principal_arn;
    auto& policies = it->policies;
    auto policy = std::find_if(policies.begin(), policies.end(),
                               [&](const AccessPolicy& p) { return p.policy_arn == op.policy.policy_arn; });
    switch (op.kind) {
      case Op::Kind::kAssociateAccessPolicy:
        if (policy == policies.end()) {
          policies.push_back(op.policy);
        } else {
          policy->scope = op.policy.scope;
        }
        break;
      case Op::Kind::kUpdateAccessEntry:
        it->username = op.username;
        it->kubernetes_groups = op.kubernetes_groups;
        break;
      case Op::Kind::kDisassociateAccessPolicy:
        ASSERT_NE(policy, policies.end());
        policies.erase(policy);
        break;
      case Op::Kind::kDeleteAccessEntry:
        entries.erase(it);
        break;
      case Op::Kind::kCreateAccessEntry:
        break;
    }
  }
}

std::vector<std::string> asSortedSet(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// "policyArn type ns,ns" per association, sorted.
std::vector<std::string> policySet(const std::vector<AccessPolicy>& policies) {
  std::vector<std::string> out;
  for (const AccessPolicy& p : policies) {
    std::string s = p.policy_arn + (p.scope.type == AccessScope::Type::kCluster ? " cluster" : " namespace");
    for (const std::string& ns : asSortedSet(p.scope.namespaces)) s += " " + ns;
    out.push_back(s);
  }
  return asSortedSet(out);
}

TEST(AccessEntriesPropertyTest, ExecutingAPlanLeavesNothingToDoAndNeverTouchesForeignEntries) {
  std::mt19937 rng(20261130);
  auto coin = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  const std::vector<std::string> groups = {"g1", "g2", "g3"};
  const std::vector<AccessPolicy> policies = {
      AccessPolicy{kView, {AccessScope::Type::kCluster, {}}},
      AccessPolicy{kView, {AccessScope::Type::kNamespace, {"a"}}},
      AccessPolicy{kEdit, {AccessScope::Type::kNamespace, {"b", "a"}}}};
  auto someGroups = [&] {
    std::vector<std::string> out;
    for (const std::string& g : groups) {
      if (coin(40)) out.push_back(g);
    }
    return out;
  };
  auto somePolicies = [&] {
    std::vector<AccessPolicy> out;
    if (coin(50)) out.push_back(policies[rng() % 2]);  // one of the two kView scopes, never both
    if (coin(40)) out.push_back(policies[2]);
    return out;
  };
  for (int round = 0; round < 400; ++round) {
    AccessEntryTargets targets;
    std::vector<ExistingAccessEntry> existing;
    for (int i = 0; i < 8; ++i) {
      const std::string arn = "arn:aws:iam::1:user/u" + std::to_string(i);
      const std::string id = "AIDA" + std::to_string(i) + (coin(20) ? "new" : "");
      if (coin(60)) {
        targets.entries.push_back(DesiredAccessEntry{PrincipalKind::kUser, arn, id, 0, coin(50) ? "x" : "y",
                                                     someGroups(), somePolicies()});
      }
      if (coin(55)) {
        ExistingAccessEntry e;
        e.principal_arn = arn;
        e.username = coin(50) ? "x" : "y";
        e.kubernetes_groups = someGroups();
        e.policies = somePolicies();
        if (coin(75)) {
          e.tags = {{kAccessEntryOwnerTag, kDefaultAccessEntryOwnerId},
                    {kAccessEntryPrincipalIdTag, "AIDA" + std::to_string(i)}};
        }
        if (coin(10)) e.type = "EC2_LINUX";
        existing.push_back(std::move(e));
      }
    }
    std::vector<ExistingAccessEntry> foreign_before;
    for (const ExistingAccessEntry& e : existing) {
      if (!isOursForTest(e)) foreign_before.push_back(e);
    }
    auto plan = planAccessEntries(targets, existing, AccessEntryOptions{});
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    std::vector<ExistingAccessEntry> after = existing;
    executeLikeEks(plan->operations, after);
    if (HasFatalFailure()) return;
    auto again = planAccessEntries(targets, after, AccessEntryOptions{});
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(again->operations.empty())
        << "round " << round << ": " << again->operations.size() << " calls left, first "
        << accessEntryOperationName(again->operations[0].kind) << " " << again->operations[0].principal_arn;
    std::vector<ExistingAccessEntry> foreign_after;
    for (const ExistingAccessEntry& e : after) {
      if (!isOursForTest(e)) foreign_after.push_back(e);
    }
    ASSERT_EQ(foreign_after.size(), foreign_before.size());
    for (size_t i = 0; i < foreign_before.size(); ++i) {
      EXPECT_EQ(foreign_after[i].principal_arn, foreign_before[i].principal_arn);
      EXPECT_EQ(foreign_after[i].username, foreign_before[i].username);
      EXPECT_EQ(foreign_after[i].policies, foreign_before[i].policies);
    }
    // Ours after the plan are exactly the desired entries that no foreign entry shadows, with their
    // username, groups and policies (compared here as sets, independently of the core's comparison).
    size_t ours_after = 0;
    for (const ExistingAccessEntry& e : after) ours_after += isOursForTest(e) ? 1 : 0;
    EXPECT_EQ(ours_after, plan->desired.size());
    EXPECT_EQ(plan->managed_count, ours_after);
    for (const DesiredAccessEntry& d : plan->desired) {
      const auto e = std::find_if(after.begin(), after.end(), [&](const ExistingAccessEntry& x) {
        return x.principal_arn == d.principal_arn;
      });
      ASSERT_NE(e, after.end()) << d.principal_arn;
      EXPECT_TRUE(isOursForTest(*e));
      EXPECT_EQ(e->tags.at(kAccessEntryPrincipalIdTag), d.principal_id);
      EXPECT_EQ(e->username, d.username);
      EXPECT_EQ(asSortedSet(e->kubernetes_groups), asSortedSet(d.kubernetes_groups));
      EXPECT_EQ(policySet(e->policies), policySet(d.policies)) << "round " << round << " " << d.principal_arn;
    }
  }
}

}  // namespace
}  // namespace aar::core
