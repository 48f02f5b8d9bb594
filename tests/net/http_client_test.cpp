// HttpClient against real cpp-httplib servers on 127.0.0.1 (plain and TLS, with a PKI generated per test).
#include "net/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fakes/pki/test_pki.hpp"
#include "support/server_thread.hpp"

// Designated initializers name only the fields a test cares about; GCC 12 warns about the rest, which keep
// their documented defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace aar::net {
namespace {

using namespace std::chrono_literals;
using aar::test::ServerThread;
using aar::testing::PkiDir;
using aar::testing::TestPki;

// A one-shot signal between a test and a server handler; every wait is bounded.
class Gate {
 public:
  void open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds limit = 5s) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [this] { return open_; });
  }
  bool isOpen() {
    std::lock_guard<std::mutex> lock(mu_);
    return open_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// A plain HTTP test server whose kept-alive connections close after 1 s, so that stopping it never waits
// long. Declare its ServerThread before the HttpClient under test so the client (and its connections) goes
// first.
std::unique_ptr<httplib::Server> newServer() {
  auto server = std::make_unique<httplib::Server>();
  server->set_keep_alive_timeout(1);
  return server;
}

// Sets (or unsets, with nullptr) an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// No proxy from the machine's environment may interfere with requests to 127.0.0.1.
class HttpClientTest : public ::testing::Test {
 protected:
  ScopedEnv no_http_proxy_{"http_proxy", nullptr};
  ScopedEnv no_http_proxy_upper_{"HTTP_PROXY", nullptr};
  ScopedEnv no_https_proxy_{"https_proxy", nullptr};
  ScopedEnv no_https_proxy_upper_{"HTTPS_PROXY", nullptr};
  ScopedEnv no_all_proxy_{"ALL_PROXY", nullptr};
  ScopedEnv no_all_proxy_lower_{"all_proxy", nullptr};
};

// A port on 127.0.0.1 with nothing listening (bound then closed).
int closedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string peerCommonName(const httplib::Request& req) {
  if (req.ssl == nullptr) return "";
  X509* cert = SSL_get1_peer_certificate(req.ssl);
  if (cert == nullptr) return "";
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  return cn;
}

TEST_F(HttpClientTest, GetSendsHeadersAndReturnsStatusHeadersAndBody) {
  ServerThread server(newServer());
  server->Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Seen-Token", req.get_header_value("X-Token"));
    res.set_content("hello " + req.get_param_value("name"), "text/plain");
  });
  HttpClient client;

  HttpRequest request;
  request.url = server.url("/hello?name=" + urlEncode("wörld & co"));
  request.headers = {{"X-Token", "abc"}};
  auto response = client.perform(request);

  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello wörld & co");
  EXPECT_EQ(response->header("x-seen-token"), "abc");
  EXPECT_EQ(response->header("content-type"), "text/plain");
  EXPECT_EQ(response->header("x-not-there"), std::nullopt);
}

// Accepts one connection on 127.0.0.1, records the request head, answers 200 "ok". Bounded by poll timeouts.
class RawRequestCapture {
 public:
  RawRequestCapture() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 4);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serveOne(); });
  }
  ~RawRequestCapture() {
    thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }
  std::string head() {
    thread_.join();
    thread_ = std::thread([] {});
    return head_;
  }

 private:
  void serveOne() {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) return;
    const int fd = ::accept(listener_, nullptr, nullptr);
    char buf[4096];
    while (head_.find("\r\n\r\n") == std::string::npos) {
      pollfd q{fd, POLLIN, 0};
      if (::poll(&q, 1, 5000) != 1) break;
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      head_.append(buf, static_cast<size_t>(n));
    }
    const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    (void)!::write(fd, reply.data(), reply.size());
    ::close(fd);
  }

  int listener_ = -1;
  int port_ = 0;
  std::string head_;
  std::thread thread_;
};

