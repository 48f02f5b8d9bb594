#include "app/shutdown_signals.hpp"

#include <pthread.h>

#include <ctime>

namespace aar::app {

ShutdownSignals::ShutdownSignals(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
  thread_ = std::thread([this] {
    while (!done_.load()) {
      timespec timeout{0, 50 * 1000 * 1000};
      int sig = sigtimedwait(&set_, nullptr, &timeout);
      if (sig > 0 && !done_.load() && !received_.exchange(true)) on_signal_(sig);
    }
  });
}

ShutdownSignals::~ShutdownSignals() {
  done_ = true;
  if (thread_.joinable()) {
    // Wakes sigtimedwait now (the signal goes to that thread only and is ignored once done_ is set), rather
    // than at the end of its 50 ms timeout: that wait was the last 0-50 ms of every `run --once`.
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace aar::app
