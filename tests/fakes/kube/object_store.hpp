// ObjectStore: the fake API server's storage and its Kubernetes semantics, without HTTP.
//
// - One global resourceVersion counter (like etcd's revision): every write of any object bumps it, and the
//   object carries the new value in metadata.resourceVersion (a decimal string; clients treat it as opaque).
// - Create stamps metadata.uid, creationTimestamp, resourceVersion (and namespace from the URL); everything
//   else the client sent is kept as sent (labels, annotations, data, binaryData, immutable...).
// - Update (PUT) must carry the current metadata.resourceVersion or fails with 409 Conflict; a missing
//   resourceVersion is an unconditional update where the type allows it (ConfigMaps, Events), 422 otherwise
//   (Leases). uid and creationTimestamp cannot be changed.
// - Patch: application/merge-patch+json and application/strategic-merge-patch+json are applied as a
//   JSON merge patch (RFC 7386; for ConfigMaps, Leases and Events the two agree except for $-directives), and
//   application/json-patch+json as RFC 6902. A resourceVersion in the patched object is a precondition.
// - ConfigMap validation: data + binaryData values (binaryData decoded) over 1,048,576 bytes, annotations
// over
//   262,144 bytes, bad keys, a key in both maps, or a change to an immutable ConfigMap → 422 Invalid.
// - Each resource type keeps a bounded history of watch events (Options::history_limit). A watch from a
//   resourceVersion older than the oldest kept event fails with 410 Expired; compact() drops the history so
//   that every watch from a resourceVersion issued before it gets 410.
//
// Thread-safety: every method is safe to call from any thread; one mutex guards everything, and
// waitForEvents() blocks on a condition variable that every write and wakeWatchers() signal.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fakes/kube/api_status.hpp"
#include "fakes/kube/selector.hpp"

namespace aar::testing::kube {

struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  std::string kind;
  std::string short_names;  // comma separated, for discovery
  bool allow_unconditional_update = true;
  bool allow_create_on_update = false;

  std::string apiVersion() const { return group.empty() ? version : group + "/" + version; }
};

// configmaps (v1), events (v1), leases (coordination.k8s.io/v1), events (events.k8s.io/v1).
const std::vector<ResourceType>& builtinResourceTypes();
const ResourceType* findResourceType(const std::string& group, const std::string& version,
                                     const std::string& plural);

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED
  nlohmann::json object;
  nlohmann::json old_object;  // null for ADDED
  std::string namespace_name;
  uint64_t resource_version = 0;
};

// What a watcher wants: a namespace (empty = all) and selectors.
struct WatchFilter {
  std::string namespace_name;
  Selector fields;
  Selector labels;
  bool matches(const nlohmann::json& object) const;
};

class ObjectStore {
 public:
  struct Options {
    // Watch events kept per resource type. Default: 1000.
    size_t history_limit = 1000;
    // resourceVersion of the first write is this plus one. Default: 1000.
    uint64_t initial_resource_version = 1000;
    // Clock for creationTimestamp. Default: system_clock::now.
    std::function<std::chrono::system_clock::time_point()> now;
  };

  explicit ObjectStore(Options options);

  ApiResult get(const ResourceType& type, const std::string& ns, const std::string& name) const;
  // A <Kind>List with metadata.resourceVersion = the current global resourceVersion. `resource_version` and
  // `resource_version_match` follow the list semantics: "Exact" for anything but the current version, or any
  // version older than the kept history, → 410 Expired (the fake keeps no snapshots).
  ApiResult list(const ResourceType& type, const WatchFilter& filter, const std::string& resource_version,
                 const std::string& resource_version_match) const;
  ApiResult create(const ResourceType& type, const std::string& ns, nlohmann::json object, bool dry_run);
  ApiResult update(const ResourceType& type, const std::string& ns, const std::string& name,
                   nlohmann::json object, bool dry_run);
  ApiResult patch(const ResourceType& type, const std::string& ns, const std::string& name,
                  const std::string& content_type, const std::string& patch_body, bool dry_run);
  // delete_options may hold preconditions {uid, resourceVersion}.
  ApiResult remove(const ResourceType& type, const std::string& ns, const std::string& name,
                   const nlohmann::json& delete_options, bool dry_run);

  // Starts a watch. resource_version "" or "0": the current objects as synthetic ADDED events (in *initial),
  // then every later change; otherwise every change after it, or 410 when it is older than the history.
  // On success *cursor is where waitForEvents() continues.
  ApiResult startWatch(const ResourceType& type, const WatchFilter& filter,
                       const std::string& resource_version, uint64_t* cursor,
                       std::vector<WatchEvent>* initial) const;
  // Blocks until there are events after *cursor for this type, the deadline passes, or wakeWatchers() is
  // called. Returns the events (filtered: an object leaving the filter is a DELETED, entering it an ADDED)
  // and advances *cursor. *expired is set when the history no longer reaches back to *cursor (the watcher
  // fell behind).
  std::vector<WatchEvent> waitForEvents(const ResourceType& type, const WatchFilter& filter, uint64_t* cursor,
                                        std::chrono::steady_clock::time_point deadline, bool* expired) const;
  void wakeWatchers();
  // The resourceVersion a BOOKMARK may carry for a watcher at *cursor: the current one when the watcher has
  // seen every event of its type, else its cursor (so resuming from a bookmark never skips an event).
  uint64_t bookmarkVersion(const ResourceType& type, uint64_t cursor) const;

  uint64_t currentResourceVersion() const;
  // The oldest resourceVersion a watch of this type may still resume from.
  uint64_t oldestWatchableResourceVersion(const ResourceType& type) const;
  // Advances the resourceVersion by one and drops every kept watch event: a watch (or an Exact list) from any
  // resourceVersion issued before gets 410; the resourceVersion of a list made afterwards is watchable.
  void compact();

  // Direct access for tests (no validation, no faults). put() creates or replaces, stamping like
  // create/update and emitting a watch event; it returns the stored object.
  std::optional<nlohmann::json> find(const ResourceType& type, const std::string& ns,
                                     const std::string& name) const;
  nlohmann::json put(const ResourceType& type, nlohmann::json object);
  bool erase(const ResourceType& type, const std::string& ns, const std::string& name);

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  struct TypeState {
    std::map<Key, nlohmann::json> objects;
    std::deque<WatchEvent> history;
    uint64_t floor = 0;  // every event with resource_version > floor is in history
  };

  static std::string typeId(const ResourceType& type) { return type.group + "/" + type.plural; }
  TypeState& state(const ResourceType& type);
  const TypeState* findState(const ResourceType& type) const;
  std::string nowTimestamp() const;
  std::string newUid() const;
  // Validates, stamps and stores `object` (which has metadata.name/namespace set) and records the event.
  ApiResult commit(const ResourceType& type, nlohmann::json object, const nlohmann::json* existing,
                   bool dry_run);
  void record(const ResourceType& type, WatchEvent event);

  Options options_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  uint64_t resource_version_;
  uint64_t wake_generation_ = 0;
  std::map<std::string, TypeState> types_;
};

}  // namespace aar::testing::kube