TEST_F(HttpClientTest, SendsExactlyTheCallersHeadersPlusUserAgent) {
  RawRequestCapture capture;
  HttpClient client({.user_agent = "aar-test/1"});
  HttpRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:" + std::to_string(capture.port()) + "/x";
  request.headers = {{"X-Empty", ""}, {"X-Full", "v"}};
  request.body = std::string(2048, 'b');
  auto response = client.perform(request);
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->body, "ok");
  const std::string head = capture.head();
  EXPECT_NE(head.find("POST /x HTTP/1.1\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nX-Empty:\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nX-Full: v\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nUser-Agent: aar-test/1\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nContent-Length: 2048\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Expect:"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Type:"), std::string::npos) << "libcurl's form default leaked: " << head;
}

TEST_F(HttpClientTest, PostPutPatchAndDeleteSendMethodAndBody) {
  ServerThread server(newServer());
  auto echo = [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.method + " " + req.get_header_value("Content-Type") + " " + req.body, "text/plain");
  };
  server->Post("/r", echo);
  server->Put("/r", echo);
  server->Patch("/r", echo);
  server->Delete("/r", echo);
  HttpClient client;

  for (const std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    HttpRequest request;
    request.method = method;
    request.url = server.url("/r");
    request.headers = {{"Content-Type", "application/json"}};
    request.body = R"({"k":"v"})";
    auto response = client.perform(request);
    ASSERT_TRUE(response.ok()) << method << ": " << response.error().toString();
    EXPECT_EQ(response->body, method + R"( application/json {"k":"v"})");
  }
}

TEST_F(HttpClientTest, PutWithEmptyBodySendsZeroContentLength) {
  // IMDSv2's token request is a PUT without a body.
  ServerThread server(newServer());
  server->Put("/token", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("len=" + req.get_header_value("Content-Length") + " body=" + req.body, "text/plain");
  });
  HttpClient client;
  HttpRequest request;
  request.method = "PUT";
  request.url = server.url("/token");
  auto response = client.perform(request);
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->body, "len=0 body=");
}

TEST_F(HttpClientTest, LargeBodyIsSentAndReceivedWhole) {
  ServerThread server(newServer());
  server->set_payload_max_length(16 << 20);
  server->Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body, "application/octet-stream");
  });
  HttpClient client;
  HttpRequest request;
  request.method = "POST";
  request.url = server.url("/echo");
  request.max_response_bytes = 4 << 20;  // above the 1 MiB default: a caller expecting more says so
  request.body.reserve(3 << 20);
  for (int i = 0; request.body.size() < (3u << 20); ++i) request.body += std::to_string(i) + ",";
  auto response = client.perform(request);
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.size(), request.body.size());
  EXPECT_TRUE(response->body == request.body);
}

TEST_F(HttpClientTest, NonSuccessStatusIsAResponseNotAnError) {
  ServerThread server(newServer());
  server->Get("/missing", [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content(R"({"kind":"Status","code":404})", "application/json");
  });
  server->Get("/broken", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content("try later", "text/plain");
  });
  HttpClient client;

  auto missing = client.perform({.url = server.url("/missing")});
  ASSERT_TRUE(missing.ok()) << missing.error().toString();
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, R"({"kind":"Status","code":404})");

  auto broken = client.perform({.url = server.url("/broken")});
  ASSERT_TRUE(broken.ok()) << broken.error().toString();
  EXPECT_EQ(broken->status, 503);
  EXPECT_EQ(broken->body, "try later");
}

TEST_F(HttpClientTest, RedirectsAreNotFollowed) {
  // Following a redirect would resend Authorization to wherever the Location points.
  ServerThread server(newServer());
  server->Get("/moved",
              [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/elsewhere"); });
  HttpClient client;
  auto response = client.perform({.url = server.url("/moved")});
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->status, 302);
  EXPECT_EQ(response->header("location"), "/elsewhere");
}

// --- TLS
// -------------------------------------------------------------------------------------------------------

class HttpClientTlsTest : public HttpClientTest {
 protected:
  TestPki pki_ = TestPki::generate();
  PkiDir files_{pki_};

  // An HTTPS server that answers GET /who with the common name of the client certificate (if any).
  std::unique_ptr<ServerThread> startServer(bool require_client_cert) {
    std::unique_ptr<httplib::Server> server;
    if (require_client_cert) {
      server = std::make_unique<httplib::SSLServer>(files_.path("server.crt").c_str(),
                                                    files_.path("server.key").c_str(),
                                                    files_.path("ca.crt").c_str());
    } else {
      server = std::make_unique<httplib::SSLServer>(files_.path("server.crt").c_str(),
                                                    files_.path("server.key").c_str());
    }
    if (!server->is_valid()) throw std::runtime_error("SSLServer rejected the test PKI");
    server->set_keep_alive_timeout(1);
    server->Get("/who", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("cn=" + peerCommonName(req), "text/plain");
    });
    return std::make_unique<ServerThread>(std::move(server));
  }
};

TEST_F(HttpClientTlsTest, VerifiesServerWithCaBundleFile) {
  auto server = startServer(false);
  HttpClient client({.ca_file = files_.path("ca.crt")});
  auto response = client.perform({.url = server->url("/who")});
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "cn=");
}

