// EksAccessEntryStore: the cluster's access entries as the access-entries backend (issue #13) reads and
// writes them, through aws::EksClient. It turns EKS's shapes into core's (core::ExistingAccessEntry,
// core::AccessEntryOperation) and keeps what it learnt between cycles, so that a steady cycle costs
// DescribeCluster + the ListAccessEntries pages and nothing else.
//
// Reading (list()):
//   - ListAccessEntries, every page, each call. A failed page is an error and nothing is returned: never act
//     on partial data. The cache is left as it was.
//   - DescribeAccessEntry (type, username, groups, tags) and ListAssociatedAccessPolicies only for entries
//     new to the store: not cached, forgotten after a write, or everything once the last full read is
//     older than Options::full_read_interval (default 10 minutes, measured on the injected base::Clock).
//     An entry that vanished between the listing and its describe (kNotFound) is left out: it no longer
//     exists. Any other error fails the whole read.
//   - Entries no longer listed are dropped from the cache.
//   So N entries cost ceil(N/100) + 2N calls at start-up (and every full_read_interval), ceil(N/100) in the
//   steady state, plus 2 per entry written in the previous cycle.
//
// Writing (apply()): one core::AccessEntryOperation, one EKS call:
//   - CreateAccessEntry: type STANDARD with the operation's tags; refused (kInternal, no call) when the tags
//     do not carry kAccessEntryOwnerTag = Options::owner_id: an entry we create is always ours.
//   - AssociateAccessPolicy: a 404 for an entry this store created (EKS is eventually consistent right after
//     a create) is retried up to Options::associate_attempts times, sleeping associate_backoff, doubled each
//     time, on the clock.
//   - UpdateAccessEntry: username and groups in ONE call.
//   - DisassociateAccessPolicy, DeleteAccessEntry: kNotFound means already done (Ok).
//   - Update, associate, disassociate and delete are refused (kInternal, no call) for an entry whose cached
//     description is not ours (type not STANDARD or owner tag not owner_id): defence in depth under the
//     plan's own check and the IAM policy's tag conditions (docs/deployment.md).
//   - After any write, success or not, the entry is forgotten: the next list() describes it again.
//   EKS's code (ResourceInUseException, ResourceLimitExceededException, ...) reaches the caller through the
//   AwsError out-parameter and the error kinds of eks_client.hpp; ResourceInUseException on a create means
//   someone else made the entry: the entry is forgotten, so the next read shows whose it is.
//
// Thread-safety: every method may be called from any thread; calls are serialised by one mutex (held
// across the EKS requests: the controller makes one call at a time anyway).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/aws_error.hpp"
#include "aws/eks_client.hpp"
#include "base/clock.hpp"
#include "core/access_entries.hpp"
#include "core/result.hpp"

namespace aar::app {

struct EksAccessEntryStoreOptions {
  std::string owner_id = core::kDefaultAccessEntryOwnerId;  // Default: aws-auth-refresher
  // Default: 10 minutes. Every entry is described again once the last full read is this old.
  std::chrono::nanoseconds full_read_interval = std::chrono::minutes(10);
  int associate_attempts = 5;                        // Default: 5 (first try included)
  std::chrono::milliseconds associate_backoff{500};  // Default: 500 ms, doubled each retry
};

// What the last list() did, for logs, metrics and tests.
struct AccessEntryReadStats {
  size_t listed = 0;     // entries ListAccessEntries returned
  size_t described = 0;  // entries described (DescribeAccessEntry + ListAssociatedAccessPolicies)
  bool full_read = false;
};

class EksAccessEntryStore {
 public:
  // eks and clock must outlive the store.
  EksAccessEntryStore(aws::EksClient& eks, base::Clock& clock, EksAccessEntryStoreOptions options = {});

  // DescribeCluster: the cluster's authentication mode.
  Result<core::AuthenticationMode> authenticationMode(aws::AwsError* details = nullptr);

  // Every access entry of the cluster, in EKS's listing order (see the contract above).
  Result<std::vector<core::ExistingAccessEntry>> list(aws::AwsError* details = nullptr);

  // Executes one operation of a core::AccessEntryPlan (see the contract above).
  Status apply(const core::AccessEntryOperation& op, aws::AwsError* details = nullptr);

  // Drops everything learnt: the next list() describes every entry.
  void forgetAll();

  size_t cachedCount() const;
  AccessEntryReadStats lastRead() const;

 private:
  Status applyLocked(const core::AccessEntryOperation& op, aws::AwsError* details);
  Status associateLocked(const core::AccessEntryOperation& op, aws::AwsError* details);
  // Ok when we may write `principal_arn`: not cached, or cached and ours.
  Status checkOurs(const core::AccessEntryOperation& op) const;

  aws::EksClient& eks_;
  base::Clock& clock_;
  EksAccessEntryStoreOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, core::ExistingAccessEntry> cache_;  // by principal ARN as EKS lists it
  std::set<std::string> created_;  // created by this store, not yet seen in a listing's describe
  std::optional<base::Clock::SteadyTime> last_full_read_;
  AccessEntryReadStats last_read_;
};

// EKS's shapes in core's terms. kParse for a scope type other than cluster/namespace.
Result<core::AccessPolicy> toCorePolicy(const aws::EksAssociatedAccessPolicy& policy);
core::AuthenticationMode toCoreMode(aws::EksAuthenticationMode mode);
aws::EksAccessScope toEksScope(const core::AccessScope& scope);

}  // namespace aar::app
