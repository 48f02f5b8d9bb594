// MetricsRegistry: a small Prometheus registry (counters, gauges, histograms) rendered in the text exposition
// format 0.0.4 for /metrics.
//
// A series is (metric name, label set). Asking the registry for the same name and labels again returns the
// same series, so callers may look a series up once and keep the reference: references stay valid for the
// registry's lifetime. Every metric name has one type and one help text; asking for a name with another type
// is a programming error (it throws std::logic_error, at wiring time).
//
// Label values are escaped on output (backslash, double quote, newline); label names and metric names must
// match [a-zA-Z_][a-zA-Z0-9_]* (checked, std::invalid_argument otherwise).
//
// Thread-safety: every method of every class here is safe to call from several threads at once. Updating a
// series is lock-free (atomics); looking one up and rendering take the registry's mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aar::controller {

// Label pairs in the order they are rendered.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  // Adds v (must be ≥ 0; negative values are ignored, a counter never goes down).
  void inc(double v = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // upper_bounds: strictly increasing finite bucket bounds; +Inf is implicit.
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);

  const std::vector<double>& upperBounds() const { return bounds_; }
  // Cumulative count of observations ≤ upperBounds()[i]; index bounds.size() is +Inf (== count()).
  uint64_t cumulativeCount(size_t i) const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bucket (not cumulative), last one is +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Default buckets for durations in seconds (as the Prometheus client libraries): 5 ms … 10 s.
std::vector<double> defaultDurationBuckets();

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  // The buckets of the first call for a name apply to every series of that name.
  Histogram& histogram(std::string_view name, std::string_view help, const std::vector<double>& buckets,
                       const Labels& labels = {});

  // Every family, sorted by name, each with # HELP and # TYPE lines; series sorted by labels.
  std::string renderText() const;

  // Content-Type of renderText()'s output.
  static constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Family;
  Family& family(std::string_view name, std::string_view help, int type, const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

}  // namespace aar::controller
