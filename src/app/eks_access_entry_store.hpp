// EksAccessEntryStore: the adapter of the controller's AccessEntryStore port
// (controller/access_entry_ports.hpp) to aws::EksClient, for the access-entries backend (issue #13). It turns
// EKS's shapes into core's (core::ExistingAccessEntry, core::AccessEntryOperation) and keeps what it learnt
// between cycles, so that a steady cycle costs DescribeCluster + the ListAccessEntries pages and nothing
// else.
//
// Reading (listEntries()):
//   - ListAccessEntries, every page, each call. A failed page is an error and nothing is returned: never act
//     on partial data. The cache is left as it was.
//   - DescribeAccessEntry (type, username, groups, tags) and ListAssociatedAccessPolicies only for entries
//     new to the store: not cached, forgotten after a failed write, or every entry once the last full read
//     is older than Options::full_read_interval (default 10 minutes, measured on the injected base::Clock).
//     An entry that vanished between the listing and its describe (kNotFound) is left out: it no longer
//     exists. Any other error fails the whole read.
//   - Entries no longer listed are dropped from the cache.
//   So N entries cost ceil(N/100) + 2N calls at start-up (and at most every full_read_interval), and
//   ceil(N/100) in the steady state.
//
// Writing (apply()): one core::AccessEntryOperation, one EKS call (throttling and 5xx retried inside
// EksClient):
//   - CreateAccessEntry: type STANDARD with the operation's tags; refused (kInternal, no call) when the tags
//     do not carry kAccessEntryOwnerTag = Options::owner_id: an entry we create is always ours.
//   - AssociateAccessPolicy (sets the scope of an associated policy), UpdateAccessEntry (username and groups
//     in ONE call), DisassociateAccessPolicy, DeleteAccessEntry. A 404 on AssociateAccessPolicy is returned
//     as it is (the controller retries it after its own create); a 404 on DisassociateAccessPolicy or
//     DeleteAccessEntry means already done (a retry of a call EKS had applied) and is Ok.
//   - Update, associate, disassociate and delete are refused (kInternal, no call) for an entry whose cached
//     description is not ours (type not STANDARD or owner tag not owner_id): defence in depth under the
//     plan's own check and the IAM policy's tag conditions (docs/deployment.md).
//   - On success the cache reflects the call (the next listEntries() shows it without a describe); on any
//     failure the entry is forgotten, so the next listEntries() describes it afresh (ResourceInUseException
//     on a create: someone else made it; we read it and never overwrite it).
//   - Errors are controller::EksError: "<Operation> <principal ARN>[ <policy ARN>]: <EksClient's message>",
//     EKS's code and HTTP status; ResourceLimitExceededException has kind kTooLarge (the port's contract),
//     every other kind is EksClient's. Never a credential.
//
// Thread-safety: every method may be called from any thread; calls are serialised by one mutex (held
// across the EKS requests: the controller makes one call at a time anyway).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/aws_error.hpp"
#include "aws/eks_client.hpp"
#include "base/clock.hpp"
#include "controller/access_entry_ports.hpp"
#include "core/access_entries.hpp"
#include "core/result.hpp"

namespace aar::app {

struct EksAccessEntryStoreOptions {
  std::string owner_id = core::kDefaultAccessEntryOwnerId;  // Default: aws-auth-refresher
  std::string cluster_name;                                 // for describe()
  std::string region;                                       // for describe()
  // Default: 10 minutes. Every entry is described again once the last full read is this old.
  std::chrono::nanoseconds full_read_interval = std::chrono::minutes(10);
};

// What the last listEntries() did, for logs and tests.
struct AccessEntryReadStats {
  size_t listed = 0;     // entries ListAccessEntries returned
  size_t described = 0;  // entries described (DescribeAccessEntry + ListAssociatedAccessPolicies)
  bool full_read = false;
};

class EksAccessEntryStore final : public controller::AccessEntryStore {
 public:
  // eks and clock must outlive the store.
  EksAccessEntryStore(aws::EksClient& eks, base::Clock& clock, EksAccessEntryStoreOptions options = {});

  Result<core::AuthenticationMode> authenticationMode() override;
  Result<std::vector<core::ExistingAccessEntry>> listEntries() override;
  controller::EksStatus apply(const core::AccessEntryOperation& op) override;
  std::string describe() const override;  // "cluster NAME in REGION"

  // Drops everything learnt: the next listEntries() describes every entry.
  void forgetAll();
  size_t cachedCount() const;
  AccessEntryReadStats lastRead() const;

 private:
  // The EKS call itself; EKS's error details land in `details`, the entry EKS answered a create or update
  // with in `written`.
  Status execute(const core::AccessEntryOperation& op, aws::AwsError& details,
                 std::optional<aws::EksAccessEntry>& written);
  // Ok when we may write op.principal_arn: not cached, or cached and ours.
  Status checkOurs(const core::AccessEntryOperation& op) const;
  // The cache after a successful op.
  void reflect(const core::AccessEntryOperation& op, const std::optional<aws::EksAccessEntry>& written);

  aws::EksClient& eks_;
  base::Clock& clock_;
  EksAccessEntryStoreOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, core::ExistingAccessEntry> cache_;  // by principal ARN as EKS lists it
  std::optional<base::Clock::SteadyTime> last_full_read_;
  AccessEntryReadStats last_read_;
};

// EKS's shapes in core's terms. kParse for a scope type other than cluster/namespace.
Result<core::AccessPolicy> toCorePolicy(const aws::EksAssociatedAccessPolicy& policy);
core::AuthenticationMode toCoreMode(aws::EksAuthenticationMode mode);
aws::EksAccessScope toEksScope(const core::AccessScope& scope);

}  // namespace aar::app
