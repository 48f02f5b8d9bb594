// Subprocess (the demo command's children): the child starts with a clean signal state and only the standard
// descriptors, whatever the parent's thread had blocked, ignored or left open.
#include "app/subprocess.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace aar::app {
namespace {

TEST(SubprocessTest, TheChildHasACleanSignalStateAndOnlyTheStandardDescriptors) {
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  pthread_sigmask(SIG_BLOCK, &block, &old_mask);
  const sighandler_t old_pipe = signal(SIGPIPE, SIG_IGN);
  const int leaked = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC, on purpose
  ASSERT_GE(leaked, 3);

  auto child = Subprocess::spawn({"/bin/sh", "-c",
                                  "grep -E '^Sig(Blk|Ign):' /proc/self/status | tr '\\n\\t' '  '; echo; echo "
                                  "fds:; ls /proc/$$/fd; echo end"},
                                 environmentWith({}));
  ::close(leaked);
  signal(SIGPIPE, old_pipe);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ASSERT_TRUE(child.ok()) << child.error().message;
  std::vector<std::string> lines;
  for (;;) {
    auto line = (*child)->readLine(std::chrono::seconds(10));
    ASSERT_TRUE(line.ok()) << line.error().message;
    if (*line == "end") break;
    lines.push_back(*line);
  }
  // grep reads its own status (what the shell passes on); ls lists the shell's descriptors from outside.
  EXPECT_EQ(lines, (std::vector<std::string>{"SigBlk: 0000000000000000 SigIgn: 0000000000000000 ",
                                             "fds:", "0", "1", "2"}));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!(*child)->poll() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ((*child)->poll(), std::optional<int>(0));
}

}  // namespace
}  // namespace aar::app
