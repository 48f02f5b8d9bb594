// AccessEntryStore: the port through which the access-entries backend (issue #13) sees a cluster's EKS
// access entries. src/app adapts the EKS client to it; tests/controller implements it in memory
// (in_memory_access_entries.hpp).
//
// Errors: every failure is an EksError: an aar::Error whose message says which call failed, for which
// principal (and policy), with EKS's code, message and request id (never credentials), plus EKS's error code
// on its own so that the controller can act on it. Throttling and 5xx are retried inside the adapter as
// IAM's are; what reaches the controller is final for this attempt. The controller itself retries only a
// ResourceNotFoundException on AssociateAccessPolicy right after its own CreateAccessEntry (EKS is
// eventually consistent), with backoff on its clock.
//
// Thread-safety: the controller calls every method from its one cycle thread only. Implementations need not
// be safe for concurrent use.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/access_entries.hpp"
#include "core/result.hpp"

namespace aar::controller {

// EKS's error codes the controller acts on (the `__type` / x-amzn-ErrorType of the answer, without any
// namespace prefix).
inline constexpr char kEksResourceInUse[] = "ResourceInUseException";
inline constexpr char kEksResourceLimitExceeded[] = "ResourceLimitExceededException";
inline constexpr char kEksResourceNotFound[] = "ResourceNotFoundException";

// One failed EKS call.
struct EksError {
  // kind: kAlreadyExists for ResourceInUseException, kTooLarge for ResourceLimitExceededException,
  // kNotFound for ResourceNotFoundException, kForbidden for AccessDeniedException, kTooManyRequests for
  // throttling, kServer for 5xx, kNetwork/kTimeout for transport failures, kInvalidArgument for
  // InvalidParameterException/InvalidRequestException, kParse for an answer we could not read.
  // message: "<Operation> <principal ARN> [policy]: <code>: <EKS message> (request id ...)".
  Error error;
  // EKS's error code (e.g. kEksResourceInUse); empty when there was no EKS answer (network, parse).
  std::string code;
  // The HTTP status of the answer; 0 when there was none.
  int http_status = 0;
};

// The outcome of one mutating call: ok, or an EksError.
class [[nodiscard]] EksStatus {
 public:
  EksStatus() = default;
  EksStatus(EksError error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  static EksStatus Ok() { return EksStatus(); }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  // Precondition: !ok().
  const EksError& error() const { return *error_; }

 private:
  std::optional<EksError> error_;
};

class AccessEntryStore {
 public:
  virtual ~AccessEntryStore() = default;

  // The cluster's accessConfig.authenticationMode (DescribeCluster), asked each cycle (it may change
  // while we run, one way only). An error when the call fails or the answer names no known mode (kParse).
  virtual Result<core::AuthenticationMode> authenticationMode() = 0;

  // Every access entry of the cluster, ours or not, each with its type, username, kubernetesGroups, tags
  // and associated policies (scopes included), in any order. Whole or an error: any failed page of
  // ListAccessEntries, or any failed DescribeAccessEntry / ListAssociatedAccessPolicies, is an error and
  // nothing is returned (the controller then mutates nothing this cycle).
  //
  // Cost: ListAccessEntries (every page, maxResults=100) each call. What was described is cached between
  // calls and described again only for principals new to the cache (or forgotten, see apply), with a full
  // re-read of every entry at most every 10 minutes. Principals ListAccessEntries no longer lists leave the
  // cache.
  virtual Result<std::vector<core::ExistingAccessEntry>> listEntries() = 0;

  // Makes the one EKS call `op` names (CreateAccessEntry with type STANDARD, username, groups and tags;
  // AssociateAccessPolicy with op.policy's scope; UpdateAccessEntry with username and groups;
  // DisassociateAccessPolicy of op.policy.policy_arn; DeleteAccessEntry). On success the cache of
  // listEntries reflects the call (the next listEntries shows it without a describe). On any failure the
  // cache forgets that principal, so the next listEntries describes it afresh (e.g. after
  // ResourceInUseException on create: someone else made the entry; we read it, never overwrite it).
  virtual EksStatus apply(const core::AccessEntryOperation& op) = 0;

  // "cluster NAME in REGION", for messages.
  virtual std::string describe() const = 0;

  // Optional: the controller passes a callback that an implementation may call after each EKS request it
  // completes inside listEntries() (thousands of describes at start-up), so that liveness sees progress
  // within one long call. Called on the cycle thread. The default ignores it.
  virtual void setProgressCallback(std::function<void()> progress) { (void)progress; }
};

}  // namespace aar::controller