TEST_F(HttpClientTlsTest, VerifiesServerWithCaInMemory) {
  auto server = startServer(false);
  HttpClient client({.ca_pem = pki_.ca.cert});
  auto response = client.perform({.url = server->url("/who")});
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpClientTlsTest, VerifiesTheHostNameAgainstTheCertificate) {
  // The certificate names 127.0.0.1 and localhost; "localhost" must verify as well as the IP.
  auto server = startServer(false);
  HttpClient client({.ca_pem = pki_.ca.cert});
  auto response = client.perform({.url = "https://localhost:" + std::to_string(server->port()) + "/who"});
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpClientTlsTest, RefusesServerSignedByAnotherCa) {
  auto server = startServer(false);
  for (const HttpClientOptions& options : {HttpClientOptions{.ca_pem = pki_.other_ca.cert},
                                           HttpClientOptions{.ca_file = files_.path("other-ca.crt")}}) {
    HttpClient client(options);
    auto response = client.perform({.url = server->url("/who")});
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind, ErrorKind::kNetwork);
    EXPECT_NE(response.error().message.find("TLS"), std::string::npos) << response.error().message;
  }
}

TEST_F(HttpClientTlsTest, RefusesTestCaWhenOnlyTheSystemStoreIsTrusted) {
  auto server = startServer(false);
  HttpClient client;
  auto response = client.perform({.url = server->url("/who")});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kNetwork);
}

TEST_F(HttpClientTlsTest, InsecureSkipVerifyAcceptsAnUntrustedServer) {
  auto server = startServer(false);
  HttpClient client({.ca_pem = pki_.other_ca.cert, .insecure_skip_tls_verify = true});
  auto response = client.perform({.url = server->url("/who")});
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpClientTlsTest, PresentsClientCertificateFromMemory) {
  auto server = startServer(true);
  HttpClient client(
      {.ca_pem = pki_.ca.cert, .client_cert_pem = pki_.client.cert, .client_key_pem = pki_.client.key});
  auto response = client.perform({.url = server->url("/who")});
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->body, "cn=test-admin");
}

TEST_F(HttpClientTlsTest, PresentsClientCertificateFromFiles) {
  auto server = startServer(true);
  const auto other = pki_.issueClient("second-user", {"devs"});
  HttpClient client({.ca_file = files_.path("ca.crt"),
                     .client_cert_file = files_.path("client.crt"),
                     .client_key_file = files_.path("client.key")});
  auto response = client.perform({.url = server->url("/who")});
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->body, "cn=test-admin");

  HttpClient second({.ca_pem = pki_.ca.cert, .client_cert_pem = other.cert, .client_key_pem = other.key});
  auto second_response = second.perform({.url = server->url("/who")});
  ASSERT_TRUE(second_response.ok()) << second_response.error().toString();
  EXPECT_EQ(second_response->body, "cn=second-user");
}

TEST_F(HttpClientTlsTest, ServerRequiringClientCertificateRefusesClientWithoutOne) {
  auto server = startServer(true);
  HttpClient client({.ca_pem = pki_.ca.cert});
  auto response = client.perform({.url = server->url("/who")});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kNetwork);
}

TEST_F(HttpClientTlsTest, RefusesAServerThatOffersOnlyTls11) {
  // The server allows nothing newer than TLS 1.1 (its security level lowered so that OpenSSL lets it). The
  // client must refuse: CURLOPT_SSLVERSION asks for 1.2 at least. (Debian's OpenSSL policy also sets
  // MinProtocol TLSv1.2, so on this machine the test guards against a regression in either.)
  auto server = std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) {
    SSL_CTX_set_security_level(&ctx, 0);
    SSL_CTX_set_min_proto_version(&ctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(&ctx, TLS1_1_VERSION);
    return SSL_CTX_use_certificate_chain_file(&ctx, files_.path("server.crt").c_str()) == 1 &&
           SSL_CTX_use_PrivateKey_file(&ctx, files_.path("server.key").c_str(), SSL_FILETYPE_PEM) == 1;
  });
  ASSERT_TRUE(server->is_valid());
  server->set_keep_alive_timeout(1);
  server->Get("/who",
              [](const httplib::Request&, httplib::Response& res) { res.set_content("old", "text/plain"); });
  ServerThread thread(std::move(server));
  HttpClient client({.ca_pem = pki_.ca.cert});
  auto response = client.perform({.url = thread.url("/who")});
  ASSERT_FALSE(response.ok()) << "a TLS 1.1 server was accepted";
  EXPECT_EQ(response.error().kind, ErrorKind::kNetwork);
  EXPECT_NE(response.error().message.find("TLS"), std::string::npos) << response.error().message;
}

