// The one fork/exec helper (kube::ChildProcess): exit status, the exact environment, output limits, timeouts
// that kill the whole process group, line reading, stderr to a file, and children that cannot be started.
#include "kube/child_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kube_test_support.hpp"

namespace aar::kube {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::TempDir;

SpawnOptions shell(const std::string& script) {
  SpawnOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.env = {"PATH=/usr/bin:/bin"};
  return o;
}

// True when `pid` has gone (or is a zombie nobody reaped yet: it runs no more).
bool gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

TEST(ChildProcessTest, ReportsTheExitCodeAndDeathBySignalAsAShellDoes) {
  auto exits = ChildProcess::spawn(shell("exit 3"));
  ASSERT_TRUE(exits.ok()) << exits.error().message;
  EXPECT_EQ((*exits)->wait(), 3);
  EXPECT_EQ((*exits)->poll(), std::optional<int>(3));

  auto killed = ChildProcess::spawn(shell("kill -KILL $$"));
  ASSERT_TRUE(killed.ok()) << killed.error().message;
  EXPECT_EQ((*killed)->wait(), 128 + SIGKILL);
}

TEST(ChildProcessTest, TheChildGetsExactlyTheEnvironmentGivenAndIsFoundOnThePath) {
  SpawnOptions o;
  o.argv = {"env"};  // no '/': looked up on the PATH
  o.env = {"A=1", "B=two words"};
  auto child = ChildProcess::spawn(o);
  ASSERT_TRUE(child.ok()) << child.error().message;
  auto output = (*child)->collect(1 << 20, 10s);
  ASSERT_TRUE(output.ok()) << output.error().message;
  EXPECT_EQ(output->out, "A=1\nB=two words\n");
  EXPECT_EQ((*child)->wait(), 0);
}

TEST(ChildProcessTest, CutsEachStreamAtTheLimitButDrainsItSoTheChildFinishes) {
  // 1 MiB is far more than a pipe holds: a parent that stopped reading at the limit would leave the child
  // blocked in write() until the timeout.
  auto o = shell("head -c 1048576 /dev/zero; printf 'warn' >&2; exit 0");
  o.capture_stderr = true;
  auto child = ChildProcess::spawn(o);
  ASSERT_TRUE(child.ok()) << child.error().message;
  auto output = (*child)->collect(1000, 10s);
  ASSERT_TRUE(output.ok()) << output.error().message;
  EXPECT_EQ(output->out, std::string(1000, '\0'));
  EXPECT_EQ(output->err, "warn");
  EXPECT_TRUE(output->truncated);
  EXPECT_EQ((*child)->wait(), 0);
}

TEST(ChildProcessTest, ATimeoutLeavesTheChildToKillAndKillingItsGroupTakesItsChildrenToo) {
  auto o = shell("sleep 30 & echo $!; wait");
  o.own_process_group = true;
  auto child = ChildProcess::spawn(o);
  ASSERT_TRUE(child.ok()) << child.error().message;
  auto grandchild = (*child)->readLine(10s);
  ASSERT_TRUE(grandchild.ok()) << grandchild.error().message;
  const pid_t sleeper = std::stoi(*grandchild);
  const auto start = std::chrono::steady_clock::now();
  auto output = (*child)->collect(1 << 20, 200ms);
  ASSERT_FALSE(output.ok());
  EXPECT_EQ(output.error().kind, ErrorKind::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE((*child)->poll().has_value());  // a timeout does not kill: the caller decides
  (*child)->kill(SIGKILL);
  EXPECT_EQ((*child)->wait(), 128 + SIGKILL);
  bool sleeper_gone = false;
  for (int i = 0; i < 500 && !sleeper_gone; ++i) {
    sleeper_gone = gone(sleeper);
    if (!sleeper_gone) std::this_thread::sleep_for(10ms);  // polled: the kernel delivers SIGKILL async
  }
  EXPECT_TRUE(sleeper_gone) << "the plugin's own child survived";
}

TEST(ChildProcessTest, ReadsStdoutLineByLineThenReportsItsEnd) {
  auto child = ChildProcess::spawn(shell("printf 'one\\ntwo\\n'"));
  ASSERT_TRUE(child.ok()) << child.error().message;
  for (const char* expected : {"one", "two"}) {
    auto line = (*child)->readLine(10s);
    ASSERT_TRUE(line.ok()) << line.error().message;
    EXPECT_EQ(*line, expected);
  }
  auto end = (*child)->readLine(10s);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.error().kind, ErrorKind::kUnavailable);
}

TEST(ChildProcessTest, ReadLineTimesOutWhileTheChildIsSilent) {
  auto child = ChildProcess::spawn(shell("exec sleep 30"));
  ASSERT_TRUE(child.ok()) << child.error().message;
  auto line = (*child)->readLine(50ms);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ((*child)->terminate(5s), 128 + SIGTERM);
}

TEST(ChildProcessTest, WritesStderrToTheFileGiven) {
  TempDir dir;
  auto o = shell("echo oops >&2");
  o.stderr_path = dir.file("stderr.log");
  auto child = ChildProcess::spawn(o);
  ASSERT_TRUE(child.ok()) << child.error().message;
  EXPECT_EQ((*child)->wait(), 0);
  std::ifstream in(o.stderr_path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "oops\n");
}

TEST(ChildProcessTest, AProgramThatCannotBeExecutedIsAnErrorOfSpawnItself) {
  TempDir dir;
  SpawnOptions missing;
  missing.argv = {"/nonexistent/plugin"};
  auto m = ChildProcess::spawn(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind, ErrorKind::kUnavailable);
  EXPECT_THAT(m.error().message, HasSubstr("/nonexistent/plugin could not be started: No such file"));

  SpawnOptions not_executable;
  not_executable.argv = {dir.write("plain.txt", "not a program")};
  auto n = ChildProcess::spawn(not_executable);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, ErrorKind::kUnavailable);
  EXPECT_THAT(n.error().message, HasSubstr("Permission denied"));

  EXPECT_EQ(ChildProcess::spawn(SpawnOptions{}).error().kind, ErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace aar::kube
