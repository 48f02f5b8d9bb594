// HttpServer: the small plain-HTTP server behind /metrics, /healthz and /readyz (on cpp-httplib).
//
// It serves GET (and HEAD) on a fixed set of paths, each answered by a handler; any other path is 404, any
// other method 405. Handlers run on the server's worker threads and must be thread-safe.
//
// Bind addresses follow controller-runtime's flags: ":8080" (all interfaces), "127.0.0.1:8080",
// "[::1]:8080", "localhost:0" (port 0 picks a free port; port() tells which). "0" means disabled and is
// handled by callers (parseBindAddress reports it).
//
// Thread-safety: start() returns a running server; stop() and the destructor may be called from any thread
// (not from a handler) and wait for the listener thread to end.
#pragma once

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

class HttpServer {
 public:
  // Binds and starts serving on a background thread. Fails (kNetwork) when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> start(const BindAddress& address,
                                                   std::map<std::string, ServerHandler> routes);
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
