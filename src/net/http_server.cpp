#include "net/http_server.hpp"

#include <httplib.h>

#include <charconv>
#include <thread>

namespace aar::net {

Result<BindAddress> parseBindAddress(std::string_view value) {
  BindAddress out;
  if (value == "0") {
    out.disabled = true;
    return out;
  }
  auto bad = [&](const char* why) {
    return makeError(ErrorKind::kInvalidArgument, "bind address \"" + std::string(value) + "\": " + why);
  };
  size_t colon = value.rfind(':');
  if (colon == std::string_view::npos) return bad("expected HOST:PORT or :PORT");
  std::string_view host = value.substr(0, colon);
  std::string_view port = value.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string_view::npos)
    return bad("an IPv6 host must be in brackets");
  int p = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || ptr != port.data() + port.size() || p < 0 || p > 65535) {
    return bad("port must be a number from 0 to 65535");
  }
  out.host = host.empty() ? "0.0.0.0" : std::string(host);
  out.port = p;
  return out;
}

struct HttpServer::Impl {
  httplib::Server server;
  std::thread thread;
  int port = 0;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  if (!impl_) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const BindAddress& address,
                                                      std::map<std::string, ServerHandler> routes) {
  auto impl = std::make_unique<Impl>();
  auto shared_routes = std::make_shared<std::map<std::string, ServerHandler>>(std::move(routes));
  auto dispatch = [shared_routes](const httplib::Request& req, httplib::Response& res) {
    auto it = shared_routes->find(req.path);
    if (it == shared_routes->end()) {
      res.status = 404;
      res.set_content("404 page not found\n", "text/plain; charset=utf-8");
      return;
    }
    ServerResponse r = it->second();
    res.status = r.status;
    res.set_content(r.body, r.content_type.c_str());
  };
  impl->server.Get(".*", dispatch);
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_content("method not allowed\n", "text/plain; charset=utf-8");
  };
  impl->server.Post(".*", not_allowed);
  impl->server.Put(".*", not_allowed);
  impl->server.Delete(".*", not_allowed);
  impl->server.Patch(".*", not_allowed);
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let a second process silently
  // share a port that is already in use instead of failing to start.
  impl->server.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  impl->server.set_keep_alive_max_count(100);
  impl->server.set_read_timeout(5, 0);
  impl->server.set_write_timeout(5, 0);

  if (address.port == 0) {
    impl->port = impl->server.bind_to_any_port(address.host);
    if (impl->port <= 0) {
      return makeError(ErrorKind::kNetwork, "cannot listen on " + address.host + ":0");
    }
  } else {
    if (!impl->server.bind_to_port(address.host, address.port)) {
      return makeError(ErrorKind::kNetwork, "cannot listen on " + address.host + ":" +
                                                std::to_string(address.port) +
                                                " (address in use or not available)");
    }
    impl->port = address.port;
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->server.listen_after_bind(); });
  // stop() is a no-op until the accept loop runs; wait for it so that stop() can never miss it.
  for (int i = 0; i < 2000 && !raw->server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::make_unique<HttpServer>(std::move(impl));
}

}  // namespace aar::net
