// The shared test support: each helper does what its header promises, on the real file system, processes and
// sockets of 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "support/child_process.hpp"
#include "support/eventually.hpp"
#include "support/server_thread.hpp"
#include "support/temp_dir.hpp"

namespace aar::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST(TempDirTest, CreatesAPrivateDirectoryAndRemovesItWithItsContent) {
  std::string path;
  {
    const TempDir dir("aar-support");
    path = dir.path();
    ASSERT_TRUE(fs::is_directory(path));
    EXPECT_NE(fs::path(path).filename().string().find("aar-support-"), std::string::npos);
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::all, fs::perms::owner_all);
    const std::string file = dir.write("a/b/c.txt", "hello");
    EXPECT_EQ(file, dir.file("a/b/c.txt"));
    EXPECT_EQ(readFile(file), "hello");
    const std::string script = dir.write("run.sh", "#!/bin/sh\n", true);
    EXPECT_NE(fs::status(script).permissions() & fs::perms::owner_exec, fs::perms::none);
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDirTest, TwoDirectoriesNeverShareAPath) {
  const TempDir a, b;
  EXPECT_NE(a.path(), b.path());
}

TEST(TempDirTest, WriteFailsWithAnErrorWhenTheFileCannotBeWritten) {
  const TempDir dir;
  fs::create_directory(dir.file("taken"));
  EXPECT_THROW(dir.write("taken", "x"), std::runtime_error);
}

TEST(EventuallyTest, ReturnsAsSoonAsTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(eventually([&] { return ++calls == 3; }, 10s, 0ms));
  EXPECT_EQ(calls, 3);
}

TEST(EventuallyTest, SeesAChangeMadeByAnotherThread) {
  std::atomic<bool> flag{false};
  std::thread setter([&] { flag = true; });
  EXPECT_TRUE(eventually([&] { return flag.load(); }));
  setter.join();
}

TEST(EventuallyTest, PollsQuicklyAtFirstThenNoFasterThanTheInterval) {
  int calls = 0;
  EXPECT_FALSE(eventually([&] { return ++calls < 0; }, 200ms, 20ms));
  // 100 us doubling to 20 ms: about 8 quick polls, then one each 20 ms (200 ms would allow ~2000 at 100 us).
  EXPECT_GE(calls, 5);
  EXPECT_LE(calls, 40);
}

// More rounds than doubling a pause could survive (it overflowed after ~56; UndefinedBehaviorSanitizer caught
// it).
TEST(EventuallyTest, KeepsPollingAtTheIntervalForHundredsOfRounds) {
  int calls = 0;
  EXPECT_FALSE(eventually([&] { return ++calls < 0; }, 300ms, 1ms));
  EXPECT_GE(calls, 80);
}

