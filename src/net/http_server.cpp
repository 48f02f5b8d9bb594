#include "net/http_server.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <list>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "net/thread_guard.hpp"

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

namespace {

using Clock = std::chrono::steady_clock;

// After a refusal, what the client still sends is read and thrown away for at most this long / this much,
// so that closing with unread data does not reset the connection before the client has read the response.
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr size_t kLingerMaxBytes = 64 * 1024;
constexpr size_t kReadChunk = 4096;
// How long the listener is left out of poll() after accept() ran out of descriptors (it would stay
// readable and spin the loop otherwise).
constexpr std::chrono::milliseconds kAcceptBackoff{100};

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

const char* reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "";
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

struct Connection {
  enum class State { kReading, kWriting, kLingering };
  Fd fd;
  State state = State::kReading;
  std::string in;   // bytes of the request head being read (bounded by the head limits)
  std::string out;  // the response being written
  size_t out_sent = 0;
  size_t scanned = 0;                      // bytes of `in` already searched for the end of the head
  std::optional<size_t> request_line_end;  // offset of the request line's LF once seen
  Clock::time_point waiting_since;         // accept or last response: orders connections for eviction
  Clock::time_point deadline;              // when the current state times out
  bool close_after_write = false;
  bool started = false;  // the current request has its first byte
  size_t served = 0;
  size_t lingered = 0;
};

// One parsed request head, or the status of a refusal.
struct Head {
  int error_status = 0;  // non-zero: answer this and close
  std::string method;
  std::string path;
  bool close = false;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  std::map<std::string, ServerHandler> routes;
  Fd listener;
  Fd wake;  // eventfd: stop() writes to it
  int port = 0;
  std::thread thread;
  std::list<Connection> conns;

  void run();
  void acceptAll(Clock::time_point now, bool& backoff);
  void onReadable(Connection& c, Clock::time_point now);
  // from_poll: called by the loop (then a pipelined request already buffered is processed); false when
  // called from respond(), whose caller's loop goes on with the buffer (no recursion per request).
  void onWritable(Connection& c, Clock::time_point now, bool from_poll);
  void processBuffered(Connection& c, Clock::time_point now);
  Head parseHead(std::string_view head) const;
  void respond(Connection& c, int status, std::string_view content_type, std::string_view body,
               bool head_only, bool close, Clock::time_point now);
  void beginLinger(Connection& c, Clock::time_point now);
  static void closeConn(Connection& c) { c.fd.reset(); }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  const uint64_t one = 1;
  // The eventfd counter cannot overflow from a handful of writes; a failed write leaves nothing to do.
  [[maybe_unused]] ssize_t n = ::write(impl_->wake.get(), &one, sizeof(one));
  impl_->thread.join();
  impl_->conns.clear();
  impl_->listener.reset();
}

void HttpServer::Impl::run() {
  bool backoff = false;
  Clock::time_point backoff_until{};
  std::vector<pollfd> fds;
  std::vector<Connection*> polled;
  for (;;) {
    Clock::time_point now = Clock::now();
    // Expire and drop closed connections first, so that poll() waits only on live ones.
    for (auto it = conns.begin(); it != conns.end();) {
      if (it->fd.get() >= 0 && now >= it->deadline) closeConn(*it);
      if (it->fd.get() < 0)
        it = conns.erase(it);
      else
        ++it;
    }
    if (backoff && now >= backoff_until) backoff = false;

    fds.clear();
    polled.clear();
    fds.push_back({wake.get(), POLLIN, 0});
    fds.push_back({backoff ? -1 : listener.get(), POLLIN, 0});
    Clock::time_point next = now + std::chrono::seconds(1);
    if (backoff) next = std::min(next, backoff_until);
    for (Connection& c : conns) {
      fds.push_back(
          {c.fd.get(), static_cast<short>(c.state == Connection::State::kWriting ? POLLOUT : POLLIN), 0});
      polled.push_back(&c);
      next = std::min(next, c.deadline);
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count() + 1;
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<int64_t>(0, wait)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // cannot happen with valid descriptors; the probes then fail and the pod is restarted
    }
    if (fds[0].revents != 0) return;
    now = Clock::now();
    for (size_t i = 0; i < polled.size(); ++i) {
      const short ev = fds[i + 2].revents;
      if (ev == 0) continue;
      Connection& c = *polled[i];
      if (c.state == Connection::State::kWriting) {
        if ((ev & (POLLERR | POLLNVAL)) != 0)
          closeConn(c);
        else
          onWritable(c, now, true);
      } else {
        onReadable(c, now);
      }
    }
    if (fds[1].revents != 0) {
      acceptAll(now, backoff);
      if (backoff) backoff_until = now + kAcceptBackoff;
    }
  }
}

void HttpServer::Impl::acceptAll(Clock::time_point now, bool& backoff) {
  for (int i = 0; i < 64; ++i) {
    int fd = ::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) backoff = true;
      return;  // EAGAIN: none left; ECONNABORTED and the like: the client is gone
    }
    size_t live = 0;
    for (const Connection& c : conns) live += c.fd.get() >= 0 ? 1 : 0;
    if (live >= options.max_connections) {
      // Evict the connection that has waited longest for a request: a slow or idle client, never one being
      // answered (those finish within write_timeout).
      Connection* oldest = nullptr;
      for (Connection& c : conns) {
        if (c.fd.get() < 0 || c.state != Connection::State::kReading) continue;
        if (oldest == nullptr || c.waiting_since < oldest->waiting_since) oldest = &c;
      }
      if (oldest == nullptr) {
        ::close(fd);
        continue;
      }
      closeConn(*oldest);
    }
    Connection& c = conns.emplace_back();
    c.fd = Fd(fd);
    c.waiting_since = now;
    c.deadline = now + options.request_read_timeout;
    c.started = true;  // the first request's clock starts at the accept
  }
}

