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
#include "support/server_thread.hpp"

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

// Owns an httplib::Server and the thread that runs it: the shared one (tests/support). Routes are registered
// on server() before start().
using ServerThread = test::ServerThread;

}  // namespace aar::fakes