// --- failures and timeouts
// -------------------------------------------------------------------------------------

TEST_F(HttpClientTest, ClosedPortIsANetworkError) {
  HttpClient client;
  auto response = client.perform({.url = "http://127.0.0.1:" + std::to_string(closedPort()) + "/"});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kNetwork);
  EXPECT_TRUE(response.error().retryable());
}

TEST_F(HttpClientTest, ErrorMessagesLeaveOutTheQueryString) {
  HttpClient client;
  auto response = client.perform({.url = "http://127.0.0.1:" + std::to_string(closedPort()) +
                                         "/path?X-Amz-Signature=s3cr3t&token=t0k3n"});
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().message.find("/path"), std::string::npos) << response.error().message;
  EXPECT_EQ(response.error().message.find("s3cr3t"), std::string::npos) << response.error().message;
  EXPECT_EQ(response.error().message.find("t0k3n"), std::string::npos) << response.error().message;
}

TEST_F(HttpClientTest, ConnectTimeoutEndsAConnectionThatIsNeverAccepted) {
  // A listener with a full accept queue: the kernel drops further SYNs, so connect() hangs.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 4; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(fd);
  }
  std::this_thread::sleep_for(50ms);  // let the fillers' handshakes fill the queue

  HttpClient client({.connect_timeout = 300ms, .request_timeout = 5000ms});
  auto response = client.perform({.url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/"});
  for (int fd : fillers) ::close(fd);
  ::close(listener);

  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kTimeout) << response.error().toString();
}

TEST_F(HttpClientTest, RequestTimeoutEndsASlowResponse) {
  Gate release;
  ServerThread server(newServer());
  server->Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    release.wait();
    res.set_content("late", "text/plain");
  });
  {
    HttpClient client({.request_timeout = 200ms});
    auto response = client.perform({.url = server.url("/slow")});
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind, ErrorKind::kTimeout);
    EXPECT_TRUE(response.error().retryable());

    // The per-request timeout overrides the client's default.
    HttpClient patient({.request_timeout = 50ms});
    release.open();
    auto ok = patient.perform({.url = server.url("/slow"), .timeout = 5000ms});
    ASSERT_TRUE(ok.ok()) << ok.error().toString();
    EXPECT_EQ(ok->body, "late");
  }
}

// --- streaming
// -------------------------------------------------------------------------------------------------

TEST_F(HttpClientTest, StreamDeliversEachChunkBeforeTheNextIsSent) {
  Gate first_received;
  ServerThread server(newServer());
  server->Get("/watch", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json", [&](size_t, httplib::DataSink& sink) {
      sink.write("{\"n\":1}\n", 8);
      // The second event is only sent once the client has seen the first: proves incremental delivery.
      if (first_received.wait()) sink.write("{\"n\":2}\n", 8);
      sink.done();
      return true;
    });
  });
  HttpClient client;

  std::string seen;
  std::vector<std::string> chunks;
  auto response = client.stream(
      {.url = server.url("/watch")},
      [&](std::string_view chunk) {
        chunks.emplace_back(chunk);
        seen.append(chunk);
        if (seen.find("\"n\":1") != std::string::npos) first_received.open();
        return true;
      },
      5s);

  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(seen, "{\"n\":1}\n{\"n\":2}\n");
  EXPECT_GE(chunks.size(), 2u);
  EXPECT_TRUE(response->body.empty());
}

TEST_F(HttpClientTest, StreamStopsWhenTheHandlerReturnsFalse) {
  Gate client_done;
  ServerThread server(newServer());
  server->Get("/endless", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [&](size_t, httplib::DataSink& sink) {
      // Bounded: at most ~5 s of events, and stop as soon as the client has gone.
      for (int i = 0; i < 500 && !client_done.isOpen() && sink.is_writable(); ++i) {
        if (!sink.write("event\n", 6)) break;
        std::this_thread::sleep_for(10ms);
      }
      sink.done();
      return true;
    });
  });
  HttpClient client;

  int calls = 0;
  auto response = client.stream(
      {.url = server.url("/endless")}, [&](std::string_view) { return ++calls < 3; }, 5s);
  client_done.open();

  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(calls, 3);
}

