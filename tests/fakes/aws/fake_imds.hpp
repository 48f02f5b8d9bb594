// FakeImds: the EC2 instance metadata service, IMDSv2 only, on 127.0.0.1.
//
//   PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds in 1..21600 → 200, a session token
//     (missing or bad TTL → 400; a request carrying X-Forwarded-For → 403, as IMDS refuses proxied PUTs).
//   GET /latest/meta-data/iam/security-credentials/ → the role name; GET .../<role> → JSON {Code: "Success",
//     LastUpdated, Type: "AWS-HMAC", AccessKeyId, SecretAccessKey, Token, Expiration}. No role → 404.
//   Any GET without a valid X-aws-ec2-metadata-token → 401 (IMDSv1 is disabled, as on hardened instances).
// Credentials last the configured duration from the injected clock and are registered with the FakeIam when
// one is given. The log never holds a token.
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

class FakeImds {
 public:
  struct Options {
    std::string role_name = "aws-auth-refresher-node";  // "" → the instance has no role
    std::chrono::seconds duration{3600};
    base::Clock* clock = &base::systemClock();  // its wall time; never null
    FakeIam* iam = nullptr;
  };
  struct LogEntry {
    std::string method;
    std::string path;
    bool token_present = false;
    int status = 0;
    std::string access_key_id;  // issued, "" otherwise
  };

  FakeImds();
  explicit FakeImds(Options options);
  ~FakeImds();
  FakeImds(const FakeImds&) = delete;
  FakeImds& operator=(const FakeImds&) = delete;

  int start();
  void stop();
  int port() const;
  std::string url() const;

  void setRoleName(const std::string& role);
  void setDuration(std::chrono::seconds duration);
  // The next n requests (any path) get `status`.
  void failNext(int n, int status);
  // The next n requests wait `delay` before answering (to drive client timeouts).
  void delayNext(int n, std::chrono::milliseconds delay);
  // The next n requests (any path) get 200 with a streamed, chunked body of `bytes` bytes.
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
