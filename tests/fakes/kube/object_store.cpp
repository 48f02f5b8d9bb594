#include "fakes/kube/object_store.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

#include "fakes/kube/validation.hpp"

namespace aar::testing::kube {
namespace {

using nlohmann::json;

std::optional<uint64_t> parseResourceVersion(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

std::string metaString(const json& object, const char* field) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) return "";
  const json& metadata = object["metadata"];
  if (!metadata.contains(field) || !metadata[field].is_string()) return "";
  return metadata[field].get<std::string>();
}

// Fields a client may not set; the server owns them.
void clearSystemFields(json* object) {
  json& metadata = (*object)["metadata"];
  for (const char* field : {"uid", "creationTimestamp", "resourceVersion", "deletionTimestamp",
                            "deletionGracePeriodSeconds", "selfLink"}) {
    metadata.erase(field);
  }
}

// Accepts apiVersion/kind when absent or equal to the type's; anything else is a 400 as on a real server.
std::optional<ApiResult> checkTypeMeta(const ResourceType& type, json* object) {
  if (!object->is_object()) return statusBadRequest("the body of the request was in an unknown format");
  if (object->contains("apiVersion") && (*object)["apiVersion"] != type.apiVersion()) {
    return statusBadRequest("the API version in the data (" + (*object)["apiVersion"].dump() +
                            ") does not match the expected API version (" + type.apiVersion() + ")");
  }
  if (object->contains("kind") && (*object)["kind"] != type.kind) {
    return statusBadRequest("the kind in the data (" + (*object)["kind"].dump() +
                            ") does not match the expected kind (" + type.kind + ")");
  }
  (*object)["apiVersion"] = type.apiVersion();
  (*object)["kind"] = type.kind;
  if (!object->contains("metadata") || (*object)["metadata"].is_null())
    (*object)["metadata"] = json::object();
  if (!(*object)["metadata"].is_object()) return statusBadRequest("metadata must be an object");
  return std::nullopt;
}

}  // namespace

const std::vector<ResourceType>& builtinResourceTypes() {
  static const std::vector<ResourceType> kTypes = {
      {"", "v1", "configmaps", "ConfigMap", "cm", true, false},
      {"", "v1", "events", "Event", "ev", true, true},
      {"coordination.k8s.io", "v1", "leases", "Lease", "", false, true},
      {"events.k8s.io", "v1", "events", "Event", "ev", true, true},
  };
  return kTypes;
}

const ResourceType* findResourceType(const std::string& group, const std::string& version,
                                     const std::string& plural) {
  for (const ResourceType& type : builtinResourceTypes()) {
    if (type.group == group && type.version == version && type.plural == plural) return &type;
  }
  return nullptr;
}

bool WatchFilter::matches(const json& object) const {
  if (!namespace_name.empty() && metaString(object, "namespace") != namespace_name) return false;
  return fields.matches(object) && labels.matches(object);
}

ObjectStore::ObjectStore(Options options)
    : options_(std::move(options)), resource_version_(options_.initial_resource_version) {
  if (!options_.now) options_.now = [] { return std::chrono::system_clock::now(); };
  if (options_.history_limit == 0) options_.history_limit = 1;
}

ObjectStore::TypeState& ObjectStore::state(const ResourceType& type) { return types_[typeId(type)]; }

const ObjectStore::TypeState* ObjectStore::findState(const ResourceType& type) const {
  auto it = types_.find(typeId(type));
  return it == types_.end() ? nullptr : &it->second;
}

