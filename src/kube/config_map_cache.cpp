#include "kube/config_map_cache.hpp"

#include <spdlog/spdlog.h>

#include "kube/encoding.hpp"
#include "kube/watch.hpp"
#include "net/thread_guard.hpp"

namespace aar::kube {
namespace {

// A watch that ends cleanly this fast without delivering anything is treated like a failure (backoff).
constexpr std::chrono::seconds kShortWatch{1};

}  // namespace

ConfigMapCache::ConfigMapCache(RestClient& rest, ConfigMapCacheOptions options)
    : rest_(rest.fork()), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &base::systemClock();
}

ConfigMapCache::~ConfigMapCache() { stop(); }

void ConfigMapCache::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { net::runGuarded("config map cache", [this] { run(); }); });
}

void ConfigMapCache::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  rest_->cancel();
  if (thread_.joinable()) thread_.join();
}

bool ConfigMapCache::hasSynced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return synced_;
}

bool ConfigMapCache::waitForSync(std::chrono::milliseconds timeout) const {
  base::Clock& clock = *options_.clock;
  std::unique_lock<std::mutex> lock(mu_);
  clock.waitUntil(cv_, lock, clock.now() + timeout, [&] { return synced_ || stopping_; });
  return synced_;
}

Result<std::optional<ConfigMap>> ConfigMapCache::get() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!synced_)
    return makeError(ErrorKind::kUnavailable, "ConfigMap " + describe() + ": cache not synced yet");
  return object_;
}

std::string ConfigMapCache::resourceVersion() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resource_version_;
}

ConfigMapCache::Stats ConfigMapCache::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool ConfigMapCache::waitStop(std::chrono::milliseconds d) {
  base::Clock& clock = *options_.clock;
  std::unique_lock<std::mutex> lock(mu_);
  return clock.waitUntil(cv_, lock, clock.now() + d, [&] { return stopping_; });
}

void ConfigMapCache::apply(std::optional<ConfigMap> object, const std::string& resource_version) {
  bool changed = false;
  bool first = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    first = !synced_;
    const bool existed = object_.has_value();
    changed = existed != object.has_value() ||
              (object && object_ && object->resourceVersion() != object_->resourceVersion());
    object_ = object;
    resource_version_ = resource_version;
    synced_ = true;
  }
  if (first) cv_.notify_all();
  if ((changed || first) && options_.on_change) options_.on_change(object);
}

Status ConfigMapCache::listOnce() {
  ConfigMapClient client(*rest_);
  auto list = client.list(options_.namespace_name, "metadata.name=" + options_.name);
  if (!list) return list.error();
  std::optional<ConfigMap> found;
  for (auto& item : list->items) {
    if (item.name() == options_.name) found = std::move(item);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.lists;
  }
  apply(std::move(found), list->resource_version);
  return Status::Ok();
}

bool ConfigMapCache::stopRequested() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopping_;
}

bool ConfigMapCache::backOff(const Error& e, const char* what) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.failures;
  }
  spdlog::warn("ConfigMap {} {}: {}; retrying in {} ms", describe(), what, e.message, backoff_.count());
  return waitAndGrowBackoff();
}

bool ConfigMapCache::waitAndGrowBackoff() {
  const bool stop = waitStop(backoff_);
  backoff_ = std::min(backoff_ * 2, options_.backoff_max);
  return stop;
}

bool ConfigMapCache::handleObjectEvent(const WatchEvent& ev, std::optional<Error>* error) {
  auto cm = ConfigMap::fromJson(ev.object);
  if (!cm) {
    *error = cm.error();
    return false;
  }
  if (cm->name() != options_.name) return true;  // a server ignoring the field selector
  const std::string rv = cm->resourceVersion();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.events;
  }
  if (ev.type == WatchEvent::Type::kDeleted) {
    apply(std::nullopt, rv);
  } else {
    apply(std::move(*cm), rv);
  }
  return true;
}

bool ConfigMapCache::handleEvent(const WatchEvent& ev, std::optional<Error>* error, bool* progressed) {
  switch (ev.type) {
    case WatchEvent::Type::kAdded:
    case WatchEvent::Type::kModified:
    case WatchEvent::Type::kDeleted:
      if (!handleObjectEvent(ev, error)) return false;
      *progressed = true;
      return true;
    case WatchEvent::Type::kBookmark: {
      const std::string rv = ev.resourceVersion();
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.bookmarks;
      if (!rv.empty()) resource_version_ = rv;
      *progressed = true;
      return true;
    }
    case WatchEvent::Type::kError: {
      const int64_t code = jsonInt(ev.object, "code").value_or(0);
      const std::string message = jsonString(ev.object, "message");
      *error = makeError(code == 410 ? ErrorKind::kGone : ErrorKind::kServer,
                         "watch ERROR event " + std::to_string(code) + ": " + message);
      return false;
    }
  }
  return true;
}

Status ConfigMapCache::watchFromLastVersion(bool* progressed) {
  WatchOptions w;
  w.field_selector = "metadata.name=" + options_.name;
  w.resource_version = resourceVersion();
  w.timeout_seconds = options_.watch_timeout_seconds;
  w.idle_timeout = options_.idle_timeout;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.watches;
  }
  std::optional<Error> event_error;
  Status s = watchOnce(*rest_, configMapPath(options_.namespace_name), w,
                       [&](const WatchEvent& ev) { return handleEvent(ev, &event_error, progressed); });
  if (event_error) return *event_error;
  return s;
}

ConfigMapCache::AfterWatch ConfigMapCache::afterWatch(const Status& s, bool progressed,
                                                      base::Clock::SteadyTime started) {
  if (progressed) backoff_ = options_.backoff_initial;
  if (s) {
    // The server ended the watch (timeoutSeconds): resume at once from where we are, unless it ended at
    // once without news: a server that ends every watch at once would otherwise make us spin.
    if (!progressed && options_.clock->now() - started < kShortWatch && waitAndGrowBackoff()) {
      return AfterWatch::kStop;
    }
    spdlog::debug("ConfigMap {}: watch ended by the server; resuming at resourceVersion {}", describe(),
                  resourceVersion());
    return AfterWatch::kResume;
  }
  if (s.error().kind == ErrorKind::kCancelled) return AfterWatch::kStop;
  if (s.error().kind == ErrorKind::kGone) {
    spdlog::info("ConfigMap {}: resourceVersion {} is too old (410); listing again", describe(),
                 resourceVersion());
    return AfterWatch::kList;
  }
  return backOff(s.error(), "watch failed") ? AfterWatch::kStop : AfterWatch::kResume;
}

void ConfigMapCache::run() {
  backoff_ = options_.backoff_initial;
  bool need_list = true;
  while (!stopRequested()) {
    if (need_list) {
      Status s = listOnce();
      if (!s) {
        if (s.error().kind == ErrorKind::kCancelled || backOff(s.error(), "list failed")) return;
        continue;
      }
      need_list = false;
    }
    bool progressed = false;
    const auto started = options_.clock->now();
    Status s = watchFromLastVersion(&progressed);
    switch (afterWatch(s, progressed, started)) {
      case AfterWatch::kStop:
        return;
      case AfterWatch::kList:
        need_list = true;
        break;
      case AfterWatch::kResume:
        break;
    }
  }
}

}  // namespace aar::kube
