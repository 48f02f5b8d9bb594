// The in-memory AccessEntryStore answers as EKS does in what the access-entries cycle relies on (the codes of
// access_entry_ports.hpp); the cycle's tests build on these answers.
#include <gtest/gtest.h>

#include "in_memory_access_entries.hpp"

namespace aar::controller {
namespace {

using Kind = core::AccessEntryOperation::Kind;
using testing::InMemoryAccessEntries;

core::AccessEntryOperation op(Kind kind, const std::string& arn) {
  core::AccessEntryOperation o;
  o.kind = kind;
  o.principal_arn = arn;
  o.policy.policy_arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
  return o;
}

TEST(InMemoryAccessEntriesTest, CreateOfAnExistingPrincipalIsResourceInUse) {
  InMemoryAccessEntries store;
  store.addForeign("arn:aws:iam::1:user/a");
  EksStatus s = store.apply(op(Kind::kCreateAccessEntry, "arn:aws:iam::1:user/a"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, kEksResourceInUse);
  EXPECT_EQ(store.entries.at("arn:aws:iam::1:user/a").username, "foreign");
}

TEST(InMemoryAccessEntriesTest, CreateBeyondTheLimitIsResourceLimitExceeded) {
  InMemoryAccessEntries store;
  store.max_entries = 1;
  ASSERT_TRUE(store.apply(op(Kind::kCreateAccessEntry, "arn:aws:iam::1:user/a")).ok());
  EksStatus s = store.apply(op(Kind::kCreateAccessEntry, "arn:aws:iam::1:user/b"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, kEksResourceLimitExceeded);
  EXPECT_EQ(store.entries.size(), 1U);
}

TEST(InMemoryAccessEntriesTest, AssociateRightAfterCreateCanBeNotFound) {
  InMemoryAccessEntries store;
  store.associate_not_found_after_create = 1;
  ASSERT_TRUE(store.apply(op(Kind::kCreateAccessEntry, "arn:aws:iam::1:user/a")).ok());
  EksStatus first = store.apply(op(Kind::kAssociateAccessPolicy, "arn:aws:iam::1:user/a"));
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().http_status, 404);
  EXPECT_TRUE(store.apply(op(Kind::kAssociateAccessPolicy, "arn:aws:iam::1:user/a")).ok());
  EXPECT_EQ(store.entries.at("arn:aws:iam::1:user/a").policies.size(), 1U);
}

TEST(InMemoryAccessEntriesTest, CallsOnAMissingEntryAreNotFound) {
  InMemoryAccessEntries store;
  for (Kind k : {Kind::kUpdateAccessEntry, Kind::kDeleteAccessEntry, Kind::kDisassociateAccessPolicy}) {
    EksStatus s = store.apply(op(k, "arn:aws:iam::1:user/x"));
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, kEksResourceNotFound);
  }
  EXPECT_EQ(store.calls.size(), 3U);
}

}  // namespace
}  // namespace aar::controller