TEST_F(HttpClientTest, StreamIdleTimeoutEndsAStalledStream) {
  Gate release;
  ServerThread server(newServer());
  server->Get("/stall", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [&](size_t, httplib::DataSink& sink) {
      sink.write("first\n", 6);
      release.wait();
      sink.done();
      return true;
    });
  });
  std::string seen;
  {
    HttpClient client({.request_timeout = 100ms});  // not applied to streams: the idle timeout is
    auto response = client.stream(
        {.url = server.url("/stall")},
        [&](std::string_view chunk) {
          seen.append(chunk);
          return true;
        },
        300ms);
    release.open();
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind, ErrorKind::kTimeout);
  }
  EXPECT_EQ(seen, "first\n");
}

TEST_F(HttpClientTest, StreamCollectsTheBodyOfAnErrorResponseInsteadOfStreamingIt) {
  ServerThread server(newServer());
  server->Get("/watch", [](const httplib::Request&, httplib::Response& res) {
    res.status = 410;
    res.set_content(R"({"kind":"Status","reason":"Expired"})", "application/json");
  });
  HttpClient client;
  int calls = 0;
  auto response = client.stream(
      {.url = server.url("/watch")}, [&](std::string_view) { return ++calls > 0; }, 5s);
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->status, 410);
  EXPECT_EQ(response->body, R"({"kind":"Status","reason":"Expired"})");
  EXPECT_EQ(calls, 0);
}

// --- cancellation
// ----------------------------------------------------------------------------------------------

TEST_F(HttpClientTest, CancelFromAnotherThreadEndsAnInFlightRequest) {
  Gate request_arrived, release;
  ServerThread server(newServer());
  server->Get("/hang", [&](const httplib::Request&, httplib::Response& res) {
    request_arrived.open();
    release.wait(8s);
    res.set_content("too late", "text/plain");
  });
  {
    HttpClient client({.request_timeout = 10000ms});
    std::thread canceller([&] {
      if (request_arrived.wait()) client.cancel();
    });
    auto response = client.perform({.url = server.url("/hang")});
    // The server is still holding the request: only cancel() can have ended it.
    const bool server_still_holding = !release.isOpen();
    canceller.join();
    release.open();

    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind, ErrorKind::kCancelled);
    EXPECT_FALSE(response.error().retryable());
    EXPECT_TRUE(server_still_holding);
    EXPECT_TRUE(client.cancelled());
  }
}

TEST_F(HttpClientTest, CancelEndsAnOpenStream) {
  Gate first_received, release;
  ServerThread server(newServer());
  server->Get("/watch", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [&](size_t, httplib::DataSink& sink) {
      sink.write("event\n", 6);
      release.wait(8s);
      sink.done();
      return true;
    });
  });
  {
    HttpClient client;
    std::thread canceller([&] {
      if (first_received.wait()) client.cancel();
    });
    auto response = client.stream(
        {.url = server.url("/watch")},
        [&](std::string_view) {
          first_received.open();
          return true;
        },
        8s);
    canceller.join();
    release.open();
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(response.error().kind, ErrorKind::kCancelled);
  }
}

TEST_F(HttpClientTest, RequestsAfterCancelFailWithoutTouchingTheNetwork) {
  std::atomic<int> hits{0};
  ServerThread server(newServer());
  server->Get("/", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.set_content("ok", "text/plain");
  });
  HttpClient client;
  client.cancel();
  auto response = client.perform({.url = server.url("/")});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kCancelled);
  auto streamed = client.stream(
      {.url = server.url("/")}, [](std::string_view) { return true; }, 1s);
  ASSERT_FALSE(streamed.ok());
  EXPECT_EQ(streamed.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(hits.load(), 0);
}

// --- connections and concurrency
// -------------------------------------------------------------------------------

TEST_F(HttpClientTest, ReusesTheConnectionForSequentialRequests) {
  std::mutex mu;
  std::set<int> client_ports;
  ServerThread server(newServer());
  server->Get("/", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    client_ports.insert(req.remote_port);
    res.set_content("ok", "text/plain");
  });
  HttpClient client;
  for (int i = 0; i < 5; ++i) {
    auto response = client.perform({.url = server.url("/")});
    ASSERT_TRUE(response.ok()) << response.error().toString();
  }
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(client_ports.size(), 1u) << "each request opened a new connection";
}

