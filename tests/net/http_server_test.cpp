#include "net/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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

// A raw client socket: what a slow, hostile or pipelining client sends cannot be said with an HTTP library.
class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  bool connected() const { return connected_; }
  // False once the server has closed or reset the connection.
  bool send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Reads until the peer closes or `limit` passes. closed tells which.
  std::string readUntilClosed(std::chrono::milliseconds limit, bool* closed = nullptr) {
    std::string out;
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        if (closed != nullptr) *closed = true;
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    if (closed != nullptr) *closed = false;
    return out;
  }
  // Reads until `needle` has arrived (or limit passes / the peer closes).
  std::string readUntil(const std::string& needle, std::chrono::milliseconds limit) {
    std::string out;
    const auto end = std::chrono::steady_clock::now() + limit;
    while (out.find(needle) == std::string::npos) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

using namespace std::chrono_literals;

std::unique_ptr<HttpServer> startProbes(HttpServerOptions options = {}) {
  auto server = HttpServer::start({false, "127.0.0.1", 0},
                                  {{"/healthz",
                                    [] {
                                      return ServerResponse{200, "text/plain", "ok\n"};
                                    }},
                                   {"/boom", []() -> ServerResponse { throw std::runtime_error("boom"); }}},
                                  options);
  EXPECT_TRUE(server.ok()) << server.error().toString();
  return server.ok() ? std::move(server.value()) : nullptr;
}

TEST(HttpServerTest, HeadAnswersTheHeadersWithoutTheBody) {
  auto server = startProbes();
  ASSERT_TRUE(server);
  RawClient c(server->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  bool closed = false;
  std::string r = c.readUntilClosed(3s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << r;
  EXPECT_NE(r.find("Content-Length: 3\r\n"), std::string::npos) << r;
  EXPECT_EQ(r.substr(r.size() - 4), "\r\n\r\n") << r;
}

TEST(HttpServerTest, KeepsAliveAndAnswersPipelinedRequestsInOrder) {
  auto server = startProbes();
  ASSERT_TRUE(server);
  RawClient c(server->port());
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string r = c.readUntil("404 page not found\n", 3s);
  const size_t ok = r.find("HTTP/1.1 200 OK");
  const size_t missing = r.find("HTTP/1.1 404 Not Found");
  ASSERT_NE(ok, std::string::npos) << r;
  ASSERT_NE(missing, std::string::npos) << r;
  EXPECT_LT(ok, missing);
  // Still open: a third request on the same connection is answered.
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  bool closed = false;
  r = c.readUntilClosed(3s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_NE(r.find("HTTP/1.1 200 OK"), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
}

TEST(HttpServerTest, ClosesAfterTheRequestBudgetOfAConnectionEvenWhenPipelined) {
  auto server = startProbes();  // 100 requests per connection
  ASSERT_TRUE(server);
  RawClient c(server->port());
  std::string many;
  for (int i = 0; i < 150; ++i) many += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(c.send(many));
  bool closed = false;
  const std::string r = c.readUntilClosed(5s, &closed);
  EXPECT_TRUE(closed);
  size_t answers = 0;
  for (size_t at = r.find("HTTP/1.1 200 OK"); at != std::string::npos;
       at = r.find("HTTP/1.1 200 OK", at + 1)) {
    ++answers;
  }
  EXPECT_EQ(answers, 100u);
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
}

TEST(HttpServerTest, RefusesAPostWithABodyWithoutReadingItAndCloses) {
  auto server = startProbes();
  ASSERT_TRUE(server);
  RawClient c(server->port());
  // Announces a megabyte and sends a little of it: the answer must not wait for the rest.
  ASSERT_TRUE(
      c.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" + std::string(100, 'a')));
  bool closed = false;
  std::string r = c.readUntilClosed(3s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(r.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0U) << r;
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("Allow: GET, HEAD\r\n"), std::string::npos) << r;
}

TEST(HttpServerTest, RefusesAGetThatAnnouncesABody) {
  auto server = startProbes();
  ASSERT_TRUE(server);
  for (const char* header : {"Content-Length: 5", "Transfer-Encoding: chunked", "Content-Length: x"}) {
    RawClient c(server->port());
    ASSERT_TRUE(c.send(std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n") + header + "\r\n\r\nhello"));
    bool closed = false;
    std::string r = c.readUntilClosed(3s, &closed);
    EXPECT_TRUE(closed) << header;
    EXPECT_EQ(r.rfind("HTTP/1.1 413 ", 0), 0U) << header << ": " << r;
    EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r;
  }
  // Content-Length: 0 is no body.
  RawClient zero(server->port());
  ASSERT_TRUE(
      zero.send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(zero.readUntilClosed(3s).rfind("HTTP/1.1 200 OK", 0), 0U);
}

TEST(HttpServerTest, RefusesOtherMethodsWith405) {
  auto server = startProbes();
  ASSERT_TRUE(server);
  for (const char* method : {"PUT", "DELETE", "OPTIONS", "CONNECT", "BREW"}) {
    RawClient c(server->port());
    ASSERT_TRUE(c.send(std::string(method) + " /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    bool closed = false;
    std::string r = c.readUntilClosed(3s, &closed);
    EXPECT_TRUE(closed) << method;
    EXPECT_EQ(r.rfind("HTTP/1.1 405 ", 0), 0U) << method << ": " << r;
  }
}

TEST(HttpServerTest, AnswersAnOverlongRequestLineWith414AndCloses) {
  HttpServerOptions o;
  o.max_request_line = 1024;
  auto server = startProbes(o);
  ASSERT_TRUE(server);
  // Both without the line's end (still arriving) and complete.
  for (const std::string& line : {"GET /" + std::string(2000, 'a'),
                                  "GET /" + std::string(1100, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n"}) {
    RawClient c(server->port());
    ASSERT_TRUE(c.send(line));
    bool closed = false;
    std::string r = c.readUntilClosed(3s, &closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(r.rfind("HTTP/1.1 414 ", 0), 0U) << r;
    EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos) << r;
  }
}

TEST(HttpServerTest, AnswersOversizedHeadersWith431AndCloses) {
  HttpServerOptions o;
  o.max_header_bytes = 2048;
  auto server = startProbes(o);
  ASSERT_TRUE(server);
  RawClient c(server->port());
  std::string req = "GET /healthz HTTP/1.1\r\n";
  for (int i = 0; i < 100; ++i) req += "X-Filler-" + std::to_string(i) + ": " + std::string(40, 'v') + "\r\n";
  ASSERT_TRUE(c.send(req));  // never finished: the limit alone must end it
  bool closed = false;
  std::string r = c.readUntilClosed(3s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(r.rfind("HTTP/1.1 431 ", 0), 0U) << r;
}

TEST(HttpServerTest, AnswersMalformedRequestsWith400) {
  auto server = startProbes();
  ASSERT_TRUE(server);
  for (const char* bad :
       {"GARBAGE\r\n\r\n", "GET /healthz HTTP/2.0\r\n\r\n", "GET /healthz HTTP/1.1\r\nno-colon\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"}) {
    RawClient c(server->port());
    ASSERT_TRUE(c.send(bad));
    bool closed = false;
    std::string r = c.readUntilClosed(3s, &closed);
    EXPECT_TRUE(closed) << bad;
    EXPECT_EQ(r.rfind("HTTP/1.1 400 ", 0), 0U) << bad << ": " << r;
  }
}

TEST(HttpServerTest, AHandlerThatThrowsYields500AndTheServerGoesOn) {
  auto server = startProbes();
  ASSERT_TRUE(server);
  httplib::Client client("127.0.0.1", server->port());
  auto boom = client.Get("/boom");
  ASSERT_TRUE(boom);
  EXPECT_EQ(boom->status, 500);
  auto ok = client.Get("/healthz");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(HttpServerTest, CutsOffAClientThatTricklesOneByteAtATimeAtTheTotalReadDeadline) {
  HttpServerOptions o;
  o.request_read_timeout = 1s;
  auto server = startProbes(o);
  ASSERT_TRUE(server);
  RawClient c(server->port());
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(60, 's') + "\r\n\r\n";
  // A byte every 100 ms: each recv() is quick, but the whole head would take 9 s.
  const auto started = std::chrono::steady_clock::now();
  size_t sent = 0;
  bool cut = false;
  while (sent < req.size() && std::chrono::steady_clock::now() - started < 5s) {
    if (!c.send(req.substr(sent, 1))) {
      cut = true;
      break;
    }
    ++sent;
    bool closed = false;
    c.readUntilClosed(100ms, &closed);
    if (closed) {
      cut = true;
      break;
    }
  }
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(cut) << "the server read the whole trickled request";
  EXPECT_LT(sent, req.size());
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 3s);
}

TEST(HttpServerTest, ClosesAConnectionThatSendsNothingAndAKeptAliveOneThatGoesIdle) {
  HttpServerOptions o;
  o.request_read_timeout = 300ms;
  o.idle_timeout = 300ms;
  auto server = startProbes(o);
  ASSERT_TRUE(server);
  RawClient silent(server->port());
  bool closed = false;
  silent.readUntilClosed(3s, &closed);
  EXPECT_TRUE(closed);

  RawClient idle(server->port());
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  closed = false;
  std::string r = idle.readUntilClosed(3s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK", 0), 0U) << r;
  EXPECT_NE(r.find("Connection: keep-alive"), std::string::npos) << r;
}

TEST(HttpServerTest, AtTheConnectionBoundANewClientReplacesTheOneWaitingLongest) {
  HttpServerOptions o;
  o.max_connections = 4;
  auto server = startProbes(o);
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<RawClient>(server->port()));
    ASSERT_TRUE(idle.back()->send("G"));  // started, never finished
  }
  // The listen queue is FIFO, so the server accepts in connect order; the first is the one waiting longest.
  RawClient probe(server->port());
  ASSERT_TRUE(probe.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(probe.readUntilClosed(3s).rfind("HTTP/1.1 200 OK", 0), 0U);
  bool closed = false;
  idle.front()->readUntilClosed(2s, &closed);
  EXPECT_TRUE(closed) << "the oldest waiting connection was not dropped";
  closed = false;
  idle.back()->readUntilClosed(100ms, &closed);
  EXPECT_FALSE(closed) << "a newer connection was dropped";
}

TEST(HttpServerTest, ServesProbesWhile200SlowClientsTrickleHeaders) {
  auto server = startProbes();  // the production limits
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 200; ++i) {
    slow.push_back(std::make_unique<RawClient>(server->port()));
    ASSERT_TRUE(slow.back()->connected());
    slow.back()->send("GET /healthz HTTP/1.1\r\n");
  }
  // For about 3 s the slow clients each send a byte every 300 ms while probes come and go; each probe must be
  // answered promptly (the kubelet's default probe timeout is 1 s).
  const auto started = std::chrono::steady_clock::now();
  int probes = 0;
  while (std::chrono::steady_clock::now() - started < 3s) {
    for (auto& s : slow) s->send("X");
    httplib::Client client("127.0.0.1", server->port());
    client.set_connection_timeout(1, 0);
    client.set_read_timeout(1, 0);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = client.Get("/healthz");
    ASSERT_TRUE(r) << "probe " << probes << " got no answer within 1 s";
    EXPECT_EQ(r->status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    ++probes;
    std::this_thread::sleep_for(300ms);  // the trickle's pace, not a wait for a condition
  }
  EXPECT_GE(probes, 5);
}

}  // namespace
}  // namespace aar::net
