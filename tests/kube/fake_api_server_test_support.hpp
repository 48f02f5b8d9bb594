// Shared helpers for the fake API server's own tests: a started FakeApiServer plus the project's HttpClient
// trusting its CA, and a watch reader that splits the chunked stream into JSON events.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/kube/fake_api_server.hpp"
#include "net/http_client.hpp"

namespace aar::testing::kube {

class FakeApiServerFixture : public ::testing::Test {
 protected:
  virtual FakeApiServerOptions serverOptions() {
    FakeApiServerOptions options;
    options.bookmark_interval = std::chrono::milliseconds(100);
    return options;
  }

  void SetUp() override {
    server_ = std::make_unique<FakeApiServer>(serverOptions());
    server_->start();
    net::HttpClientOptions options;
    options.ca_pem = server_->caPem();
    options.request_timeout = std::chrono::milliseconds(5000);
    options.user_agent = "fake-api-server-test/1.0";
    client_ = std::make_unique<net::HttpClient>(options);
  }

  void TearDown() override {
    client_.reset();
    server_->stop();
  }

  std::string url(const std::string& path) const { return server_->url() + path; }

  // Sends a request with the test token (or `token`; "" sends no Authorization header).
  net::HttpResponse call(const std::string& method, const std::string& path, const std::string& body = "",
                         const std::string& content_type = "application/json",
                         const std::string& token = "test-token") {
    net::HttpRequest request;
    request.method = method;
    request.url = url(path);
    request.body = body;
    // Tests read back objects and lists of any size they made (a ConfigMap at the 1 MiB limit and more).
    request.max_response_bytes = size_t{64} << 20;
    if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
    if (!body.empty()) request.headers.emplace_back("Content-Type", content_type);
    auto response = client_->perform(request);
    EXPECT_TRUE(response.ok()) << (response.ok() ? "" : response.error().toString());
    return response.ok() ? *response : net::HttpResponse{};
  }

  static nlohmann::json parse(const net::HttpResponse& response) {
    return nlohmann::json::parse(response.body, nullptr, false);
  }

  static nlohmann::json configMap(const std::string& ns, const std::string& name, nlohmann::json data) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"namespace", ns}}},
            {"data", std::move(data)}};
  }

  // Creates a ConfigMap over HTTP and returns the stored object.
  nlohmann::json create(const std::string& ns, const std::string& name, nlohmann::json data) {
    auto response =
        call("POST", "/api/v1/namespaces/" + ns + "/configmaps", configMap(ns, name, data).dump());
    EXPECT_EQ(response.status, 201) << response.body;
    return parse(response);
  }

  struct WatchResult {
    long status = 0;
    std::vector<nlohmann::json> events;
    bool ended_by_server = false;  // the stream finished (or broke) before we had `max_events`
    bool transport_error = false;  // the stream ended abruptly (not with the terminating chunk)
  };

  // Reads a watch stream until `max_events` events arrived, the server ended it, or nothing came for `idle`.
  WatchResult watch(const std::string& path_and_query, size_t max_events,
                    std::chrono::milliseconds idle = std::chrono::milliseconds(3000)) {
    WatchResult result;
    std::string buffer;
    net::HttpRequest request;
    request.url = url(path_and_query);
    request.headers.emplace_back("Authorization", "Bearer test-token");
    auto response = client_->stream(
        request,
        [&](std::string_view chunk) {
          buffer.append(chunk);
          size_t newline;
          while ((newline = buffer.find('\n')) != std::string::npos) {
            result.events.push_back(nlohmann::json::parse(buffer.substr(0, newline), nullptr, false));
            buffer.erase(0, newline + 1);
          }
          return result.events.size() < max_events;
        },
        idle);
    if (response.ok()) {
      result.status = response->status;
      result.ended_by_server = result.events.size() < max_events;
    } else {
      result.transport_error = response.error().kind != ErrorKind::kTimeout;
      result.ended_by_server = result.transport_error;
    }
    return result;
  }

  std::unique_ptr<FakeApiServer> server_;
  std::unique_ptr<net::HttpClient> client_;
};

}  // namespace aar::testing::kube