TEST_F(HttpClientTest, ServesConcurrentCallersFromSeveralThreads) {
  ServerThread server(newServer());
  server->Get("/n", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.get_param_value("i"), "text/plain");
  });
  HttpClient client;
  constexpr int kThreads = 6, kEach = 10;
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int j = 0; j < kEach; ++j) {
        const std::string i = std::to_string(t * 100 + j);
        auto response = client.perform({.url = server.url("/n?i=" + i)});
        if (response.ok() && response->body == i) ++good;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), kThreads * kEach);
}

// --- proxies
// ---------------------------------------------------------------------------------------------------

// A stand-in HTTP proxy: answers every request itself, echoing the request target it was given.
std::unique_ptr<ServerThread> startProxy() {
  auto proxy = std::make_unique<ServerThread>(newServer());
  (*proxy)->Get(".*", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("proxied " + req.path, "text/plain");
  });
  return proxy;
}

TEST_F(HttpClientTest, SendsPlainHttpThroughTheProxyFromUpperCaseHttpProxy) {
  auto proxy = startProxy();
  ScopedEnv env("HTTP_PROXY", proxy->url("").c_str());
  HttpClient client;
  const std::string target = "http://127.0.0.1:" + std::to_string(closedPort()) + "/api/v1/x";
  auto response = client.perform({.url = target});
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->body, "proxied " + target);
}

TEST_F(HttpClientTest, SendsPlainHttpThroughTheProxyFromLowerCaseHttpProxy) {
  auto proxy = startProxy();
  ScopedEnv env("http_proxy", proxy->url("").c_str());
  HttpClient client;
  const std::string target = "http://127.0.0.1:" + std::to_string(closedPort()) + "/y";
  auto response = client.perform({.url = target});
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->body, "proxied " + target);
}

TEST_F(HttpClientTest, NoProxyBypassesTheProxy) {
  auto proxy = startProxy();
  ServerThread direct(newServer());
  direct->Get(
      "/z", [](const httplib::Request&, httplib::Response& res) { res.set_content("direct", "text/plain"); });
  ScopedEnv env("HTTP_PROXY", proxy->url("").c_str());
  ScopedEnv no_proxy("NO_PROXY", "127.0.0.1");
  HttpClient client;
  auto response = client.perform({.url = direct.url("/z")});
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->body, "direct");
}

// --- bounded responses, header injection, TLS version, proxy bypass
// -------------------------------------------------------------

// A raw TCP server on 127.0.0.1 whose one connection is handled by `serve` (given the accepted socket) on a
// thread: for answers no HTTP library would send. Every socket it makes has bounded timeouts.
class RawServer {
 public:
  explicit RawServer(std::function<void(int fd)> serve) : serve_(std::move(serve)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 4) != 0) {
      throw std::runtime_error("cannot bind a raw test server");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) return;
      const int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      timeval tv{5, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      serve_(fd);
      ::close(fd);
    });
  }
  ~RawServer() {
    thread_.join();
    ::close(listener_);
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Reads a request head (up to the blank line), bounded.
  static std::string readHead(int fd) {
    std::string head;
    char c = 0;
    while (head.size() < 65536 && head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) {
      head.push_back(c);
    }
    return head;
  }
  // Sends until the peer stops taking data or `limit` bytes went; returns how many went.
  static size_t sendUntilRefused(int fd, size_t limit, const std::string& piece) {
    size_t sent = 0;
    while (sent < limit) {
      const ssize_t n = ::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    return sent;
  }

 private:
  std::function<void(int)> serve_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(HttpClientTest, AChunkedBodyOverTheLimitFailsWhileReceivingAndTheConnectionIsDropped) {
  constexpr size_t kLimit = 1 << 20;
  constexpr size_t kOffered = size_t{256} << 20;  // 256 MiB: far more than the socket buffers can hold
  std::atomic<size_t> sent{0};
  auto server = std::make_unique<RawServer>([&](int fd) {
    RawServer::readHead(fd);
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
    sent = RawServer::sendUntilRefused(fd, kOffered, chunk);
  });
  HttpClient client;
  auto response = client.perform({.url = server->url("/big?token=secret"), .max_response_bytes = kLimit});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kTooLarge) << response.error().toString();
  EXPECT_FALSE(response.error().retryable());
  const std::string& m = response.error().message;
  EXPECT_NE(m.find("127.0.0.1"), std::string::npos) << m;
  EXPECT_NE(m.find("1048576-byte limit"), std::string::npos) << m;
  EXPECT_EQ(m.find("secret"), std::string::npos) << m;
  // The connection was closed, so the server's sends fail (its thread ends and is joined here) long before
  // it has streamed everything.
  server.reset();
  EXPECT_LT(sent.load(), kOffered) << "the client read the whole oversized body";
}

TEST_F(HttpClientTest, AContentLengthOverTheLimitIsRefusedBeforeTheBody) {
  Gate done;
  RawServer server([&](int fd) {
    RawServer::readHead(fd);
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 536870912\r\n\r\n" + std::string(1000, 'y');
    ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
    // Nothing more unless asked: a client that waited for the body would time out instead.
    done.wait();
  });
  HttpClient client({.request_timeout = 3000ms});
  const auto t0 = std::chrono::steady_clock::now();
  auto response = client.perform({.url = server.url("/announced"), .max_response_bytes = 4096});
  done.open();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kTooLarge) << response.error().toString();
  EXPECT_NE(response.error().message.find("4096-byte limit"), std::string::npos) << response.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST_F(HttpClientTest, ABodyOfExactlyTheLimitIsAcceptedAndOneByteMoreIsNot) {
  ServerThread server(newServer());
  server->Get("/n", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(5000, 'z'), "text/plain");
  });
  server->Get("/chunked", [](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("text/plain", [](size_t offset, httplib::DataSink& sink) {
      if (offset >= 5000) {
        sink.done();
        return true;
      }
      const std::string piece(1000, 'c');
      sink.write(piece.data(), piece.size());
      return true;
    });
  });
  HttpClient client;
  for (const char* path : {"/n", "/chunked"}) {
    auto exact = client.perform({.url = server.url(path), .max_response_bytes = 5000});
    ASSERT_TRUE(exact.ok()) << path << ": " << exact.error().toString();
    EXPECT_EQ(exact->body.size(), 5000u);
    auto over = client.perform({.url = server.url(path), .max_response_bytes = 4999});
    ASSERT_FALSE(over.ok()) << path;
    EXPECT_EQ(over.error().kind, ErrorKind::kTooLarge) << path;
  }
  // The default limit (1 MiB) applies when the caller sets none.
  server->Get("/2mib", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(size_t{2} << 20, 'm'), "text/plain");
  });
  auto defaulted = client.perform({.url = server.url("/2mib")});
  ASSERT_FALSE(defaulted.ok());
  EXPECT_EQ(defaulted.error().kind, ErrorKind::kTooLarge);
  // And the client goes on working after a refusal.
  auto after = client.perform({.url = server.url("/n")});
  ASSERT_TRUE(after.ok()) << after.error().toString();
}

