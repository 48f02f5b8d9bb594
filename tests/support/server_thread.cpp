#include "support/server_thread.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

namespace aar::test {

ServerThread::ServerThread() : owned_(std::make_unique<httplib::Server>()), server_(owned_.get()) {
  server_->set_tcp_nodelay(true);
  server_->set_keep_alive_timeout(1);
}

ServerThread::ServerThread(std::unique_ptr<httplib::Server> server, int port)
    : owned_(std::move(server)), server_(owned_.get()) {
  startOrThrow(port);
}

ServerThread::ServerThread(httplib::Server& server, int port) : server_(&server) { startOrThrow(port); }

ServerThread::~ServerThread() { stop(); }

void ServerThread::startOrThrow(int port) {
  if (start(port) == 0) {
    throw std::runtime_error("ServerThread: cannot serve on 127.0.0.1:" + std::to_string(port));
  }
}

int ServerThread::start(int port) {
  if (thread_.joinable()) return port_;
  scheme_ = dynamic_cast<httplib::SSLServer*>(server_) != nullptr ? "https" : "http";
  if (port == 0) {
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return port_ = 0;
  } else {
    if (!server_->bind_to_port("127.0.0.1", port)) return port_ = 0;
    port_ = port;
  }
  httplib::Server* raw = server_;
  auto finished = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([raw, finished] {
    raw->listen_after_bind();
    finished->store(true);
  });
  // listen_after_bind() marks the server running first thing; it returns at once only if the socket is gone.
  // So this wait ends as soon as the thread is scheduled, and a later stop() cannot be lost.
  while (!raw->is_running() && !finished->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (finished->load() && !raw->is_running()) {
    thread_.join();
    return port_ = 0;
  }
  return port_;
}

std::string ServerThread::url(const std::string& path) const {
  return scheme_ + "://127.0.0.1:" + std::to_string(port_) + path;
}

void ServerThread::stop(const std::function<void()>& after_stop) {
  if (!thread_.joinable()) return;
  server_->stop();
  if (after_stop) after_stop();
  thread_.join();
}

}  // namespace aar::test
