// RestClient::forkAbortable: a write whose premise is gone (a leader that lost its Lease) is abandoned while
// in flight, fails with kCancelled and is not retried; the parent client is unaffected.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "kube/rest_client.hpp"
#include "support/server_thread.hpp"

namespace aar::kube {
namespace {

using namespace std::chrono_literals;

TEST(AbortableWritesTest, APutInFlightIsAbandonedWhenTheLeaderLosesItsLeaseAndNotRetried) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  std::atomic<int> puts{0};
  httplib::Server server;
  server.Put("/api/v1/namespaces/kube-system/configmaps/aws-auth",
             [&](const httplib::Request&, httplib::Response& res) {
               ++puts;
               std::unique_lock<std::mutex> lock(mu);
               entered = true;
               cv.notify_all();
               cv.wait_for(lock, 5s, [&] { return release; });
               res.set_content(R"({"kind":"ConfigMap","metadata":{"name":"aws-auth"}})", "application/json");
             });
  test::ServerThread serving(server);
  const int port = serving.port();

  ConnectionConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(port);
  auto rest = RestClient::create(config);
  ASSERT_TRUE(rest.ok()) << rest.error().toString();
  std::atomic<bool> leader{true};
  auto writes = (*rest)->forkAbortable([&] { return !leader.load(); });

  std::thread lose([&] {
    std::unique_lock<std::mutex> lock(mu);
    if (cv.wait_for(lock, 5s, [&] { return entered; })) leader = false;  // the renew deadline passed
  });
  const auto t0 = std::chrono::steady_clock::now();
  auto put = writes->put("/api/v1/namespaces/kube-system/configmaps/aws-auth", {{"kind", "ConfigMap"}});
  const auto took = std::chrono::steady_clock::now() - t0;
  lose.join();
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().kind, ErrorKind::kCancelled) << put.error().toString();
  EXPECT_NE(put.error().message.find("aborted"), std::string::npos) << put.error().message;
  EXPECT_LT(took, 2s);
  EXPECT_EQ(puts.load(), 1) << "the abandoned write was retried";

  // While not leading, nothing more is sent; the parent client is not affected.
  auto again = writes->put("/api/v1/namespaces/kube-system/configmaps/aws-auth", {{"kind", "ConfigMap"}});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(puts.load(), 1);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
    cv.notify_all();
  }
  auto parent = (*rest)->put("/api/v1/namespaces/kube-system/configmaps/aws-auth", {{"kind", "ConfigMap"}});
  EXPECT_TRUE(parent.ok()) << parent.error().toString();
  EXPECT_EQ(puts.load(), 2);
  // Clients first: their kept-alive connections would hold the server's workers for its keep-alive timeout.
  writes.reset();
  rest->reset();
  serving.stop();
}

}  // namespace
}  // namespace aar::kube