void HttpServer::Impl::onReadable(Connection& c, Clock::time_point now) {
  if (c.state == Connection::State::kLingering) {
    char sink[kReadChunk];
    ssize_t r = ::recv(c.fd.get(), sink, sizeof(sink), 0);
    if (r > 0) c.lingered += static_cast<size_t>(r);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR) || c.lingered > kLingerMaxBytes) closeConn(c);
    return;
  }
  // One byte past either limit is enough to tell that it was exceeded.
  const size_t cap = options.max_request_line + options.max_header_bytes + 2;
  if (c.in.size() >= cap) return;  // a full buffer is handled by processBuffered
  const size_t want = std::min(kReadChunk, cap - c.in.size());
  const size_t old = c.in.size();
  c.in.resize(old + want);
  ssize_t r = ::recv(c.fd.get(), c.in.data() + old, want, 0);
  c.in.resize(old + static_cast<size_t>(std::max<ssize_t>(r, 0)));
  if (r == 0) {
    closeConn(c);
    return;
  }
  if (r < 0) {
    if (errno != EAGAIN && errno != EINTR) closeConn(c);
    return;
  }
  if (!c.started) {
    c.started = true;
    c.deadline = now + options.request_read_timeout;
  }
  processBuffered(c, now);
}

void HttpServer::Impl::processBuffered(Connection& c, Clock::time_point now) {
  while (c.state == Connection::State::kReading && c.fd.get() >= 0 && !c.in.empty()) {
    // Find the end of the head: an empty line (CRLF or, leniently, a bare LF).
    std::optional<size_t> head_end;
    size_t pos = c.scanned;
    while (pos < c.in.size()) {
      size_t lf = c.in.find('\n', pos);
      if (lf == std::string::npos) break;
      if (!c.request_line_end) {
        c.request_line_end = lf;
      } else {
        size_t line_start = c.in.rfind('\n', lf - 1) + 1;
        std::string_view line(c.in.data() + line_start, lf - line_start);
        if (line.empty() || line == "\r") {
          head_end = lf + 1;
          break;
        }
      }
      pos = lf + 1;
    }
    c.scanned = head_end ? *head_end : pos;
    if (!c.request_line_end) {
      if (c.in.size() > options.max_request_line) {
        respond(c, 414, "text/plain; charset=utf-8", "request line too long\n", false, true, now);
      }
      return;
    }
    if (*c.request_line_end > options.max_request_line) {
      respond(c, 414, "text/plain; charset=utf-8", "request line too long\n", false, true, now);
      return;
    }
    const size_t header_bytes = (head_end ? *head_end : c.in.size()) - (*c.request_line_end + 1);
    if (header_bytes > options.max_header_bytes) {
      respond(c, 431, "text/plain; charset=utf-8", "request headers too large\n", false, true, now);
      return;
    }
    if (!head_end) return;

    Head head = parseHead(std::string_view(c.in.data(), *head_end));
    c.in.erase(0, *head_end);
    c.scanned = 0;
    c.request_line_end.reset();
    c.started = !c.in.empty();
    const bool head_only = head.method == "HEAD";
    if (head.error_status == 405) {
      respond(c, 405, "text/plain; charset=utf-8", "method not allowed\n", false, true, now);
      return;
    }
    if (head.error_status != 0) {
      respond(c, head.error_status, "text/plain; charset=utf-8",
              head.error_status == 413 ? "request body not accepted\n" : "bad request\n", head_only, true,
              now);
      return;
    }
    const bool close = head.close || c.served + 1 >= options.max_requests_per_connection;
    auto it = routes.find(head.path);
    if (it == routes.end()) {
      respond(c, 404, "text/plain; charset=utf-8", "404 page not found\n", head_only, close, now);
      continue;
    }
    ServerResponse r;
    try {
      r = it->second();
    } catch (...) {
      r = ServerResponse{500, "text/plain; charset=utf-8", "internal error\n"};
    }
    respond(c, r.status, r.content_type, r.body, head_only, close, now);
  }
}