TEST_F(HttpClientTest, ResponseHeadersOverTheirLimitFail) {
  RawServer server([](int fd) {
    RawServer::readHead(fd);
    std::string head = "HTTP/1.1 200 OK\r\n";
    for (int i = 0; head.size() <= kMaxResponseHeaderBytes + 4096; ++i) {
      head += "X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'h') + "\r\n";
    }
    head += "Content-Length: 0\r\n\r\n";
    RawServer::sendUntilRefused(fd, head.size(), head);
  });
  HttpClient client;
  auto response = client.perform({.url = server.url("/headers")});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kTooLarge) << response.error().toString();
  EXPECT_NE(response.error().message.find("headers"), std::string::npos) << response.error().message;
}

TEST_F(HttpClientTest, StreamCapsTheErrorBodyAtTheRequestsLimit) {
  ServerThread server(newServer());
  server->Get("/err", [](const httplib::Request&, httplib::Response& res) {
    res.status = 500;
    res.set_content(std::string(10000, 'e'), "text/plain");
  });
  HttpClient client;
  auto response = client.stream(
      {.url = server.url("/err"), .max_response_bytes = 100}, [](std::string_view) { return true; }, 2000ms);
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body.size(), 100u);
}

TEST_F(HttpClientTest, HeaderValuesOrNamesWithCrOrLfAreRefusedBeforeSending) {
  std::atomic<int> requests{0};
  ServerThread server(newServer());
  server->Get(".*", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_content("ok", "text/plain");
  });
  HttpClient client;
  const std::vector<std::pair<std::string, std::string>> bad = {{"X-Token", "abc\r\nX-Injected: 1"},
                                                                {"X-Token", "abc\nGET / HTTP/1.1"},
                                                                {"X-Token", "abc\r"},
                                                                {"X-Bad\r\nX-Injected", "1"},
                                                                {"X-Nul", std::string("a\0b", 3)},
                                                                {"", "empty-name"},
                                                                {"X-Colon:", "v"}};
  for (const auto& header : bad) {
    auto response = client.perform({.url = server.url("/h"), .headers = {header}});
    ASSERT_FALSE(response.ok()) << header.first;
    EXPECT_EQ(response.error().kind, ErrorKind::kInvalidArgument) << header.first;
    EXPECT_EQ(response.error().message.find("abc"), std::string::npos) << "the value was echoed";
  }
  auto bad_method = client.perform({.method = "GET / HTTP/1.1\r\nX:", .url = server.url("/h")});
  ASSERT_FALSE(bad_method.ok());
  EXPECT_EQ(bad_method.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(requests.load(), 0);
  auto fine = client.perform({.url = server.url("/h"), .headers = {{"X-Token", "abc def\tghi"}}});
  ASSERT_TRUE(fine.ok()) << fine.error().toString();
  EXPECT_EQ(requests.load(), 1);
}

