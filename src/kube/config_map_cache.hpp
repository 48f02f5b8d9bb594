// ConfigMapCache: one ConfigMap (namespace + name) kept in memory by list-then-watch, so a controller cycle
// reads memory, not the API server. The controller runs one per ConfigMap it uses (aws-auth, the rules).
//
// On its own thread it lists with fieldSelector=metadata.name=<name> (0 or 1 item) to learn the state and a
// resourceVersion, then watches from there. It resumes from the last resourceVersion seen (events and
// BOOKMARKs) after a dropped connection (with backoff) and after the server's timeoutSeconds (at once,
// quietly); a 410 Gone (HTTP or an ERROR event) means the resourceVersion is too old: it lists again.
//
// A missing ConfigMap (404, DELETED) is a state, not an error. on_change is called (on the cache's thread)
// after the first successful list and then whenever the object appeared, disappeared or got a new
// resourceVersion. Callbacks must not block for long and must not call stop().
//
// stop() returns within 2 s (it cancels the cache's own connection; the RestClient given stays usable).
//
// An exception escaping the cache's thread (from on_change, say) is logged and ends the process with exit
// code 70 (net::runGuarded), never std::terminate.
//
// Thread-safety: every public method is safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.hpp"
#include "core/result.hpp"
#include "kube/config_maps.hpp"
#include "kube/rest_client.hpp"
#include "kube/watch.hpp"

namespace aar::kube {

struct ConfigMapCacheOptions {
  std::string namespace_name;
  std::string name;
  int watch_timeout_seconds = 300;                 // Default: 300 (server-side timeoutSeconds)
  std::chrono::milliseconds idle_timeout{330000};  // Default: 330 s without a byte → reconnect
  std::chrono::milliseconds backoff_initial{500};  // Default: 500 ms after a failure, doubling
  std::chrono::milliseconds backoff_max{30000};    // Default: 30 s
  // Time of backoffs, waits and the short-watch check; tests pass a manual clock. Default:
  // base::systemClock()
  base::Clock* clock = &base::systemClock();
  // Called after the state changed; receives the object (nullopt: does not exist). Default: none.
  std::function<void(const std::optional<ConfigMap>&)> on_change;
};

class ConfigMapCache {
 public:
  ConfigMapCache(RestClient& rest, ConfigMapCacheOptions options);
  ~ConfigMapCache();  // stop()
  ConfigMapCache(const ConfigMapCache&) = delete;
  ConfigMapCache& operator=(const ConfigMapCache&) = delete;

  // Starts the thread. Once only.
  void start();
  // Stops and joins the thread. Idempotent; the cache cannot be restarted.
  void stop();

  // True once a list has succeeded (then stays true; later failures leave the last known state in place).
  bool hasSynced() const;
  // Blocks until synced, stopped or `timeout`; returns hasSynced().
  bool waitForSync(std::chrono::milliseconds timeout) const;

  // The object as last seen: nullopt when it does not exist. kUnavailable before the first list succeeded.
  Result<std::optional<ConfigMap>> get() const;
  // resourceVersion the cache is at ("" before sync).
  std::string resourceVersion() const;

  // Counters, for tests and logs.
  struct Stats {
    uint64_t lists = 0;    // successful lists (1 + re-lists after 410)
    uint64_t watches = 0;  // watch connections opened
    uint64_t events = 0;   // events applied (ADDED/MODIFIED/DELETED)
    uint64_t bookmarks = 0;
    uint64_t failures = 0;  // failed lists or watches (then backoff)
  };
  Stats stats() const;

  std::string describe() const { return options_.namespace_name + "/" + options_.name; }

 private:
  // What the loop does after a watch ended.
  enum class AfterWatch { kResume, kList, kStop };

  // The cache's thread: list (again after 410), then watch from the last resourceVersion, until stopped.
  void run();
  bool stopRequested() const;
  Status listOnce();
  // Opens one watch from resourceVersion() and applies its events until it ends; *progressed: an event or a
  // BOOKMARK arrived. An ERROR event is returned as its error (410 → kGone).
  Status watchFromLastVersion(bool* progressed);
  // Applies one watch event; false ends the watch with *error set.
  bool handleEvent(const WatchEvent& ev, std::optional<Error>* error, bool* progressed);
  bool handleObjectEvent(const WatchEvent& ev, std::optional<Error>* error);
  AfterWatch afterWatch(const Status& s, bool progressed, base::Clock::SteadyTime started);
  // Counts and logs a failure, then waits the current backoff. True when stop() was called meanwhile.
  bool backOff(const Error& e, const char* what);
  // Waits the current backoff and doubles it (up to backoff_max). True when stop() was called meanwhile.
  bool waitAndGrowBackoff();
  void apply(std::optional<ConfigMap> object, const std::string& resource_version);
  bool waitStop(std::chrono::milliseconds d);

  std::shared_ptr<RestClient> rest_;  // our own fork, cancelled by stop()
  ConfigMapCacheOptions options_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  bool synced_ = false;
  std::optional<ConfigMap> object_;
  std::string resource_version_;
  Stats stats_;
  std::chrono::milliseconds backoff_{0};  // the next backoff; the cache's thread only
  std::thread thread_;
};

}  // namespace aar::kube
