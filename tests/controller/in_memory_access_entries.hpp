// InMemoryAccessEntries: the AccessEntryStore port in memory, for tests/controller. It behaves like EKS (and
// the adapter) in what the controller relies on:
//   - CreateAccessEntry of a principal that has an entry: ResourceInUseException (409), nothing changed;
//     beyond `max_entries` entries: ResourceLimitExceededException (400);
//   - every other call on a principal without an entry: ResourceNotFoundException (404); so is
//     DisassociateAccessPolicy of a policy not associated;
//   - AssociateAccessPolicy sets the scope of an already associated policy;
//   - `associate_not_found_after_create`: that many AssociateAccessPolicy calls after each CreateAccessEntry
//     answer 404 although the entry exists (EKS's eventual consistency);
//   - `fail`: a hook that may fail any call before it takes effect.
// Every call is logged (`calls`: "Operation arn[ policy]"), listEntries() is counted, and a failed
// listEntries() (`list_error`) returns nothing. Not thread-safe (the controller calls from one thread).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/access_entry_ports.hpp"

namespace aar::controller::testing {

class InMemoryAccessEntries : public AccessEntryStore {
 public:
  Result<core::AuthenticationMode> authenticationMode() override {
    ++mode_calls;
    if (mode_error) return *mode_error;
    return mode;
  }

  Result<std::vector<core::ExistingAccessEntry>> listEntries() override {
    ++list_calls;
    if (list_hook) list_hook();
    if (list_error) return *list_error;
    std::vector<core::ExistingAccessEntry> out;
    out.reserve(entries.size());
    for (const auto& [arn, e] : entries) out.push_back(e);
    return out;
  }

  EksStatus apply(const core::AccessEntryOperation& op) override {
    using Kind = core::AccessEntryOperation::Kind;
    std::string line = std::string(core::accessEntryOperationName(op.kind)) + " " + op.principal_arn;
    if (op.kind == Kind::kAssociateAccessPolicy || op.kind == Kind::kDisassociateAccessPolicy) {
      line += " " + op.policy.policy_arn;
    }
    calls.push_back(line);
    applied.push_back(op);
    if (fail) {
      if (auto err = fail(op)) return *err;
    }
    auto it = entries.find(op.principal_arn);
    if (op.kind == Kind::kCreateAccessEntry) return create(op, it != entries.end());
    if (it == entries.end()) return notFound(line);
    core::ExistingAccessEntry& e = it->second;
    switch (op.kind) {
      case Kind::kAssociateAccessPolicy:
        return associate(e, op, line);
      case Kind::kUpdateAccessEntry:
        e.username = op.username;
        e.kubernetes_groups = op.kubernetes_groups;
        return EksStatus::Ok();
      case Kind::kDisassociateAccessPolicy:
        return disassociate(e, op, line);
      case Kind::kDeleteAccessEntry:
        entries.erase(it);
        return EksStatus::Ok();
      case Kind::kCreateAccessEntry:
        break;
    }
    return EksStatus::Ok();
  }

  std::string describe() const override { return "cluster test in eu-west-1"; }
  void setProgressCallback(std::function<void()> p) override { progress = std::move(p); }

  // An entry of ours (owner tag `owner`) as CreateAccessEntry would have made it.
  void addOurs(const std::string& arn, const std::string& id, const std::string& username,
               std::vector<std::string> groups, const std::string& owner = core::kDefaultAccessEntryOwnerId) {
    core::ExistingAccessEntry e;
    e.principal_arn = arn;
    e.username = username;
    e.kubernetes_groups = std::move(groups);
    e.tags = {{core::kAccessEntryOwnerTag, owner}, {core::kAccessEntryPrincipalIdTag, id}};
    entries[arn] = e;
  }
  // An entry that is not ours (no owner tag).
  void addForeign(const std::string& arn, const std::string& type = core::kStandardAccessEntryType) {
    core::ExistingAccessEntry e;
    e.principal_arn = arn;
    e.type = type;
    e.username = "foreign";
    entries[arn] = e;
  }
  // The calls made so far whose operation name is `op` (e.g. "CreateAccessEntry").
  size_t count(const std::string& op) const {
    return static_cast<size_t>(std::count_if(
        calls.begin(), calls.end(), [&](const std::string& c) { return c.rfind(op + " ", 0) == 0; }));
  }

  core::AuthenticationMode mode = core::AuthenticationMode::kApi;
  std::optional<Error> mode_error;
  std::optional<Error> list_error;
  std::map<std::string, core::ExistingAccessEntry> entries;  // by principal ARN
  size_t max_entries = core::kMaxAccessEntriesPerCluster;
  int associate_not_found_after_create = 0;
  std::function<std::optional<EksError>(const core::AccessEntryOperation&)> fail;
  std::function<void()> list_hook;  // runs inside listEntries() (e.g. to simulate describes taking time)
  std::function<void()> progress;   // what the controller passed to setProgressCallback
  std::vector<std::string> calls;
  std::vector<core::AccessEntryOperation> applied;
  int mode_calls = 0;
  int list_calls = 0;

  static EksError eksError(ErrorKind kind, const std::string& code, int status, const std::string& what) {
    return EksError{makeError(kind, what + ": " + code + ": test"), code, status};
  }

 private:
  static EksStatus notFound(const std::string& line) {
    return eksError(ErrorKind::kNotFound, kEksResourceNotFound, 404, line);
  }
  EksStatus create(const core::AccessEntryOperation& op, bool exists) {
    if (exists) return eksError(ErrorKind::kAlreadyExists, kEksResourceInUse, 409, "CreateAccessEntry");
    if (entries.size() >= max_entries) {
      return eksError(ErrorKind::kTooLarge, kEksResourceLimitExceeded, 400, "CreateAccessEntry");
    }
    core::ExistingAccessEntry e;
    e.principal_arn = op.principal_arn;
    e.username = op.username;
    e.kubernetes_groups = op.kubernetes_groups;
    e.tags = op.tags;
    entries[op.principal_arn] = e;
    not_found_left_ = associate_not_found_after_create;
    return EksStatus::Ok();
  }
  EksStatus associate(core::ExistingAccessEntry& e, const core::AccessEntryOperation& op,
                      const std::string& line) {
    if (not_found_left_ > 0) {
      --not_found_left_;
      return notFound(line);
    }
    for (auto& p : e.policies) {
      if (p.policy_arn == op.policy.policy_arn) {
        p = op.policy;
        return EksStatus::Ok();
      }
    }
    e.policies.push_back(op.policy);
    return EksStatus::Ok();
  }
  static EksStatus disassociate(core::ExistingAccessEntry& e, const core::AccessEntryOperation& op,
                                const std::string& line) {
    auto it = std::find_if(e.policies.begin(), e.policies.end(),
                           [&](const core::AccessPolicy& p) { return p.policy_arn == op.policy.policy_arn; });
    if (it == e.policies.end()) return notFound(line);
    e.policies.erase(it);
    return EksStatus::Ok();
  }
  int not_found_left_ = 0;
};

}  // namespace aar::controller::testing