TEST_F(HttpClientTest, BypassProxyIgnoresEveryProxyFromTheEnvironment) {
  auto proxy = startProxy();
  ServerThread direct(newServer());
  direct->Get("/creds", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("direct", "text/plain");
  });
  ScopedEnv upper("HTTP_PROXY", proxy->url("").c_str());
  ScopedEnv lower("http_proxy", proxy->url("").c_str());
  ScopedEnv all("ALL_PROXY", proxy->url("").c_str());
  HttpClient client;
  // Without the bypass the proxy answers (so the environment really is in force)...
  auto proxied = client.perform({.url = direct.url("/creds")});
  ASSERT_TRUE(proxied.ok()) << proxied.error().toString();
  EXPECT_EQ(proxied->body, "proxied " + direct.url("/creds"));
  // ...with it the request goes straight to the endpoint.
  auto response = client.perform({.url = direct.url("/creds"), .bypass_proxy = true});
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_EQ(response->body, "direct");
}

// --- abort_if
// -------------------------------------------------------------------------------------------------

TEST_F(HttpClientTest, AbortIfAbandonsAnInFlightRequestWithCancelled) {
  Gate entered, release;
  ServerThread server(newServer());
  server->Put("/slow", [&](const httplib::Request&, httplib::Response& res) {
    entered.open();
    release.wait();
    res.set_content("late", "text/plain");
  });
  std::atomic<bool> abort{false};
  std::thread flipper([&] {
    if (entered.wait()) abort = true;  // the premise goes away while the request is in flight
  });
  HttpClient client;
  const auto t0 = std::chrono::steady_clock::now();
  auto response = client.perform(
      {.method = "PUT", .url = server.url("/slow"), .body = "x", .abort_if = [&] { return abort.load(); }});
  const auto took = std::chrono::steady_clock::now() - t0;
  release.open();
  flipper.join();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kCancelled);
  EXPECT_NE(response.error().message.find("aborted by its caller"), std::string::npos)
      << response.error().message;
  EXPECT_LT(took, 2s);
  EXPECT_FALSE(client.cancelled()) << "abort_if is per request, not cancel()";
  // The client goes on serving requests without the predicate.
  auto after = client.perform({.method = "PUT", .url = server.url("/slow"), .body = "y"});
  ASSERT_TRUE(after.ok()) << after.error().toString();
  EXPECT_EQ(after->body, "late");
}

TEST_F(HttpClientTest, AbortIfAlreadyTrueSendsNothing) {
  std::atomic<int> requests{0};
  ServerThread server(newServer());
  server->Put("/w", [&](const httplib::Request&, httplib::Response& res) {
    ++requests;
    res.set_content("ok", "text/plain");
  });
  HttpClient client;
  auto response = client.perform(
      {.method = "PUT", .url = server.url("/w"), .body = "x", .abort_if = [] { return true; }});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(requests.load(), 0);
}

// --- urlEncode
// -------------------------------------------------------------------------------------------------

TEST(UrlEncodeTest, KeepsUnreservedCharacters) {
  EXPECT_EQ(urlEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(urlEncode(""), "");
}

TEST(UrlEncodeTest, PercentEncodesEverythingElseWithUpperCaseHex) {
  EXPECT_EQ(urlEncode("a b"), "a%20b");
  EXPECT_EQ(urlEncode("/path?x=1&y=+"), "%2Fpath%3Fx%3D1%26y%3D%2B");
  EXPECT_EQ(urlEncode("arn:aws:iam::123:user/tmp-*"), "arn%3Aaws%3Aiam%3A%3A123%3Auser%2Ftmp-%2A");
  EXPECT_EQ(urlEncode("é"), "%C3%A9");
  EXPECT_EQ(urlEncode(std::string_view("\0\xff", 2)), "%00%FF");
}

}  // namespace
}  // namespace aar::net
