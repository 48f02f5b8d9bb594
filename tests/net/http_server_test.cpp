#include "net/http_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>

namespace aar::net {
namespace {

TEST(BindAddressTest, ParsesTheControllerRuntimeForms) {
  auto any = parseBindAddress(":8080");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->host, "0.0.0.0");
  EXPECT_EQ(any->port, 8080);
  auto local = parseBindAddress("127.0.0.1:0");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->host, "127.0.0.1");
  EXPECT_EQ(local->port, 0);
  auto v6 = parseBindAddress("[::1]:9000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  auto off = parseBindAddress("0");
  ASSERT_TRUE(off.ok());
  EXPECT_TRUE(off->disabled);
}

TEST(BindAddressTest, RejectsMalformedAddressesNamingTheValue) {
  for (const char* bad : {"8080", ":", ":http", ":70000", "::1:80", "host:-1"}) {
    auto r = parseBindAddress(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_NE(r.error().message.find(bad), std::string::npos);
  }
}

TEST(HttpServerTest, ServesItsRoutesAndNothingElse) {
  std::atomic<int> calls{0};
  auto server =
      HttpServer::start({false, "127.0.0.1", 0}, {{"/healthz",
                                                   [&] {
                                                     ++calls;
                                                     return ServerResponse{200, "text/plain", "ok"};
                                                   }},
                                                  {"/readyz", [] {
                                                     return ServerResponse{503, "text/plain", "not ready"};
                                                   }}});
  ASSERT_TRUE(server.ok()) << server.error().toString();
  int port = (*server)->port();
  ASSERT_GT(port, 0);
  httplib::Client client("127.0.0.1", port);
  auto ok = client.Get("/healthz");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "ok");
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  auto missing = client.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto post = client.Post("/healthz", "", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServerTest, FailsToStartOnAPortInUse) {
  auto first = HttpServer::start({false, "127.0.0.1", 0}, {});
  ASSERT_TRUE(first.ok());
  auto second = HttpServer::start({false, "127.0.0.1", (*first)->port()}, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::kNetwork);
}

TEST(HttpServerTest, StopsAndReleasesThePort) {
  auto server = HttpServer::start({false, "127.0.0.1", 0}, {});
  ASSERT_TRUE(server.ok());
  int port = (*server)->port();
  (*server)->stop();
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1, 0);
  EXPECT_FALSE(client.Get("/healthz"));
}

}  // namespace
}  // namespace aar::net
