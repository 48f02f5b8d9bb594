// ServerThread: an httplib server (HTTP or HTTPS) listening on 127.0.0.1 and served on its own thread.
//
// - Two ways to start: the constructors that take a server bind and serve at once (and throw
//   std::runtime_error when they cannot bind); the default constructor makes a fresh server for the caller to
//   add routes to (server()), served by start(), which returns 0 when it cannot bind (errors as values).
// - Serving starts only once the serving thread has marked the server running: httplib's stop() is lost if it
//   comes before that, and the join would then hang.
// - stop() (and the destructor) stops the server and joins the thread; it is idempotent, and start() may
//   serve again afterwards. Requests in flight are finished by httplib's worker threads before the join
//   returns, so a handler that blocks (a watch) must be released by `after_stop`, which runs after the
//   listener is closed and before the join.
//
// Thread-safety: port(), url() and server() may be called from any thread; start() and stop() from one thread
// at a time. The server's handlers run on httplib's worker threads; add routes before requests can come
// (httplib reads its route lists without a lock).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}  // namespace httplib

namespace aar::test {

class ServerThread {
 public:
  // A fresh plain-HTTP server, not serving yet, tuned for tests: TCP_NODELAY (a body written after its
  // headers must not wait ~40 ms for a delayed ACK) and a 1 s keep-alive (stop() waits for idle connections).
  ServerThread();
  // Owns `server` (routes and options already set, not listening) and serves it on 127.0.0.1:`port` (0: an
  // ephemeral port) at once.
  explicit ServerThread(std::unique_ptr<httplib::Server> server, int port = 0);
  // Serves a server the caller owns, which must outlive this ServerThread, at once.
  explicit ServerThread(httplib::Server& server, int port = 0);
  ~ServerThread();
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  // Binds 127.0.0.1:`port` (0: ephemeral) and serves; returns the port, or 0 when it cannot bind. When
  // already serving, returns the port it serves on.
  int start(int port = 0);
  void stop(const std::function<void()>& after_stop = {});

  // The port served on (0 before start() or when it failed).
  int port() const { return port_; }
  // "<scheme>://127.0.0.1:<port><path>", the scheme https for an httplib::SSLServer, else http.
  std::string url(const std::string& path = "") const;
  httplib::Server& server() { return *server_; }
  httplib::Server& operator*() { return *server_; }
  httplib::Server* operator->() { return server_; }

 private:
  void startOrThrow(int port);

  std::unique_ptr<httplib::Server> owned_;
  httplib::Server* server_;
  int port_ = 0;
  std::string scheme_;
  std::thread thread_;
};

}  // namespace aar::test
