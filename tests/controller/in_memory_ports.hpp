// In-memory implementations of the controller's ports, for tests/controller.
// They behave like the real adapters in what the controller relies on: a store with resourceVersions that
// rejects stale updates with kConflict, creates that fail with kAlreadyExists, and an outside writer hook.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/ports.hpp"
#include "support/manual_clock.hpp"

namespace aar::controller::testing {

// The IAM principals per account. The own account (query.account unset) lists `arns` as users with ids
// "AIDA" + index, `roles`, and `groups` (name -> member ARNs; a group not in it is missing); each further
// account lists `accounts[account_id]`, or fails with `account_errors[account_id]`. Every query is logged.
class InMemoryIdentities : public PrincipalSource {
 public:
  Result<AccountListing> listAccount(const AccountQuery& query) override {
    std::lock_guard lock(mu);
    queries.push_back(query);
    if (query.account) return listOther(query);
    ++calls;
    if (error) return *error;
    AccountListing out;
    for (size_t i = 0; i < arns.size(); ++i) out.users.push_back({arns[i], "AIDA" + std::to_string(i), {}});
    if (query.roles) {
      for (size_t i = 0; i < roles.size(); ++i)
        out.roles.push_back({roles[i], "AROA" + std::to_string(i), {}});
    }
    answerGroups(query, groups, out);
    return out;
  }
  void set(std::vector<std::string> a) {
    std::lock_guard lock(mu);
    arns = std::move(a);
  }
  std::mutex mu;
  std::vector<std::string> arns;                           // the own account's users
  std::vector<std::string> roles;                          // the own account's roles (ARNs with their path)
  std::map<std::string, std::vector<std::string>> groups;  // the own account's groups
  std::optional<Error> error;                              // the own account's listing fails
  // Further accounts, by 12-digit id: groups as AccountListing::group_members holds every group there.
  std::map<std::string, AccountListing> accounts;
  std::map<std::string, Error> account_errors;
  int calls = 0;  // listings of the own account
  std::vector<AccountQuery> queries;

 private:
  static void answerGroups(const AccountQuery& query,
                           const std::map<std::string, std::vector<std::string>>& all, AccountListing& out) {
    out.group_members.clear();
    for (const auto& g : query.iam_groups) {
      if (auto it = all.find(g); it != all.end()) {
        out.group_members[g] = it->second;
      } else {
        out.missing_groups.push_back(g);
      }
    }
  }
  Result<AccountListing> listOther(const AccountQuery& query) {
    const std::string& id = query.account->account_id;
    if (auto it = account_errors.find(id); it != account_errors.end()) return it->second;
    auto it = accounts.find(id);
    if (it == accounts.end()) return makeError(ErrorKind::kForbidden, "AccessDenied: no such account " + id);
    AccountListing out = it->second;
    if (!query.roles) out.roles.clear();
    answerGroups(query, it->second.group_members, out);
    return out;
  }
};

class InMemoryRules : public RulesSource {
 public:
  Result<RulesSnapshot> read() override {
    std::lock_guard lock(mu);
    if (error) return *error;
    return snapshot;
  }
  std::string describe() const override { return "kube-system/aws-auth-refresher"; }
  // mapRoles and accounts values (nullopt: the key is absent), kept by setText.
  void setKeys(std::optional<std::string> map_roles, std::optional<std::string> accounts) {
    std::lock_guard lock(mu);
    snapshot.state = RulesSnapshot::State::kPresent;
    snapshot.text.map_roles = std::move(map_roles);
    snapshot.text.accounts = std::move(accounts);
    snapshot.resource_version = std::to_string(++version);
  }
  void setText(std::string text) {
    std::lock_guard lock(mu);
    snapshot.state = RulesSnapshot::State::kPresent;
    snapshot.text.map_users = std::move(text);
    snapshot.resource_version = std::to_string(++version);
  }
  std::mutex mu;
  RulesSnapshot snapshot;
  std::optional<Error> error;
  int version = 0;
};

class InMemoryAwsAuth : public AwsAuthStore {
 public:
  Result<std::optional<AwsAuthObject>> read() override {
    std::lock_guard lock(mu);
    ++reads;
    if (read_error) return *read_error;
    if (cache_view) return *cache_view;
    return object;
  }
  // From now on read() shows the object as it is now, like a watch cache that delivers nothing more, until
  // catchUp(). readFresh() still reads the truth.
  void lag() {
    std::lock_guard lock(mu);
    cache_view = object;
  }
  void catchUp() {
    std::lock_guard lock(mu);
    cache_view.reset();
  }
  Result<std::optional<AwsAuthObject>> readFresh() override {
    std::lock_guard lock(mu);
    ++fresh_reads;
    return object;
  }
  Result<AwsAuthObject> create(const core::ConfigMapContent& content) override {
    std::lock_guard lock(mu);
    if (object) return makeError(ErrorKind::kAlreadyExists, "configmaps \"aws-auth\" already exists");
    object = AwsAuthObject{content, std::to_string(++rv), uid};
    ++creates;
    return *object;
  }
  Result<AwsAuthObject> update(const core::ConfigMapContent& content,
                               const std::string& resource_version) override {
    std::unique_lock lock(mu);
    if (before_update) {
      auto hook = before_update;
      lock.unlock();
      hook();
      lock.lock();
    }
    ++update_attempts;
    if (write_error) return *write_error;
    if (!object) return makeError(ErrorKind::kNotFound, "configmaps \"aws-auth\" not found");
    if (object->resource_version != resource_version) {
      return makeError(ErrorKind::kConflict,
                       "the object has been modified; please apply your changes to the "
                       "latest version and try again");
    }
    object = AwsAuthObject{content, std::to_string(++rv), uid};
    ++updates;
    return *object;
  }
  std::string describe() const override { return "kube-system/aws-auth"; }

