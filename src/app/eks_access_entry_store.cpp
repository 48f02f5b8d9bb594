#include "app/eks_access_entry_store.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace aar::app {

using core::AccessEntryOperation;
using Kind = core::AccessEntryOperation::Kind;

Result<core::AccessPolicy> toCorePolicy(const aws::EksAssociatedAccessPolicy& policy) {
  core::AccessPolicy out;
  out.policy_arn = policy.policy_arn;
  if (policy.scope.type == "cluster") {
    out.scope.type = core::AccessScope::Type::kCluster;
  } else if (policy.scope.type == "namespace") {
    out.scope.type = core::AccessScope::Type::kNamespace;
    out.scope.namespaces = policy.scope.namespaces;
  } else {
    return makeError(ErrorKind::kParse, "EKS access scope \"" + policy.scope.type + "\" of " +
                                            policy.policy_arn + " is unknown");
  }
  return out;
}

core::AuthenticationMode toCoreMode(aws::EksAuthenticationMode mode) {
  switch (mode) {
    case aws::EksAuthenticationMode::kConfigMap:
      return core::AuthenticationMode::kConfigMap;
    case aws::EksAuthenticationMode::kApiAndConfigMap:
      return core::AuthenticationMode::kApiAndConfigMap;
    case aws::EksAuthenticationMode::kApi:
      return core::AuthenticationMode::kApi;
  }
  return core::AuthenticationMode::kConfigMap;  // unreachable: the parser accepts only the three
}

aws::EksAccessScope toEksScope(const core::AccessScope& scope) {
  aws::EksAccessScope out;
  if (scope.type == core::AccessScope::Type::kNamespace) {
    out.type = "namespace";
    out.namespaces = scope.namespaces;
  } else {
    out.type = "cluster";
  }
  return out;
}

EksAccessEntryStore::EksAccessEntryStore(aws::EksClient& eks, base::Clock& clock,
                                         EksAccessEntryStoreOptions options)
    : eks_(eks), clock_(clock), options_(std::move(options)) {}

std::string EksAccessEntryStore::describe() const {
  return "cluster " + options_.cluster_name + " in " + options_.region;
}

Result<core::AuthenticationMode> EksAccessEntryStore::authenticationMode() {
  auto cluster = eks_.describeCluster();
  if (!cluster.ok()) return cluster.error();
  return toCoreMode(cluster->authentication_mode);
}

Result<std::vector<core::ExistingAccessEntry>> EksAccessEntryStore::listEntries() {
  std::lock_guard<std::mutex> lock(mu_);
  auto arns = eks_.listAccessEntries();
  if (!arns.ok()) return arns.error();

  AccessEntryReadStats stats;
  stats.listed = arns->size();
  auto now = clock_.now();
  // Work on a copy: a failed describe leaves the cache as it was.
  std::map<std::string, core::ExistingAccessEntry> next;
  if (!last_full_read_ || now - *last_full_read_ >= options_.full_read_interval) {
    stats.full_read = true;
  } else {
    for (const auto& arn : *arns) {
      auto it = cache_.find(arn);
      if (it != cache_.end()) next.emplace(arn, it->second);
    }
  }
  std::vector<core::ExistingAccessEntry> out;
  out.reserve(arns->size());
  for (const auto& arn : *arns) {
    auto known = next.find(arn);
    if (known != next.end()) {
      out.push_back(known->second);
      continue;
    }
    auto entry = eks_.describeAccessEntry(arn);
    if (!entry.ok() && entry.error().kind == ErrorKind::kNotFound) continue;  // deleted since the listing
    if (!entry.ok()) return entry.error();
    auto policies = eks_.listAssociatedAccessPolicies(arn);
    if (!policies.ok() && policies.error().kind == ErrorKind::kNotFound) continue;
    if (!policies.ok()) return policies.error();
    core::ExistingAccessEntry e;
    e.principal_arn = entry->principal_arn.empty() ? arn : entry->principal_arn;
    e.type = entry->type;
    e.username = entry->username;
    e.kubernetes_groups = entry->kubernetes_groups;
    e.tags = entry->tags;
    for (const auto& p : *policies) {
      auto policy = toCorePolicy(p);
      if (!policy.ok()) return policy.error();
      e.policies.push_back(std::move(*policy));
    }
    ++stats.described;
    next.emplace(arn, e);
    out.push_back(std::move(e));
  }
  cache_ = std::move(next);
  if (stats.full_read) last_full_read_ = now;
  last_read_ = stats;
  return out;
}

controller::EksStatus EksAccessEntryStore::apply(const AccessEntryOperation& op) {
  std::lock_guard<std::mutex> lock(mu_);
  aws::AwsError details;
  std::optional<aws::EksAccessEntry> written;
  Status status = execute(op, details, written);
  if (status.ok()) {
    reflect(op, written);
    return controller::EksStatus::Ok();
  }
  // What we knew of the entry may be stale now: describe it again next time.
  cache_.erase(op.principal_arn);
  Error error = status.error();
  if (details.code == controller::kEksResourceLimitExceeded) error.kind = ErrorKind::kTooLarge;
  std::string what = std::string(core::accessEntryOperationName(op.kind)) + " " + op.principal_arn;
  if (op.kind == Kind::kAssociateAccessPolicy || op.kind == Kind::kDisassociateAccessPolicy) {
    what += " " + op.policy.policy_arn;
  }
  error.message = what + ": " + error.message;
  return controller::EksError{std::move(error), details.code, static_cast<int>(details.http_status)};
}

