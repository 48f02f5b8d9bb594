#include "kube/event_recorder.hpp"

#include <spdlog/spdlog.h>

#include "kube/encoding.hpp"
#include "net/http_client.hpp"

namespace aar::kube {
namespace {

constexpr size_t kMaxNoteBytes = 1024;  // events.k8s.io/v1 validation: note at most 1 kB
// The API server answers a POST or PATCH of an Event with the Event: a note of at most 1 kB and a few small
// fields, a few KiB in all. 1 MiB is far more than that and far less than an object limit.
constexpr size_t kMaxEventResponseBytes = 1 << 20;

// Cuts at a UTF-8 character boundary.
std::string truncateNote(std::string_view note) {
  if (note.size() <= kMaxNoteBytes) return std::string(note);
  size_t n = kMaxNoteBytes - 3;
  while (n > 0 && (static_cast<unsigned char>(note[n]) & 0xC0) == 0x80) --n;
  return std::string(note.substr(0, n)) + "...";
}

}  // namespace

EventRecorder::EventRecorder(RestClient& rest, EventRecorderOptions options)
    : rest_(rest), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &base::systemClock();
  if (options_.reporting_instance.empty()) options_.reporting_instance = options_.reporting_controller;
}

EventRegarding EventRecorder::regarding() const {
  if (options_.regarding) return options_.regarding();
  EventRegarding r;
  r.namespace_name = options_.namespace_name;
  return r;
}

void EventRecorder::evictOld(std::chrono::steady_clock::time_point now) {
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    if (now - it->second.last_seen >= options_.aggregation_window) {
      if (it->second.count > it->second.written_count) writeSeries(it->second);
      it = tracked_.erase(it);
    } else {
      ++it;
    }
  }
  while (tracked_.size() >= options_.max_tracked && !tracked_.empty()) {
    auto oldest = tracked_.begin();
    for (auto it = tracked_.begin(); it != tracked_.end(); ++it) {
      if (it->second.last_seen < oldest->second.last_seen) oldest = it;
    }
    tracked_.erase(oldest);
  }
}

EventRecorder::Outcome EventRecorder::record(bool warning, std::string_view reason, std::string_view note) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = options_.clock->now();
  evictOld(now);
  const std::string truncated = truncateNote(note);
  Key key{warning, std::string(reason), truncated, regarding().name};
  auto it = tracked_.find(key);
  if (it == tracked_.end()) return create(key, warning, reason, truncated);
  Tracked& t = it->second;
  ++t.count;
  t.last_seen = now;
  t.last_seen_wall = options_.clock->wallNow();
  if (now - t.last_written < options_.series_update_interval) return Outcome::kCounted;
  if (writeSeries(t)) return Outcome::kSeriesUpdated;
  // The Event may have been deleted (Events expire after an hour by default): post a new one.
  const int count = t.count;
  tracked_.erase(it);
  Outcome o = create(key, warning, reason, truncated);
  if (o == Outcome::kCreated) tracked_[key].written_count = tracked_[key].count = 1;
  (void)count;
  return o;
}

EventRecorder::Outcome EventRecorder::create(const Key& key, bool warning, std::string_view reason,
                                             std::string_view note) {
  const EventRegarding reg = regarding();
  const auto wall = options_.clock->wallNow();
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()).count();
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "%llx", static_cast<unsigned long long>(nanos) + sequence_++);
  nlohmann::json regarding_json = {
      {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"namespace", reg.namespace_name}, {"name", reg.name}};
  if (!reg.uid.empty()) regarding_json["uid"] = reg.uid;
  if (!reg.resource_version.empty()) regarding_json["resourceVersion"] = reg.resource_version;
  nlohmann::json event = {
      {"apiVersion", "events.k8s.io/v1"},
      {"kind", "Event"},
      {"metadata", {{"name", reg.name + "." + suffix}, {"namespace", options_.namespace_name}}},
      {"eventTime", formatRfc3339Micro(wall)},
      {"reportingController", options_.reporting_controller},
      {"reportingInstance", options_.reporting_instance},
      {"action", options_.action},
      {"type", warning ? "Warning" : "Normal"},
      {"reason", std::string(reason)},
      {"note", std::string(note)},
      {"regarding", std::move(regarding_json)}};
  auto r =
      rest_.post("/apis/events.k8s.io/v1/namespaces/" + net::urlEncode(options_.namespace_name) + "/events",
                 event, kMaxEventResponseBytes);
  if (!r) {
    spdlog::warn("could not post Event {} about ConfigMap {}/{}: {}", std::string(reason), reg.namespace_name,
                 reg.name, r.error().message);
    return Outcome::kFailed;
  }
  Tracked t;
  t.event_name = r->is_object() && r->contains("metadata") ? jsonString((*r)["metadata"], "name") : "";
  if (t.event_name.empty()) t.event_name = reg.name + "." + suffix;
  t.first_seen = t.last_seen = t.last_written = options_.clock->now();
  t.last_seen_wall = wall;
  tracked_[key] = std::move(t);
  return Outcome::kCreated;
}

bool EventRecorder::writeSeries(Tracked& t) {
  nlohmann::json patch = {
      {"series", {{"count", t.count}, {"lastObservedTime", formatRfc3339Micro(t.last_seen_wall)}}}};
  auto r = rest_.patch("/apis/events.k8s.io/v1/namespaces/" + net::urlEncode(options_.namespace_name) +
                           "/events/" + net::urlEncode(t.event_name),
                       patch, "application/merge-patch+json", kMaxEventResponseBytes);
  if (!r) {
    spdlog::warn("could not update Event {}: {}", t.event_name, r.error().message);
    return false;
  }
  t.written_count = t.count;
  t.last_written = options_.clock->now();
  return true;
}

void EventRecorder::flush() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, t] : tracked_) {
    if (t.count > t.written_count) writeSeries(t);
  }
}

}  // namespace aar::kube