Head HttpServer::Impl::parseHead(std::string_view head) const {
  Head out;
  size_t lf = head.find('\n');
  std::string_view line = trim(head.substr(0, lf));
  // METHOD SP request-target SP HTTP-version
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || sp1 == 0 || sp2 == sp1 + 1) {
    out.error_status = 400;
    return out;
  }
  out.method = std::string(line.substr(0, sp1));
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    out.error_status = 400;
    return out;
  }
  out.close = version == "HTTP/1.0";
  out.path = std::string(target.substr(0, target.find('?')));
  bool has_body = false;
  std::string_view rest = head.substr(lf + 1);
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view h = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!h.empty() && h.back() == '\r') h.remove_suffix(1);
    if (h.empty()) break;
    size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0 || h.front() == ' ' || h.front() == '\t') {
      out.error_status = 400;  // no name, or obsolete line folding
      return out;
    }
    const std::string name = lower(h.substr(0, colon));
    std::string_view value = trim(h.substr(colon + 1));
    if (name == "transfer-encoding") {
      has_body = true;
    } else if (name == "content-length") {
      // Any value but a plain 0 announces a body (or is malformed, which is no better).
      if (value.find_first_not_of('0') != std::string_view::npos || value.empty()) has_body = true;
    } else if (name == "connection") {
      const std::string v = lower(value);
      if (v.find("close") != std::string::npos) out.close = true;
    }
  }
  if (out.method != "GET" && out.method != "HEAD") {
    out.error_status = 405;
  } else if (has_body) {
    out.error_status = 413;
  }
  return out;
}

void HttpServer::Impl::respond(Connection& c, int status, std::string_view content_type,
                               std::string_view body, bool head_only, bool close, Clock::time_point now) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) + "\r\n";
  out += "Content-Type: ";
  out += content_type;
  out += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  if (status == 405) out += "Allow: GET, HEAD\r\n";
  out += close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
  if (!head_only) out += body;
  c.out = std::move(out);
  c.out_sent = 0;
  c.close_after_write = close;
  c.state = Connection::State::kWriting;
  c.deadline = now + options.write_timeout;
  ++c.served;
  if (close) {
    // Nothing more of this connection's input is read as a request.
    c.in.clear();
    c.in.shrink_to_fit();
  }
  onWritable(c, now, false);
}

void HttpServer::Impl::onWritable(Connection& c, Clock::time_point now, bool from_poll) {
  while (c.out_sent < c.out.size()) {
    ssize_t w = ::send(c.fd.get(), c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) return;  // poll() says when to go on
      closeConn(c);
      return;
    }
    c.out_sent += static_cast<size_t>(w);
  }
  c.out.clear();
  c.out.shrink_to_fit();
  if (c.close_after_write) {
    beginLinger(c, now);
    return;
  }
  c.state = Connection::State::kReading;
  c.waiting_since = now;
  c.deadline = now + (c.started ? options.request_read_timeout : options.idle_timeout);
  if (from_poll) processBuffered(c, now);  // a pipelined request may already be here
}

void HttpServer::Impl::beginLinger(Connection& c, Clock::time_point now) {
  ::shutdown(c.fd.get(), SHUT_WR);
  c.state = Connection::State::kLingering;
  c.deadline = now + kLingerTime;
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const BindAddress& address,
                                                      std::map<std::string, ServerHandler> routes,
                                                      const HttpServerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->routes = std::move(routes);
  const std::string where = address.host + ":" + std::to_string(address.port);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(address.port);
  if (int rc = ::getaddrinfo(address.host.c_str(), port_text.c_str(), &hints, &found); rc != 0) {
    return makeError(ErrorKind::kNetwork, "cannot listen on " + where + ": " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
  std::string why = "no address";
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (fd.get() < 0) {
      why = std::strerror(errno);
      continue;
    }
    // SO_REUSEADDR only: SO_REUSEPORT would let a second process silently share a port already in use
    // instead of failing to start.
    int yes = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(fd.get(), SOMAXCONN) != 0) {
      why = std::strerror(errno);
      continue;
    }
    impl->listener = std::move(fd);
    break;
  }
  if (impl->listener.get() < 0) {
    return makeError(ErrorKind::kNetwork,
                     "cannot listen on " + where + " (" + why + ": address in use or not available)");
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  if (::getsockname(impl->listener.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    return makeError(ErrorKind::kNetwork, "cannot listen on " + where + ": getsockname failed");
  }
  impl->port = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                           : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  impl->wake = Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (impl->wake.get() < 0) return makeError(ErrorKind::kNetwork, "cannot create the server's eventfd");
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { runGuarded("probe and metrics server", [raw] { raw->run(); }); });
  return std::make_unique<HttpServer>(std::move(impl));
}

}  // namespace aar::net