std::string ObjectStore::nowTimestamp() const {
  std::time_t t = std::chrono::system_clock::to_time_t(options_.now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string ObjectStore::newUid() const {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | (b >> 48 & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buffer;
}

void ObjectStore::record(const ResourceType& type, WatchEvent event) {
  TypeState& s = state(type);
  s.history.push_back(std::move(event));
  while (s.history.size() > options_.history_limit) {
    s.floor = s.history.front().resource_version;
    s.history.pop_front();
  }
  cv_.notify_all();
}

ApiResult ObjectStore::commit(const ResourceType& type, json object, const json* existing, bool dry_run) {
  std::string name = metaString(object, "name");
  std::vector<StatusCause> causes = validateObject(type, object, existing);
  if (!causes.empty()) return statusInvalid(type.kind, type.group, name, causes);

  json& metadata = object["metadata"];
  if (existing != nullptr) {
    metadata["uid"] = (*existing)["metadata"]["uid"];
    metadata["creationTimestamp"] = (*existing)["metadata"]["creationTimestamp"];
    metadata["resourceVersion"] = (*existing)["metadata"]["resourceVersion"];
    // A write that changes nothing is not a write: no new resourceVersion, no watch event (as etcd3 storage).
    if (object == *existing) return ApiResult{200, object, {}};
  } else {
    metadata["uid"] = newUid();
    metadata["creationTimestamp"] = nowTimestamp();
  }
  if (dry_run) {
    if (existing == nullptr) metadata.erase("resourceVersion");
    return ApiResult{existing == nullptr ? 201 : 200, object, {}};
  }
  uint64_t rv = ++resource_version_;
  metadata["resourceVersion"] = std::to_string(rv);
  std::string ns = metaString(object, "namespace");
  TypeState& s = state(type);
  WatchEvent event{existing == nullptr ? "ADDED" : "MODIFIED", object, existing ? *existing : json(), ns, rv};
  s.objects[{ns, name}] = object;
  record(type, std::move(event));
  return ApiResult{existing == nullptr ? 201 : 200, std::move(object), {}};
}

ApiResult ObjectStore::get(const ResourceType& type, const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  const TypeState* s = findState(type);
  if (s != nullptr) {
    auto it = s->objects.find({ns, name});
    if (it != s->objects.end()) return ApiResult{200, it->second, {}};
  }
  return statusNotFound(type.plural, type.group, name);
}

ApiResult ObjectStore::list(const ResourceType& type, const WatchFilter& filter,
                            const std::string& resource_version,
                            const std::string& resource_version_match) const {
  std::lock_guard<std::mutex> lock(mu_);
  const TypeState* s = findState(type);
  if (!resource_version.empty() && resource_version != "0") {
    std::optional<uint64_t> rv = parseResourceVersion(resource_version);
    if (!rv) return statusBadRequest("invalid resource version: " + resource_version);
    uint64_t floor = s ? s->floor : 0;
    if (resource_version_match == "Exact" && *rv < floor) return statusExpired(*rv, floor);
  }
  json items = json::array();
  if (s != nullptr) {
    for (const auto& [key, object] : s->objects) {
      if (!filter.matches(object)) continue;
      json item = object;
      item.erase("kind");
      item.erase("apiVersion");
      items.push_back(std::move(item));
    }
  }
  return ApiResult{200,
                   {{"kind", type.kind + "List"},
                    {"apiVersion", type.apiVersion()},
                    {"metadata", {{"resourceVersion", std::to_string(resource_version_)}}},
                    {"items", std::move(items)}},
                   {}};
}

ApiResult ObjectStore::create(const ResourceType& type, const std::string& ns, json object, bool dry_run) {
  if (auto error = checkTypeMeta(type, &object)) return *error;
  json& metadata = object["metadata"];
  std::string object_ns = metaString(object, "namespace");
  if (!object_ns.empty() && object_ns != ns) {
    return statusBadRequest(
        "the namespace of the provided object does not match the namespace sent on the "
        "request");
  }
  metadata["namespace"] = ns;
  clearSystemFields(&object);
  std::lock_guard<std::mutex> lock(mu_);
  if (metaString(object, "name").empty() && !metaString(object, "generateName").empty()) {
    static thread_local std::mt19937 rng{std::random_device{}()};
    const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    std::string suffix;
    for (int i = 0; i < 5; ++i) suffix += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    metadata["name"] = metaString(object, "generateName") + suffix;
  }
  std::string name = metaString(object, "name");
  TypeState& s = state(type);
  if (!name.empty() && s.objects.count({ns, name}) > 0)
    return statusAlreadyExists(type.plural, type.group, name);
  return commit(type, std::move(object), nullptr, dry_run);
}

ApiResult ObjectStore::update(const ResourceType& type, const std::string& ns, const std::string& name,
                              json object, bool dry_run) {
  if (auto error = checkTypeMeta(type, &object)) return *error;
  if (metaString(object, "name") != name) {
    return statusBadRequest("the name of the object (" + metaString(object, "name") +
                            ") does not match the name on the URL (" + name + ")");
  }
  std::string object_ns = metaString(object, "namespace");
  if (!object_ns.empty() && object_ns != ns) {
    return statusBadRequest(
        "the namespace of the provided object does not match the namespace sent on the "
        "request");
  }
  object["metadata"]["namespace"] = ns;
  std::string rv = metaString(object, "resourceVersion");
  std::lock_guard<std::mutex> lock(mu_);
  TypeState& s = state(type);
  auto it = s.objects.find({ns, name});
  if (it == s.objects.end()) {
    if (!type.allow_create_on_update) return statusNotFound(type.plural, type.group, name);
    if (!rv.empty()) return statusNotFound(type.plural, type.group, name);
    clearSystemFields(&object);
    return commit(type, std::move(object), nullptr, dry_run);
  }
  if (rv.empty() && !type.allow_unconditional_update) {
    return statusInvalid(type.kind, type.group, name,
                         {{"FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
                           "metadata.resourceVersion"}});
  }
  if (!rv.empty() && rv != metaString(it->second, "resourceVersion")) {
    return statusConflict(type.plural, type.group, name);
  }
  json existing = it->second;
  return commit(type, std::move(object), &existing, dry_run);
}

ApiResult ObjectStore::patch(const ResourceType& type, const std::string& ns, const std::string& name,
                             const std::string& content_type, const std::string& patch_body, bool dry_run) {
  std::string media = content_type.substr(0, content_type.find(';'));
  json patch_doc = json::parse(patch_body, nullptr, false);
  if (patch_doc.is_discarded()) return statusBadRequest("error decoding patch: invalid JSON");
  bool merge = media == "application/merge-patch+json" || media == "application/strategic-merge-patch+json";
  bool json_patch = media == "application/json-patch+json";
  if (!merge && !json_patch) {
    return statusFailure(415, "UnsupportedMediaType",
                         "the body of the request was in an unknown format - accepted media types include: "
                         "application/json-patch+json, application/merge-patch+json, "
                         "application/strategic-merge-patch+json");
  }
  std::lock_guard<std::mutex> lock(mu_);
  TypeState& s = state(type);
  auto it = s.objects.find({ns, name});
  if (it == s.objects.end()) return statusNotFound(type.plural, type.group, name);
  json existing = it->second;
  json patched = existing;
  std::string current_rv = metaString(existing, "resourceVersion");
  try {
    if (merge) {
      if (!patch_doc.is_object()) return statusBadRequest("error decoding patch: not a JSON object");
      patched.merge_patch(patch_doc);
    } else {
      patched = existing.patch(patch_doc);
    }
  } catch (const json::exception& e) {
    return statusFailure(422, "Invalid",
                         std::string("the server rejected our request due to an error in our "
                                     "request: ") +
                             e.what());
  }
  std::string patched_rv = metaString(patched, "resourceVersion");
  if (!patched_rv.empty() && patched_rv != current_rv) return statusConflict(type.plural, type.group, name);
  if (!patched.is_object() || !patched.contains("metadata") || !patched["metadata"].is_object()) {
    return statusBadRequest("patch removed metadata");
  }
  patched["metadata"]["name"] = name;
  patched["metadata"]["namespace"] = ns;
  patched["apiVersion"] = type.apiVersion();
  patched["kind"] = type.kind;
  return commit(type, std::move(patched), &existing, dry_run);
}

ApiResult ObjectStore::remove(const ResourceType& type, const std::string& ns, const std::string& name,
                              const json& delete_options, bool dry_run) {
  std::lock_guard<std::mutex> lock(mu_);
  TypeState& s = state(type);
  auto it = s.objects.find({ns, name});
  if (it == s.objects.end()) return statusNotFound(type.plural, type.group, name);
  if (delete_options.is_object() && delete_options.contains("preconditions") &&
      delete_options["preconditions"].is_object()) {
    const json& pre = delete_options["preconditions"];
    if (pre.contains("uid") && pre["uid"].is_string() && pre["uid"] != it->second["metadata"]["uid"]) {
      return statusConflict(type.plural, type.group, name,
                            "Precondition failed: UID in precondition: " + pre["uid"].get<std::string>() +
                                ", UID in object meta: " + metaString(it->second, "uid"));
    }
    if (pre.contains("resourceVersion") && pre["resourceVersion"].is_string() &&
        pre["resourceVersion"] != it->second["metadata"]["resourceVersion"]) {
      return statusConflict(
          type.plural, type.group, name,
          "Precondition failed: ResourceVersion in precondition: " +
              pre["resourceVersion"].get<std::string>() +
              ", ResourceVersion in object meta: " + metaString(it->second, "resourceVersion"));
    }
  }
  json details = {{"name", name}, {"kind", type.plural}, {"uid", metaString(it->second, "uid")}};
  if (!type.group.empty()) details["group"] = type.group;
  if (dry_run) return statusSuccess(details);
  json object = it->second;
  s.objects.erase(it);
  uint64_t rv = ++resource_version_;
  object["metadata"]["resourceVersion"] = std::to_string(rv);
  record(type, WatchEvent{"DELETED", object, json(), ns, rv});
  return statusSuccess(details);
}

ApiResult ObjectStore::startWatch(const ResourceType& type, const WatchFilter& filter,
                                  const std::string& resource_version, uint64_t* cursor,
                                  std::vector<WatchEvent>* initial) const {
  std::lock_guard<std::mutex> lock(mu_);
  const TypeState* s = findState(type);
  if (resource_version.empty() || resource_version == "0") {
    if (s != nullptr) {
      for (const auto& [key, object] : s->objects) {
        if (filter.matches(object)) {
          initial->push_back(WatchEvent{"ADDED", object, json(), key.first,
                                        *parseResourceVersion(metaString(object, "resourceVersion"))});
        }
      }
    }
    *cursor = resource_version_;
    return ApiResult{200, json(), {}};
  }
  std::optional<uint64_t> rv = parseResourceVersion(resource_version);
  if (!rv) return statusBadRequest("invalid resource version: " + resource_version);
  uint64_t floor = s ? s->floor : 0;
  if (*rv < floor) return statusExpired(*rv, floor);
  *cursor = *rv;
  return ApiResult{200, json(), {}};
}

std::vector<WatchEvent> ObjectStore::waitForEvents(const ResourceType& type, const WatchFilter& filter,
                                                   uint64_t* cursor,
                                                   std::chrono::steady_clock::time_point deadline,
                                                   bool* expired) const {
  std::unique_lock<std::mutex> lock(mu_);
  *expired = false;
  uint64_t generation = wake_generation_;
  auto ready = [&] {
    if (wake_generation_ != generation) return true;
    const TypeState* s = findState(type);
    return s != nullptr &&
           ((!s->history.empty() && s->history.back().resource_version > *cursor) || s->floor > *cursor);
  };
  cv_.wait_until(lock, deadline, ready);
  std::vector<WatchEvent> out;
  const TypeState* s = findState(type);
  if (s == nullptr) return out;
  if (*cursor < s->floor) {
    *expired = true;
    return out;
  }
  for (const WatchEvent& event : s->history) {
    if (event.resource_version <= *cursor) continue;
    *cursor = event.resource_version;
    bool now_matches = filter.matches(event.object);
    if (event.type == "MODIFIED") {
      bool was_matching = filter.matches(event.old_object);
      if (now_matches && was_matching) {
        out.push_back(event);
      } else if (now_matches) {
        out.push_back(
            WatchEvent{"ADDED", event.object, json(), event.namespace_name, event.resource_version});
      } else if (was_matching) {
        out.push_back(
            WatchEvent{"DELETED", event.object, json(), event.namespace_name, event.resource_version});
      }
    } else if (now_matches) {
      out.push_back(event);
    }
  }
  return out;
}

void ObjectStore::wakeWatchers() {
  std::lock_guard<std::mutex> lock(mu_);
  ++wake_generation_;
  cv_.notify_all();
}

uint64_t ObjectStore::bookmarkVersion(const ResourceType& type, uint64_t cursor) const {
  std::lock_guard<std::mutex> lock(mu_);
  const TypeState* s = findState(type);
  if (s != nullptr && !s->history.empty() && s->history.back().resource_version > cursor) return cursor;
  return std::max(cursor, resource_version_);
}

uint64_t ObjectStore::currentResourceVersion() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resource_version_;
}

uint64_t ObjectStore::oldestWatchableResourceVersion(const ResourceType& type) const {
  std::lock_guard<std::mutex> lock(mu_);
  const TypeState* s = findState(type);
  return s ? s->floor : 0;
}

void ObjectStore::compact() {
  std::lock_guard<std::mutex> lock(mu_);
  // A revision of its own, so that every resourceVersion a client holds is now too old while a fresh list's
  // resourceVersion is still watchable (otherwise a re-list followed by a watch would get 410 forever).
  ++resource_version_;
  for (const ResourceType& type : builtinResourceTypes()) {
    TypeState& s = state(type);
    s.history.clear();
    s.floor = resource_version_;
  }
  cv_.notify_all();
}

std::optional<json> ObjectStore::find(const ResourceType& type, const std::string& ns,
                                      const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  const TypeState* s = findState(type);
  if (s == nullptr) return std::nullopt;
  auto it = s->objects.find({ns, name});
  if (it == s->objects.end()) return std::nullopt;
  return it->second;
}

json ObjectStore::put(const ResourceType& type, json object) {
  if (!object.is_object()) object = json::object();
  object["apiVersion"] = type.apiVersion();
  object["kind"] = type.kind;
  if (!object.contains("metadata") || !object["metadata"].is_object()) object["metadata"] = json::object();
  std::string ns = metaString(object, "namespace");
  std::string name = metaString(object, "name");
  std::lock_guard<std::mutex> lock(mu_);
  TypeState& s = state(type);
  auto it = s.objects.find({ns, name});
  json existing = it == s.objects.end() ? json() : it->second;
  json& metadata = object["metadata"];
  metadata["uid"] = existing.is_null() ? json(newUid()) : existing["metadata"]["uid"];
  metadata["creationTimestamp"] =
      existing.is_null() ? json(nowTimestamp()) : existing["metadata"]["creationTimestamp"];
  uint64_t rv = ++resource_version_;
  metadata["resourceVersion"] = std::to_string(rv);
  s.objects[{ns, name}] = object;
  record(type, WatchEvent{existing.is_null() ? "ADDED" : "MODIFIED", object, existing, ns, rv});
  return object;
}

bool ObjectStore::erase(const ResourceType& type, const std::string& ns, const std::string& name) {
  return remove(type, ns, name, json(), false).ok();
}

}  // namespace aar::testing::kube
