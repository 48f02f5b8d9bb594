#include "controller/metrics_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace aar::controller {
namespace {

enum Type { kCounter = 0, kGauge = 1, kHistogram = 2 };
const char* typeName(int t) { return t == kCounter ? "counter" : t == kGauge ? "gauge" : "histogram"; }

bool validName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

std::string escapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

// {a="x",b="y"} with optional extra pair appended (for le); empty string when no labels at all.
std::string renderLabels(const Labels& labels, const std::pair<std::string, std::string>* extra = nullptr) {
  if (labels.empty() && extra == nullptr) return "";
  std::string out = "{";
  bool first = true;
  auto add = [&](const std::pair<std::string, std::string>& kv) {
    if (!first) out += ',';
    first = false;
    out += kv.first;
    out += "=\"";
    out += escapeLabelValue(kv.second);
    out += '"';
  };
  for (const auto& kv : labels) add(kv);
  if (extra != nullptr) add(*extra);
  out += '}';
  return out;
}

}  // namespace

void Counter::inc(double v) {
  if (!(v >= 0)) return;
  value_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  for (size_t i = 1; i < bounds_.size(); ++i) {
    if (!(bounds_[i] > bounds_[i - 1])) throw std::invalid_argument("histogram buckets must increase");
  }
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

uint64_t Histogram::cumulativeCount(size_t i) const {
  uint64_t total = 0;
  for (size_t j = 0; j <= i && j <= bounds_.size(); ++j) total += buckets_[j].load(std::memory_order_relaxed);
  return total;
}

std::vector<double> defaultDurationBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

struct MetricsRegistry::Family {
  int type = kCounter;
  std::string help;
  std::vector<double> buckets;
  // Keyed by the rendered label string so output is sorted and lookups are exact.
  std::map<std::string, std::pair<Labels, std::unique_ptr<Counter>>> counters;
  std::map<std::string, std::pair<Labels, std::unique_ptr<Gauge>>> gauges;
  std::map<std::string, std::pair<Labels, std::unique_ptr<Histogram>>> histograms;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, std::string_view help, int type,
                                                 const Labels& labels) {
  if (!validName(name)) throw std::invalid_argument("invalid metric name: " + std::string(name));
  for (const auto& kv : labels) {
    if (!validName(kv.first) || kv.first == "le") {
      throw std::invalid_argument("invalid label name: " + kv.first);
    }
  }
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto f = std::make_unique<Family>();
    f->type = type;
    f->help = std::string(help);
    it = families_.emplace(std::string(name), std::move(f)).first;
  }
  if (it->second->type != type) {
    throw std::logic_error("metric " + std::string(name) + " registered as " + typeName(it->second->type));
  }
  return *it->second;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, kCounter, labels);
  auto& slot = f.counters[renderLabels(labels)];
  if (!slot.second) slot = {labels, std::make_unique<Counter>()};
  return *slot.second;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, kGauge, labels);
  auto& slot = f.gauges[renderLabels(labels)];
  if (!slot.second) slot = {labels, std::make_unique<Gauge>()};
  return *slot.second;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const std::vector<double>& buckets, const Labels& labels) {
  std::lock_guard lock(mu_);
  Family& f = family(name, help, kHistogram, labels);
  if (f.histograms.empty() && f.buckets.empty()) f.buckets = buckets;
  auto& slot = f.histograms[renderLabels(labels)];
  if (!slot.second) slot = {labels, std::make_unique<Histogram>(f.buckets)};
  return *slot.second;
}

std::string MetricsRegistry::renderText() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escapeHelp(f->help), name, typeName(f->type));
    for (const auto& [key, series] : f->counters) {
      out += fmt::format("{}{} {}\n", name, key, formatValue(series.second->value()));
    }
    for (const auto& [key, series] : f->gauges) {
      out += fmt::format("{}{} {}\n", name, key, formatValue(series.second->value()));
    }
    for (const auto& [key, series] : f->histograms) {
      const Histogram& h = *series.second;
      const auto& bounds = h.upperBounds();
      for (size_t i = 0; i <= bounds.size(); ++i) {
        std::pair<std::string, std::string> le{"le", i < bounds.size() ? formatValue(bounds[i]) : "+Inf"};
        out += fmt::format("{}_bucket{} {}\n", name, renderLabels(series.first, &le), h.cumulativeCount(i));
      }
      out += fmt::format("{}_sum{} {}\n", name, key, formatValue(h.sum()));
      out += fmt::format("{}_count{} {}\n", name, key, h.count());
    }
  }
  return out;
}

}  // namespace aar::controller
