// A fake API server and a RestClient authenticated to it with a token, for the integration tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "fakes/kube/fake_api_server.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/rest_client.hpp"
#include "support/eventually.hpp"

namespace aar::kube::testing {

// Polls a condition with a bound on real time (tests/support).
using aar::test::eventually;

class FakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.start();
    auto config = parseKubeconfig(server_.kubeconfigYaml(), "/fake/kubeconfig", "");
    ASSERT_TRUE(config.ok()) << config.error().message;
    config_ = *config;
    auto rest = RestClient::create(config_, restOptions());
    ASSERT_TRUE(rest.ok()) << rest.error().message;
    rest_ = std::move(*rest);
    // FakeApiServer::start() returns before its listener runs, and a stop() in that window never returns:
    // make sure it serves before any test can stop it.
    ASSERT_TRUE(eventually([&] { return rest_->get("/version").ok(); }));
  }

  virtual RestClientOptions restOptions() { return {}; }

  std::unique_ptr<RestClient> newClient() {
    auto rest = RestClient::create(config_, restOptions());
    EXPECT_TRUE(rest.ok());
    return std::move(*rest);
  }

  nlohmann::json putConfigMap(const std::string& ns, const std::string& name, nlohmann::json data) {
    return server_.putConfigMap({{"apiVersion", "v1"},
                                 {"kind", "ConfigMap"},
                                 {"metadata", {{"name", name}, {"namespace", ns}}},
                                 {"data", std::move(data)}});
  }

  aar::testing::kube::FakeApiServer server_;
  ConnectionConfig config_;
  std::unique_ptr<RestClient> rest_;
};

}  // namespace aar::kube::testing
