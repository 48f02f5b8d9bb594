// The response limit of each kind of Kubernetes call (issue 10, problem 3), against an API server stand-in
// on 127.0.0.1 that answers with oversized bodies: one object (8 MiB), a ConfigMap list (32 MiB) and an Event
// (1 MiB). Over the limit a call fails with kTooLarge naming the limit; under it, it succeeds.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "kube/config_maps.hpp"
#include "kube/event_recorder.hpp"
#include "kube/rest_client.hpp"
#include "support/server_thread.hpp"

namespace aar::kube {
namespace {

using namespace std::chrono_literals;

// A ConfigMap whose one data value makes the JSON document about `bytes` long.
std::string configMapJson(const std::string& name, size_t bytes) {
  nlohmann::json cm = {{"apiVersion", "v1"},
                       {"kind", "ConfigMap"},
                       {"metadata", {{"name", name}, {"namespace", "kube-system"}, {"resourceVersion", "1"}}},
                       {"data", {{"k", std::string(bytes, 'v')}}}};
  return cm.dump();
}

// Answers GET of one ConfigMap with `object_bytes`, the list with `list_items` ConfigMaps of `item_bytes`
// each, and a POST of an Event with `event_bytes`.
class OversizedApiServer {
 public:
  size_t object_bytes = 0, list_items = 0, item_bytes = 0, event_bytes = 0;
  std::atomic<int> event_posts{0};

  OversizedApiServer() {
    server_.Get("/api/v1/namespaces/kube-system/configmaps/big",
                [this](const httplib::Request&, httplib::Response& res) {
                  res.set_content(configMapJson("big", object_bytes), "application/json");
                });
    server_.Get(
        "/api/v1/namespaces/kube-system/configmaps", [this](const httplib::Request&, httplib::Response& res) {
          std::string body =
              R"({"apiVersion":"v1","kind":"ConfigMapList","metadata":{"resourceVersion":"1"},"items":[)";
          for (size_t i = 0; i < list_items; ++i) {
            if (i > 0) body += ",";
            body += configMapJson("cm-" + std::to_string(i), item_bytes);
          }
          body += "]}";
          res.set_content(body, "application/json");
        });
    server_.Post("/apis/events.k8s.io/v1/namespaces/kube-system/events", [this](const httplib::Request&,
                                                                                httplib::Response& res) {
      ++event_posts;
      nlohmann::json ev = {
          {"kind", "Event"}, {"metadata", {{"name", "e1"}}}, {"note", std::string(event_bytes, 'n')}};
      res.status = 201;
      res.set_content(ev.dump(), "application/json");
    });
    serving_ = std::make_unique<test::ServerThread>(server_);
  }
  OversizedApiServer(const OversizedApiServer&) = delete;
  OversizedApiServer& operator=(const OversizedApiServer&) = delete;

  std::unique_ptr<RestClient> client() const {
    ConnectionConfig config;
    config.server = serving_->url();
    auto rest = RestClient::create(config);
    EXPECT_TRUE(rest.ok()) << rest.error().toString();
    return rest.ok() ? std::move(*rest) : nullptr;
  }

 private:
  httplib::Server server_;
  std::unique_ptr<test::ServerThread> serving_;  // after server_: stops before it goes
};

TEST(KubeResponseLimitTest, OneObjectIsReadUpToTheObjectLimitAndNoFurther) {
  OversizedApiServer server;
  auto rest = server.client();
  ASSERT_TRUE(rest);
  ConfigMapClient client(*rest);
  server.object_bytes = 7 << 20;
  auto ok = client.get("kube-system", "big");
  ASSERT_TRUE(ok.ok()) << ok.error().toString();
  server.object_bytes = 9 << 20;
  auto big = client.get("kube-system", "big");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().kind, ErrorKind::kTooLarge) << big.error().toString();
  EXPECT_NE(big.error().message.find(std::to_string(kMaxObjectResponseBytes) + "-byte limit"),
            std::string::npos)
      << big.error().message;
}

TEST(KubeResponseLimitTest, AListMayExceedTheObjectLimitButNotTheListLimit) {
  OversizedApiServer server;
  auto rest = server.client();
  ASSERT_TRUE(rest);
  ConfigMapClient client(*rest);
  server.list_items = 12;
  server.item_bytes = 1 << 20;  // 12 MiB in all: more than one object may be
  auto ok = client.list("kube-system", "");
  ASSERT_TRUE(ok.ok()) << ok.error().toString();
  EXPECT_EQ(ok->items.size(), 12u);
  server.list_items = 34;  // 34 MiB
  auto big = client.list("kube-system", "");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().kind, ErrorKind::kTooLarge) << big.error().toString();
  EXPECT_NE(big.error().message.find("33554432-byte limit"), std::string::npos) << big.error().message;
}

TEST(KubeResponseLimitTest, AnEventAnswerOverTheEventLimitIsAFailedPost) {
  OversizedApiServer server;
  auto rest = server.client();
  ASSERT_TRUE(rest);
  EventRecorder recorder(*rest, EventRecorderOptions{});
  server.event_bytes = 1000;
  EXPECT_EQ(recorder.record(false, "Small", "a note"), EventRecorder::Outcome::kCreated);
  server.event_bytes = 2 << 20;
  EXPECT_EQ(recorder.record(false, "Huge", "another note"), EventRecorder::Outcome::kFailed);
  EXPECT_EQ(server.event_posts.load(), 2);
}

}  // namespace
}  // namespace aar::kube
