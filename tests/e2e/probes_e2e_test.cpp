// Probe server under slow clients (issue 10, problem 2): the real binary keeps answering /healthz and /readyz
// while many connections trickle request headers, and refuses a request body without reading it.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <thread>

#include "e2e/harness.hpp"

namespace aar::e2e {
namespace {

using namespace std::chrono_literals;

class Socket {
 public:
  explicit Socket(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  bool connected() const { return connected_; }
  bool send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Everything until the peer closes (closed = true) or `limit` passes.
  std::string readUntilClosed(std::chrono::milliseconds limit, bool& closed) {
    std::string out;
    closed = false;
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed = true;
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class ProbesE2eTest : public E2eTest {};

TEST_F(ProbesE2eTest, ProbesAnswerWhile64ClientsTrickleHeadersAndABodyIsRefused) {
  putRules(kSeedRules);
  iam_->addUser("tmp-foo-one");
  ChildProcess& c = start({"--refresh-interval", "1s"});
  int health = 0;
  ASSERT_TRUE(eventually([&] { return (health = loggedPort(c, "/healthz and /readyz")) > 0; })) << c.err();
  ASSERT_TRUE(eventually([&] { return httpGet(health, "/readyz").first == 200; })) << c.err();

  // 64 connections, each started and then fed a header byte at a time: the kubelet's probes must still be
  // answered within its 1 s timeout (with cpp-httplib's thread per connection they were not).
  std::vector<std::unique_ptr<Socket>> slow;
  for (int i = 0; i < 64; ++i) {
    slow.push_back(std::make_unique<Socket>(health));
    ASSERT_TRUE(slow.back()->connected());
    slow.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  }
  const auto started = std::chrono::steady_clock::now();
  int probes = 0;
  while (std::chrono::steady_clock::now() - started < 4s) {
    for (auto& s : slow) s->send("s");
    for (const char* path : {"/healthz", "/readyz"}) {
      httplib::Client client("127.0.0.1", health);
      client.set_connection_timeout(2, 0);
      client.set_read_timeout(2, 0);
      const auto t0 = std::chrono::steady_clock::now();
      auto r = client.Get(path);
      ASSERT_TRUE(r) << path << " did not answer within 2 s with 64 slow clients connected\n" << c.err();
      EXPECT_EQ(r->status, 200) << path;
      EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s) << path;
      ++probes;
    }
    std::this_thread::sleep_for(500ms);  // the trickle's pace, not a wait for a condition
  }
  EXPECT_GE(probes, 8);

  // A POST that announces a large body: refused without reading it, and the connection closed.
  Socket post(health);
  ASSERT_TRUE(post.connected());
  ASSERT_TRUE(post.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n" +
                        std::string(1000, 'b')));
  bool closed = false;
  const std::string answer = post.readUntilClosed(3s, closed);
  EXPECT_TRUE(closed) << "the connection stayed open after refusing the body";
  EXPECT_TRUE(answer.rfind("HTTP/1.1 405 ", 0) == 0 || answer.rfind("HTTP/1.1 413 ", 0) == 0) << answer;
  EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos) << answer;
  EXPECT_TRUE(c.running());
}

}  // namespace
}  // namespace aar::e2e
