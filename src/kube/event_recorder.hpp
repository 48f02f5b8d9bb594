// EventRecorder: events.k8s.io/v1 Events about one object (the rules ConfigMap
// kube-system/aws-auth-refresher), so that `kubectl describe configmap aws-auth-refresher -n kube-system`
// tells an operator what happened.
//
// Why events.k8s.io/v1: it has a first-class series {count, lastObservedTime} for repeats, and the API server
// also serves these Events through core/v1 (which `kubectl describe` reads), with regarding → involvedObject.
//
// Each Event: regarding = {apiVersion v1, kind ConfigMap, namespace, name, uid and resourceVersion when
// known}, reportingController "aws-auth-refresher", reportingInstance (our identity), action, type
// Normal/Warning, reason, note (truncated to 1 kB as the API requires), eventTime.
//
// Aggregation: an Event with the same (type, reason, note, regarding name) as one posted within the
// aggregation window is a repeat. A repeat does not create an Event: it counts locally, and the existing
// Event's series (count, lastObservedTime) is written at most once per series_update_interval, so a failure
// repeated every cycle costs one request per interval, not one per cycle. flush() writes pending series now.
//
// Failures to post are logged (warn), never returned: Events are best effort.
//
// Thread-safety: every public method is safe from any thread; requests are made on the caller's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "base/clock.hpp"
#include "core/result.hpp"
#include "kube/rest_client.hpp"

namespace aar::kube {

struct EventRegarding {
  std::string namespace_name = "kube-system";
  std::string name = "aws-auth-refresher";
  std::string uid;               // empty: unknown
  std::string resource_version;  // empty: unknown
};

struct EventRecorderOptions {
  std::string namespace_name = "kube-system";  // where Events are created (the regarding's namespace)
  std::string reporting_controller = "aws-auth-refresher";
  std::string reporting_instance;    // Default: empty → "aws-auth-refresher"
  std::string action = "Reconcile";  // events.k8s.io/v1 requires an action
  // The regarding object, asked for at each post (e.g. from the rules ConfigMap cache, for its uid).
  // Default: the rules ConfigMap with unknown uid.
  std::function<EventRegarding()> regarding;
  std::chrono::seconds aggregation_window{600};     // Default: 10 min since the last occurrence
  std::chrono::seconds series_update_interval{60};  // Default: 1 min between series writes per Event
  size_t max_tracked = 128;                         // Default: 128 distinct Events remembered
  base::Clock* clock = &base::systemClock();        // Default: base::systemClock()
};

class EventRecorder {
 public:
  EventRecorder(RestClient& rest, EventRecorderOptions options);

  void normal(std::string_view reason, std::string_view note) { record(false, reason, note); }
  void warning(std::string_view reason, std::string_view note) { record(true, reason, note); }

  // Creates an Event or counts a repeat (see above). Returns what happened for tests; callers may ignore it.
  enum class Outcome { kCreated, kSeriesUpdated, kCounted, kFailed };
  Outcome record(bool warning, std::string_view reason, std::string_view note);

  // Writes every pending series update now (e.g. at shutdown).
  void flush();

 private:
  struct Tracked {
    std::string event_name;
    int count = 1;  // occurrences (series.count once >= 2)
    int written_count = 1;
    std::chrono::steady_clock::time_point first_seen, last_seen, last_written;
    std::chrono::system_clock::time_point last_seen_wall;
  };
  using Key =
      std::tuple<bool, std::string, std::string, std::string>;  // warning, reason, note, regarding name

  Outcome create(const Key& key, bool warning, std::string_view reason, std::string_view note);
  bool writeSeries(Tracked& tracked);
  void evictOld(std::chrono::steady_clock::time_point now);
  EventRegarding regarding() const;

  RestClient& rest_;
  EventRecorderOptions options_;
  std::mutex mu_;
  std::map<Key, Tracked> tracked_;
  uint64_t sequence_ = 0;
};

}  // namespace aar::kube