void EksAccessEntryStore::reflect(const AccessEntryOperation& op,
                                  const std::optional<aws::EksAccessEntry>& written) {
  if (op.kind == Kind::kCreateAccessEntry && written) {
    // EKS's answer, not our request: it holds the defaults EKS filled in (a username left empty).
    core::ExistingAccessEntry e;
    e.principal_arn = op.principal_arn;
    e.type = written->type;
    e.username = written->username;
    e.kubernetes_groups = written->kubernetes_groups;
    e.tags = written->tags;
    cache_[op.principal_arn] = std::move(e);
    return;
  }
  auto it = cache_.find(op.principal_arn);
  if (it == cache_.end()) return;
  auto& policies = it->second.policies;
  auto same = [&op](const core::AccessPolicy& p) { return p.policy_arn == op.policy.policy_arn; };
  switch (op.kind) {
    case Kind::kAssociateAccessPolicy: {
      auto p = std::find_if(policies.begin(), policies.end(), same);
      if (p != policies.end()) {
        *p = op.policy;
      } else {
        policies.push_back(op.policy);
      }
      break;
    }
    case Kind::kUpdateAccessEntry:
      if (written) {
        it->second.username = written->username;
        it->second.kubernetes_groups = written->kubernetes_groups;
      } else {
        cache_.erase(it);
      }
      break;
    case Kind::kDisassociateAccessPolicy:
      policies.erase(std::remove_if(policies.begin(), policies.end(), same), policies.end());
      break;
    case Kind::kDeleteAccessEntry:
      cache_.erase(it);
      break;
    case Kind::kCreateAccessEntry:
      break;
  }
}

Status EksAccessEntryStore::checkOurs(const AccessEntryOperation& op) const {
  auto it = cache_.find(op.principal_arn);
  if (it == cache_.end()) return Status::Ok();
  const auto& e = it->second;
  auto owner = e.tags.find(core::kAccessEntryOwnerTag);
  if (e.type == core::kStandardAccessEntryType && owner != e.tags.end() &&
      owner->second == options_.owner_id) {
    return Status::Ok();
  }
  return makeError(ErrorKind::kInternal,
                   std::string("refusing to write an entry that is not ours (type ") + e.type +
                       ", owner tag " + (owner == e.tags.end() ? "absent" : "\"" + owner->second + "\"") +
                       ")");
}

Status EksAccessEntryStore::execute(const AccessEntryOperation& op, aws::AwsError& details,
                                    std::optional<aws::EksAccessEntry>& written) {
  if (op.kind != Kind::kCreateAccessEntry) {
    if (auto ours = checkOurs(op); !ours.ok()) return ours;
  }
  switch (op.kind) {
    case Kind::kCreateAccessEntry: {
      auto owner = op.tags.find(core::kAccessEntryOwnerTag);
      if (owner == op.tags.end() || owner->second != options_.owner_id) {
        return makeError(ErrorKind::kInternal, "refusing to create an entry whose tags do not name owner \"" +
                                                   options_.owner_id + "\"");
      }
      aws::EksCreateAccessEntryInput in;
      in.principal_arn = op.principal_arn;
      in.kubernetes_groups = op.kubernetes_groups;
      in.username = op.username;
      in.type = core::kStandardAccessEntryType;
      in.tags = op.tags;
      auto created = eks_.createAccessEntry(std::move(in), &details);
      if (!created.ok()) return created.error();
      written = std::move(*created);
      return Status::Ok();
    }
    case Kind::kAssociateAccessPolicy: {
      auto assoc = eks_.associateAccessPolicy(op.principal_arn, op.policy.policy_arn,
                                              toEksScope(op.policy.scope), &details);
      return assoc.ok() ? Status::Ok() : Status(assoc.error());
    }
    case Kind::kUpdateAccessEntry: {
      aws::EksUpdateAccessEntryInput in;
      in.principal_arn = op.principal_arn;
      in.kubernetes_groups = op.kubernetes_groups;
      in.username = op.username;
      auto updated = eks_.updateAccessEntry(std::move(in), &details);
      if (!updated.ok()) return updated.error();
      written = std::move(*updated);
      return Status::Ok();
    }
    case Kind::kDisassociateAccessPolicy: {
      auto st = eks_.disassociateAccessPolicy(op.principal_arn, op.policy.policy_arn, &details);
      if (!st.ok() && st.error().kind == ErrorKind::kNotFound) return Status::Ok();  // already gone
      return st;
    }
    case Kind::kDeleteAccessEntry: {
      auto st = eks_.deleteAccessEntry(op.principal_arn, &details);
      if (!st.ok() && st.error().kind == ErrorKind::kNotFound) return Status::Ok();  // already gone
      return st;
    }
  }
  return makeError(ErrorKind::kInternal, "unknown access entry operation");
}

void EksAccessEntryStore::forgetAll() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
  last_full_read_.reset();
}

size_t EksAccessEntryStore::cachedCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.size();
}

AccessEntryReadStats EksAccessEntryStore::lastRead() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_read_;
}

}  // namespace aar::app
