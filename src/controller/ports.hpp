// Ports: the small interfaces through which the controller sees the world. src/app adapts the concrete IAM
// and Kubernetes clients to them; tests/controller implements them in memory. The controller depends on
// nothing else of ours but the core.
//
// Every error returned through a port is an aar::Error whose message already says what failed and where
// (which ConfigMap, which AWS error code and request id); the controller adds the cycle's context.
//
// Thread-safety: the controller calls the data ports (PrincipalSource, RulesSource, AwsAuthStore) from its
// one cycle thread only; EventSink from that thread too. Implementations need not be safe for concurrent use
// by the controller, but they are typically fed by other threads (watches) and must synchronise with those.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config_map.hpp"
#include "core/result.hpp"
#include "core/rules.hpp"

namespace aar::controller {

// The IAM principals of one AWS account, as the controller asks for them.
struct AccountQuery {
  // nullopt: the controller's own account, with its own credentials. Otherwise a further account of the
  // rules' `accounts` key, listed with credentials from STS AssumeRole on spec->role_arn.
  std::optional<core::AccountSpec> account;
  bool roles = false;                   // also list IAM roles (only when some mapRoles rule exists)
  std::vector<std::string> iam_groups;  // GetGroup each of these (distinct, sorted); empty: no GetGroup call
};

// One account's listing: complete (every page of every call) or not returned at all.
struct AccountListing {
  std::vector<core::Principal> users;  // arn and id; iam_groups empty (membership is in group_members)
  // Roles: arn as ListRoles returns it (with its path) and id; empty unless asked.
  std::vector<core::Principal> roles;
  // For each group of the query that exists: the ARNs of its member users (any order).
  std::map<std::string, std::vector<std::string>> group_members;
  // Groups of the query that do not exist in this account (IAM NoSuchEntity).
  std::vector<std::string> missing_groups;
};

// The IAM principals that exist, per account.
class PrincipalSource {
 public:
  virtual ~PrincipalSource() = default;
  // Everything `query` asks for in one account, or an error (AssumeRole refused, any failed page, any
  // GetGroup failure other than NoSuchEntity): never a partial listing. Users are always listed; roles only
  // when query.roles; GetGroup once for each of query.iam_groups and for nothing else.
  virtual Result<AccountListing> listAccount(const AccountQuery& query) = 0;
};

// What the rules ConfigMap (kube-system/aws-auth-refresher) holds now.
struct RulesSnapshot {
  enum class State {
    kConfigMapMissing,  // the ConfigMap does not exist
    kKeyMissing,        // it exists but has neither a mapUsers nor a mapRoles key
    kPresent,           // text holds its keys (maybe invalid YAML; the controller parses them)
  };
  State state = State::kConfigMapMissing;
  // The values of mapUsers, mapRoles and accounts, each nullopt when the key is absent. *_first_line are 1.
  core::RulesText text;
  std::string resource_version;
};

class RulesSource {
 public:
  virtual ~RulesSource() = default;
  // The current rules ConfigMap, typically from a watch-fed cache. An error when it cannot be known (cache
  // not synced yet, API server unreachable); the controller then acts on nothing.
  virtual Result<RulesSnapshot> read() = 0;
  // "namespace/name" of the rules ConfigMap, for messages.
  virtual std::string describe() const = 0;
};

// aws-auth as the controller sees it: its data and annotations plus the resourceVersion that an update must
// carry. Every other field of the object is the store's business and is kept by update().
struct AwsAuthObject {
  core::ConfigMapContent content;
  std::string resource_version;
  std::string uid;  // metadata.uid; the ownership record is bound to it. Empty when unknown.
};

class AwsAuthStore {
 public:
  virtual ~AwsAuthStore() = default;
  // The current aws-auth, typically from a watch-fed cache (which may lag behind our own last write); nullopt
  // when it does not exist. An error when it cannot be known (cache not synced, API server unreachable).
  virtual Result<std::optional<AwsAuthObject>> read() = 0;
  // The same, straight from the API server (after a conflict the cache may be behind).
  virtual Result<std::optional<AwsAuthObject>> readFresh() = 0;
  // Creates aws-auth holding `content`. kAlreadyExists when someone created it first.
  virtual Result<AwsAuthObject> create(const core::ConfigMapContent& content) = 0;
  // Replaces data and annotations if aws-auth is still at `resource_version`, keeping every other field of
  // the object (labels, owner references, ...). Precondition: `resource_version` is that of the last object
  // read() or readFresh() returned, or of the last object create() or update() returned (the store keeps
  // those two whole objects and writes over the one named); any other version is kInternal, nothing sent.
  // kConflict when aws-auth moved on; kNotFound when it was deleted. Returns what it wrote, as the API server
  // answered (the new resourceVersion). The store decides nothing about echoes: read() shows the cache as it
  // is, even when it still shows the version our last write replaced; the controller decides what that means.
  virtual Result<AwsAuthObject> update(const core::ConfigMapContent& content,
                                       const std::string& resource_version) = 0;
  // "namespace/name" of aws-auth, for messages.
  virtual std::string describe() const = 0;
};

// Kubernetes Events about the rules ConfigMap, so `kubectl describe` tells an operator what happened.
// Implementations aggregate repeats.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void normal(std::string_view reason, std::string_view message) = 0;
  virtual void warning(std::string_view reason, std::string_view message) = 0;
};

}  // namespace aar::controller
