// HttpServer: the small plain-HTTP server behind /metrics, /healthz and /readyz.
//
// It serves GET and HEAD on a fixed set of paths, each answered by a handler; any other path is 404, any
// other method 405. It is written by hand (a single-threaded poll() loop) rather than on cpp-httplib because
// cpp-httplib gives each connection a blocking worker from a fixed pool and bounds only each recv(), not a
// whole request: a couple of dozen clients that trickle header bytes hold every worker, and /healthz stops
// answering (issue 10, problem 2). Here no connection ever holds the server:
// - a request head (request line and headers) must arrive whole within request_read_timeout of its first
//   byte (of the accept for the first request), however slowly it trickles; a kept-alive connection with no
//   new request is closed after idle_timeout; a response must be taken within write_timeout;
// - request line and header sizes are bounded (414 and 431, then close);
// - a request that announces a body (Content-Length > 0 or any Transfer-Encoding) is refused without reading
//   it: 405 for a method other than GET/HEAD, 413 for GET/HEAD, always with "Connection: close"; the
//   connection is then half-closed and whatever the client still sends is discarded (bounded in bytes and
//   time) so that the response is not lost to a TCP reset;
// - the number of connections is bounded; at the bound, a new connection replaces the one that has waited
//   longest for its request (a probe arriving among many slow clients is still served).
// Memory is bounded by max_connections × (max_request_line + max_header_bytes) plus the responses.
//
// Handlers run on the server's one thread, one at a time, and must be quick (they render a probe or the
// metrics text); they must be thread-safe with respect to the rest of the program. A handler that throws
// yields a 500.
//
// Bind addresses follow controller-runtime's flags: ":8080" (all interfaces), "127.0.0.1:8080",
// "[::1]:8080", "localhost:0" (port 0 picks a free port; port() tells which). "0" means disabled and is
// handled by callers (parseBindAddress reports it).
//
// Thread-safety: start() returns a running server; stop() and the destructor may be called from any thread
// (not from a handler) and wait for the server thread to end. stop() is idempotent.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace aar::net {

struct ServerResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using ServerHandler = std::function<ServerResponse()>;

struct BindAddress {
  bool disabled = false;  // the flag value was "0"
  std::string host;       // "0.0.0.0" for ":port"
  int port = 0;
};

// Parses a bind address flag value. Errors (kInvalidArgument) name the value and what is wrong with it.
Result<BindAddress> parseBindAddress(std::string_view value);

// Limits of the server. The defaults suit probes and a Prometheus scrape; tests shorten the timeouts.
struct HttpServerOptions {
  // Default: 5 s. The whole request head must arrive within this, counted from its first byte (from the
  // accept for a connection's first request). Not reset by progress: a client that sends a byte a second is
  // cut off.
  std::chrono::milliseconds request_read_timeout{5000};
  // Default: 5 s. A kept-alive connection on which no new request starts within this is closed.
  std::chrono::milliseconds idle_timeout{5000};
  // Default: 5 s. A response not taken by the client within this is dropped with the connection.
  std::chrono::milliseconds write_timeout{5000};
  // Default: 8 KiB. A longer request line is answered 414 and the connection closed.
  size_t max_request_line = 8 * 1024;
  // Default: 16 KiB. Header lines beyond the request line totalling more are answered 431 and closed.
  size_t max_header_bytes = 16 * 1024;
  // Default: 256. At the bound, the connection waiting longest for its request is closed for a new one.
  size_t max_connections = 256;
  // Default: 100. The connection is closed after this many responses.
  size_t max_requests_per_connection = 100;
};

class HttpServer {
 public:
  // Binds and starts serving on a background thread. Fails (kNetwork) when the address cannot be bound or
  // the thread's resources cannot be had.
  static Result<std::unique_ptr<HttpServer>> start(const BindAddress& address,
                                                   std::map<std::string, ServerHandler> routes,
                                                   const HttpServerOptions& options = {});
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);  // use start()
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  void stop();

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace aar::net