  // A write by someone else: bumps the resourceVersion.
  void outsideWrite(const std::function<void(core::ConfigMapContent&)>& edit) {
    std::lock_guard lock(mu);
    if (!object) object = AwsAuthObject{{}, "", uid};
    edit(object->content);
    object->resource_version = std::to_string(++rv);
  }
  std::optional<core::ConfigMapContent> content() {
    std::lock_guard lock(mu);
    if (!object) return std::nullopt;
    return object->content;
  }
  std::string mapUsers() {
    auto c = content();
    if (!c || !c->data.count("mapUsers")) return "";
    return c->data.at("mapUsers");
  }

  std::mutex mu;
  std::optional<AwsAuthObject> object;
  std::optional<std::optional<AwsAuthObject>> cache_view;  // set: what read() shows (see lag())
  int rv = 100;
  std::string uid = "6f1b2c3d-aws-auth";  // metadata.uid of the objects this store creates
  int reads = 0, fresh_reads = 0, creates = 0, updates = 0, update_attempts = 0;
  std::optional<Error> read_error, write_error;
  std::function<void()> before_update;  // runs without the lock held, so it may call outsideWrite()
};

class RecordingEvents : public EventSink {
 public:
  struct Event {
    std::string type, reason, message;
  };
  void normal(std::string_view reason, std::string_view message) override { add("Normal", reason, message); }
  void warning(std::string_view reason, std::string_view message) override {
    add("Warning", reason, message);
  }
  std::vector<Event> all() {
    std::lock_guard lock(mu);
    return events;
  }
  bool has(std::string_view type, std::string_view reason) {
    for (const auto& e : all()) {
      if (e.type == type && e.reason == reason) return true;
    }
    return false;
  }

 private:
  void add(std::string_view type, std::string_view reason, std::string_view message) {
    std::lock_guard lock(mu);
    events.push_back({std::string(type), std::string(reason), std::string(message)});
  }
  std::mutex mu;
  std::vector<Event> events;
};

// The shared manual clock (tests/support/manual_clock.hpp), starting at the wall time these tests' metrics
// assertions expect (1700000000 s since the epoch).
class ManualClock : public aar::test::ManualClock {
 public:
  ManualClock() : aar::test::ManualClock(WallTime{std::chrono::seconds(1700000000)}) {}

  // From now on waits end only when ready() (a notify: a trigger, stop()), never because time passed: the
  // loop, once waiting, does not wake when its next cycle falls due. Simulates a stuck loop for liveness.
  void freezeWaits() { frozen_ = true; }

  bool waitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, SteadyTime deadline,
                 const std::function<bool()>& ready) override {
    if (!frozen_) return aar::test::ManualClock::waitUntil(cv, lock, deadline, ready);
    cv.wait(lock, ready);
    return true;
  }

 private:
  std::atomic<bool> frozen_{false};
};

}  // namespace aar::controller::testing