TEST(EventuallyTest, GivesUpAfterTheLimitHavingAskedOnceMoreAtTheDeadline) {
  int calls = 0;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(eventually([&] { return ++calls < 0; }, 30ms, 10ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
  EXPECT_GE(calls, 2);  // at least one poll and the last call at the deadline
}

TEST(ChildProcessTest, RunsWithExactlyTheGivenEnvironmentAndCapturesBothStreams) {
  const ChildResult r = runToExit(
      {"/bin/sh", "-c", "echo \"out:$GREETING:${HOME-unset}\"; echo err >&2; exit 3"}, {"GREETING=hi"}, 10s);
  ASSERT_TRUE(r.exit_code.has_value());
  EXPECT_EQ(*r.exit_code, 3);
  EXPECT_EQ(r.out, "out:hi:unset\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(ChildProcessTest, ReadsStdinFromAFileAndCanInterleaveBothStreamsInOne) {
  const TempDir dir;
  const std::string in = dir.write("in", "from stdin\n");
  ChildProcess child({"/bin/sh", "-c", "read line; echo \"1:$line\"; echo 2 >&2; echo 3"}, {},
                     dir.file("all"), dir.file("all"), in);
  ASSERT_EQ(child.waitExit(10s), 0);
  EXPECT_EQ(child.out(), "1:from stdin\n2\n3\n");
  EXPECT_EQ(child.err(), child.out());
}

TEST(ChildProcessTest, InheritsThisEnvironmentWhenNoneIsGiven) {
  ::setenv("AAR_SUPPORT_TEST_VAR", "inherited", 1);
  const ChildResult r = runToExit({"/bin/sh", "-c", "echo $AAR_SUPPORT_TEST_VAR"}, 10s);
  ::unsetenv("AAR_SUPPORT_TEST_VAR");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "inherited\n");
}

TEST(ChildProcessTest, AMissingBinaryExitsWith127) {
  const ChildResult r = runToExit({"/nonexistent/aar-binary"}, {}, 10s);
  EXPECT_EQ(r.exit_code, 127);
}

TEST(ChildProcessTest, ReportsAChildStillRunningAfterTheLimitAndKillsIt) {
  const TempDir dir;
  pid_t pid = -1;
  {
    ChildProcess child({"/bin/sleep", "30"}, {}, dir.file("o"), dir.file("e"));
    pid = child.pid();
    EXPECT_TRUE(child.running());
    EXPECT_FALSE(child.waitExit(20ms).has_value());
  }
  // Reaped by the destructor: the pid no longer names our child.
  EXPECT_NE(::kill(pid, 0), 0);
  const ChildResult r = runToExit({"/bin/sleep", "30"}, {}, 20ms);
  EXPECT_FALSE(r.exit_code.has_value());
}

TEST(ChildProcessTest, ASignalledChildExitsWith128PlusTheSignal) {
  const TempDir dir;
  ChildProcess child({"/bin/sleep", "30"}, {}, dir.file("o"), dir.file("e"));
  child.signal(SIGTERM);
  EXPECT_EQ(child.waitExit(10s), 128 + SIGTERM);
  EXPECT_FALSE(child.running());
  EXPECT_TRUE(child.peakRssKiB().has_value());
}

TEST(ChildProcessTest, OutputIsReadableWhileTheChildRuns) {
  const TempDir dir;
  ChildProcess child({"/bin/sh", "-c", "echo ready; exec sleep 30"}, std::vector<std::string>{},
                     dir.file("o"), dir.file("e"));
  EXPECT_TRUE(eventually([&] { return child.out() == "ready\n"; }));
  EXPECT_TRUE(child.running());
}

TEST(ChildProcessTest, KeepsItsOutputInADirectoryOfItsOwnAndReadsTheFirstLine) {
  ChildProcess child({"/bin/sh", "-c", "printf 'ready port=1\\npartial'; exec sleep 30"}, {});
  EXPECT_EQ(child.firstLine(10s), "ready port=1");
  ChildProcess silent({"/bin/sh", "-c", "printf 'no newline'; exec sleep 30"}, {});
  EXPECT_EQ(silent.firstLine(50ms), "");
}

TEST(ServerThreadTest, ServesOn127001UntilStopped) {
  auto server = std::make_unique<httplib::Server>();
  server->Get("/ping",
              [](const httplib::Request&, httplib::Response& res) { res.set_content("pong", "text/plain"); });
  ServerThread thread(std::move(server));
  ASSERT_GT(thread.port(), 0);
  EXPECT_EQ(thread.url("/ping"), "http://127.0.0.1:" + std::to_string(thread.port()) + "/ping");
  httplib::Client client("127.0.0.1", thread.port());
  auto res = client.Get("/ping");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "pong");

  bool after_stop_ran = false;
  thread.stop([&] { after_stop_ran = true; });
  EXPECT_TRUE(after_stop_ran);
  thread.stop();  // idempotent
  EXPECT_FALSE(httplib::Client("127.0.0.1", thread.port()).Get("/ping"));
}

TEST(ServerThreadTest, AStopRightAfterTheStartIsNeverLost) {
  // Bounded by the test's timeout: a lost stop() would hang the join.
  for (int i = 0; i < 50; ++i) {
    httplib::Server server;
    ServerThread thread(server);
  }
  SUCCEED();
}

TEST(ServerThreadTest, ServesOnTheRequestedPort) {
  httplib::Server first;
  ServerThread a(first);
  a.stop();
  httplib::Server third;
  ServerThread b(third, a.port());
  EXPECT_EQ(b.port(), a.port());
  EXPECT_TRUE(httplib::Client("127.0.0.1", b.port()).Get("/"));  // 404, but served
}

TEST(ServerThreadTest, AFreshServerServesItsRoutesFromStartAndAgainAfterAStop) {
  ServerThread thread;
  EXPECT_EQ(thread.port(), 0);
  thread->Get("/ping",
              [](const httplib::Request&, httplib::Response& res) { res.set_content("pong", "text/plain"); });
  const int port = thread.start();
  ASSERT_GT(port, 0);
  EXPECT_EQ(thread.start(), port);  // already serving
  EXPECT_EQ(httplib::Client("127.0.0.1", port).Get("/ping")->body, "pong");
  thread.stop();
  EXPECT_FALSE(httplib::Client("127.0.0.1", port).Get("/ping"));
  ASSERT_GT(thread.start(), 0);
  auto res = httplib::Client("127.0.0.1", thread.port()).Get("/ping");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "pong");
}

// A port held by a plain listening socket without SO_REUSEADDR/SO_REUSEPORT, which nobody else can bind.
class HeldPort {
 public:
  HeldPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API takes sockaddr*
    auto* sa = reinterpret_cast<sockaddr*>(&addr);
    if (fd_ < 0 || ::bind(fd_, sa, len) != 0 || ::listen(fd_, 1) != 0 || ::getsockname(fd_, sa, &len) != 0)
      throw std::runtime_error("HeldPort: cannot listen on 127.0.0.1");
    port_ = ntohs(addr.sin_port);
  }
  ~HeldPort() { ::close(fd_); }
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;
  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

TEST(ServerThreadTest, StartReturnsZeroAndTheConstructorThrowsWhenThePortCannotBeBound) {
  const HeldPort held;
  ServerThread thread;
  EXPECT_EQ(thread.start(held.port()), 0);
  EXPECT_EQ(thread.port(), 0);
  httplib::Server server;
  EXPECT_THROW(ServerThread(server, held.port()), std::runtime_error);
}

}  // namespace
}  // namespace aar::test
