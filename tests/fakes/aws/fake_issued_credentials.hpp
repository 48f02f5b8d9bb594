// What the credential-serving fakes (FakeSts, FakeContainerCredentials, FakeImds) share: minting temporary
// credentials, and running a cpp-httplib server on 127.0.0.1:<ephemeral> on its own thread.
//
// Thread-safety: issueCredentials() is safe from any thread. ServerThread: start/stop from one thread.
#pragma once

#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "aws/credentials.hpp"

namespace aar::fakes {

struct IssuedCredentials {
  std::string access_key_id;  // "ASIA" + 16 upper-case letters and digits
  std::string secret_access_key;
  std::string session_token;
  std::chrono::system_clock::time_point expiration;
};

// Fresh random temporary credentials valid for `duration` from `now`.
IssuedCredentials issueCredentials(std::chrono::system_clock::time_point now, std::chrono::seconds duration);

// A random id of `length` characters from [A-Z0-9] (request ids, IMDS tokens...).
std::string randomId(size_t length);

// Owns an httplib::Server and the thread that runs it. Routes are registered on server() before start().
class ServerThread {
 public:
  ServerThread();
  ~ServerThread();  // stops
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  httplib::Server& server() { return *server_; }
  // Binds 127.0.0.1 on an ephemeral port and serves; the port, 0 on failure. Idempotent.
  int start();
  void stop();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace aar::fakes
