// FakeContainerCredentials: the ECS / EKS Pod Identity credentials endpoint on 127.0.0.1.
//
// GET <path> (default "/v1/credentials") with "Authorization: <expected>" → 200 and JSON {AccessKeyId,
// SecretAccessKey, Token, Expiration, RoleArn} valid for the configured duration from the injected clock; the
// credentials are registered with the FakeIam when one is given. No Authorization header → 401
// {"Code":"AccessDenied"}; a wrong one → 403 {"Code":"AccessDenied"}; another path → 404; failNext() → its
// status. When the expected authorization is "", any (or none) is accepted. The log never holds the header
// value.
//
// Thread-safety: every public method may be called from any thread while the server runs.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "aws/credentials.hpp"
#include "base/clock.hpp"
#include "fakes/aws/fake_issued_credentials.hpp"

namespace aar::fakes {

class FakeIam;

class FakeContainerCredentials {
 public:
  struct Options {
    std::string path = "/v1/credentials";
    std::string expected_authorization;
    std::chrono::seconds duration{3600};
    base::Clock* clock = &base::systemClock();  // its wall time; never null
    FakeIam* iam = nullptr;
  };
  struct LogEntry {
    std::string method;
    std::string path;
    bool authorization_present = false;
    int status = 0;
    std::string access_key_id;  // issued, "" on failure
  };

  FakeContainerCredentials();
  explicit FakeContainerCredentials(Options options);
  ~FakeContainerCredentials();
  FakeContainerCredentials(const FakeContainerCredentials&) = delete;
  FakeContainerCredentials& operator=(const FakeContainerCredentials&) = delete;

  int start();
  void stop();
  int port() const;
  std::string url() const;             // "http://127.0.0.1:<port>"
  std::string credentialsUrl() const;  // url() + path

  void setExpectedAuthorization(const std::string& value);
  void setDuration(std::chrono::seconds duration);
  void failNext(int n, int status);
  // The next n requests get 200 with a streamed, chunked JSON-looking body of `bytes` bytes.
  void hugeBodyNext(int n, size_t bytes);
  void clearFaults();

  std::vector<LogEntry> requests() const;
  std::vector<IssuedCredentials> issued() const;
  void clearLog();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aar::fakes
