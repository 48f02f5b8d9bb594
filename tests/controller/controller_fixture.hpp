// The fixture the controller suites share: one Controller's in-memory ports, clock and metrics, with the
// rules ConfigMap holding `rules_text` from the start.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "controller/controller.hpp"
#include "controller/in_memory_ports.hpp"

namespace aar::controller::testing {

class ControllerFixture : public ::testing::Test {
 protected:
  explicit ControllerFixture(const std::string& rules_text) : metrics(registry, "test") {
    rules.setText(rules_text);
  }

  std::unique_ptr<Controller> make(ControllerOptions options = {}) {
    return std::make_unique<Controller>(
        ControllerPorts{identities, rules, aws_auth, events, aws_auth_events, clock}, std::move(options),
        &metrics);
  }
  // Whether /metrics shows `line` (a whole series with its value, e.g. `name{label="x"} 1`).
  bool metricsShow(const std::string& line) const {
    return registry.renderText().find("\n" + line + "\n") != std::string::npos;
  }

  InMemoryIdentities identities;
  InMemoryRules rules;
  InMemoryAwsAuth aws_auth;
  RecordingEvents events;
  RecordingEvents aws_auth_events;
  ManualClock clock;
  MetricsRegistry registry;
  ControllerMetrics metrics;
};

}  // namespace aar::controller::testing
