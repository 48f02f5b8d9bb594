#include "net/thread_guard.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace aar::net {

void exitOnThreadFailure(std::string_view thread, std::string_view what) noexcept {
  try {
    spdlog::critical("thread {} failed: {}; exiting with code {}", thread, what, kThreadFailureExitCode);
    spdlog::default_logger_raw()->flush();
  } catch (...) {
    // The logger itself failed: say it the plainest way there is.
    constexpr char kLine[] = "aws-auth-refresher: a thread failed and the log could not say why; exiting\n";
    ssize_t ignored = ::write(STDERR_FILENO, kLine, sizeof kLine - 1);
    (void)ignored;
  }
  std::_Exit(kThreadFailureExitCode);
}

}  // namespace aar::net
