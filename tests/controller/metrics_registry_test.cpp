#include "controller/metrics_registry.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace aar::controller {
namespace {

TEST(MetricsRegistryTest, RendersCountersAndGaugesInTheTextFormat) {
  MetricsRegistry r;
  r.counter("x_requests_total", "Requests.", {{"code", "200"}}).inc(3);
  r.counter("x_requests_total", "Requests.", {{"code", "500"}}).inc();
  r.gauge("x_up", "Up.").set(1);
  EXPECT_EQ(r.renderText(),
            "# HELP x_requests_total Requests.\n"
            "# TYPE x_requests_total counter\n"
            "x_requests_total{code=\"200\"} 3\n"
            "x_requests_total{code=\"500\"} 1\n"
            "# HELP x_up Up.\n"
            "# TYPE x_up gauge\n"
            "x_up 1\n");
}

TEST(MetricsRegistryTest, ReturnsTheSameSeriesForTheSameNameAndLabels) {
  MetricsRegistry r;
  Counter& a = r.counter("c_total", "C.", {{"k", "v"}});
  Counter& b = r.counter("c_total", "C.", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &r.counter("c_total", "C.", {{"k", "w"}}));
}

TEST(MetricsRegistryTest, RendersHistogramsWithCumulativeBucketsSumAndCount) {
  MetricsRegistry r;
  Histogram& h = r.histogram("d_seconds", "D.", {0.1, 1});
  h.observe(0.05);
  h.observe(0.1);
  h.observe(0.5);
  h.observe(7);
  EXPECT_EQ(r.renderText(),
            "# HELP d_seconds D.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{le=\"0.1\"} 2\n"
            "d_seconds_bucket{le=\"1\"} 3\n"
            "d_seconds_bucket{le=\"+Inf\"} 4\n"
            "d_seconds_sum 7.65\n"
            "d_seconds_count 4\n");
}

TEST(MetricsRegistryTest, EscapesLabelValues) {
  MetricsRegistry r;
  r.gauge("g", "G.", {{"v", "a\"b\\c\nd"}}).set(2);
  EXPECT_NE(r.renderText().find("g{v=\"a\\\"b\\\\c\\nd\"} 2\n"), std::string::npos);
}

TEST(MetricsRegistryTest, RejectsANameRegisteredWithAnotherTypeOrAnInvalidName) {
  MetricsRegistry r;
  r.counter("m_total", "M.");
  EXPECT_THROW(r.gauge("m_total", "M."), std::logic_error);
  EXPECT_THROW(r.gauge("9bad", "B."), std::invalid_argument);
  EXPECT_THROW(r.gauge("ok", "B.", {{"bad-label", "x"}}), std::invalid_argument);
}

TEST(MetricsRegistryTest, CountersNeverGoDown) {
  MetricsRegistry r;
  Counter& c = r.counter("n_total", "N.");
  c.inc(2);
  c.inc(-1);
  EXPECT_EQ(c.value(), 2);
}

TEST(MetricsRegistryTest, CountsEveryIncrementFromConcurrentThreads) {
  MetricsRegistry r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&r, t] {
      for (int i = 0; i < 10000; ++i) {
        r.counter("p_total", "P.", {{"t", std::to_string(t % 2)}}).inc();
        r.histogram("q_seconds", "Q.", {1}).observe(0.5);
      }
    });
  }
  std::thread reader([&r] {
    for (int i = 0; i < 100; ++i) (void)r.renderText();
  });
  for (auto& th : threads) th.join();
  reader.join();
  EXPECT_EQ(r.counter("p_total", "P.", {{"t", "0"}}).value(), 20000);
  EXPECT_EQ(r.counter("p_total", "P.", {{"t", "1"}}).value(), 20000);
  EXPECT_EQ(r.histogram("q_seconds", "Q.", {1}).count(), 40000u);
}

}  // namespace
}  // namespace aar::controller
