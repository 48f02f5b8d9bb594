// ShutdownSignals: turns SIGTERM and SIGINT into a callback on an ordinary thread.
//
// The constructor blocks both signals in the calling thread — call it in main's thread before any other
// thread starts, so every thread inherits the mask — and starts a thread that waits for them with
// a signalfd. On the first signal it runs on_signal (from that thread, where taking locks and cancelling
// requests is safe, unlike in a signal handler). The destructor ends the thread at once (through an eventfd
// the thread polls beside the signalfd), takes any signal still pending, and restores the mask.
//
// Thread-safety: construct and destroy on one thread; received() from any.
#pragma once

#include <atomic>
#include <csignal>
#include <functional>
#include <thread>

namespace aar::app {

class ShutdownSignals {
 public:
  explicit ShutdownSignals(std::function<void(int signal)> on_signal);
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  bool received() const { return received_.load(); }

 private:
  void waitForSignals();

  std::function<void(int)> on_signal_;
  sigset_t set_{};
  int signal_fd_ = -1;
  int wake_fd_ = -1;
  sigset_t old_{};
  std::atomic<bool> received_{false};
  std::thread thread_;
};

}  // namespace aar::app
