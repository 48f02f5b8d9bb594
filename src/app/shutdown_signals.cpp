#include "app/shutdown_signals.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "net/thread_guard.hpp"

namespace aar::app {
namespace {

// The next pending signal from a non-blocking signalfd; 0 when none is pending.
int takeSignal(int signal_fd) {
  signalfd_siginfo info{};
  if (read(signal_fd, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) return 0;
  return static_cast<int>(info.ssi_signo);
}

}  // namespace

ShutdownSignals::ShutdownSignals(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
  signal_fd_ = signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (signal_fd_ < 0 || wake_fd_ < 0) {
    // Out of file descriptors: leave the signals to their default action (the process ends) rather than
    // block them with nothing to read them.
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    return;
  }
  thread_ = std::thread([this] { net::runGuarded("signal thread", [this] { waitForSignals(); }); });
}

void ShutdownSignals::waitForSignals() {
  pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    int ready = poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (fds[1].revents & POLLIN) != 0) return;  // destroyed (or poll broke: nothing to wait on)
    if ((fds[0].revents & POLLIN) == 0) continue;
    while (int sig = takeSignal(signal_fd_)) {
      if (!received_.exchange(true)) on_signal_(sig);
    }
  }
}

ShutdownSignals::~ShutdownSignals() {
  if (thread_.joinable()) {
    // Wakes the poll at once: waiting out a timeout here was the last 0-50 ms of every `run --once`.
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = write(wake_fd_, &one, sizeof one);  // fails only on overflow
    thread_.join();
  }
  if (signal_fd_ >= 0) {
    // Takes signals still pending, so that restoring the mask does not deliver them with their default action
    // (termination) while the program is already shutting down.
    while (takeSignal(signal_fd_) != 0) {
    }
    close(signal_fd_);
  }
  if (wake_fd_ >= 0) close(wake_fd_);
  if (signal_fd_ >= 0 && wake_fd_ >= 0) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace aar::app
