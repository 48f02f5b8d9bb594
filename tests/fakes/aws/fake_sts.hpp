// FakeSts: AWS STS AssumeRoleWithWebIdentity on 127.0.0.1, as the Query API speaks it.
//
// POST / with a form body (Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn&RoleSessionName&
// WebIdentityToken; the query string is read too). Success: 200 and an AssumeRoleWithWebIdentityResponse in
// STS's namespace with Credentials {AccessKeyId, SecretAccessKey, SessionToken, Expiration} valid for the
// configured duration from the injected clock; the credentials are registered with the FakeIam (if one was
// given) through allowCredentials(). Errors are ErrorResponse documents with the codes STS uses:
//   missing parameter → 400 MissingParameter; wrong Action/Version → 400 InvalidAction;
//   token differs from the expected one → 400 InvalidIdentityToken; setTokenExpired(true) → 400
//   ExpiredTokenException; RoleArn not the expected one (when set) → 403 AccessDenied; failNext() → its
//   status and code. The request log never holds the token.
//
// Thread-safety: every public method may be called from any thread while the server runs.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "aws/credentials.hpp"
#include "fakes/aws/fake_issued_credentials.hpp"

namespace aar::fakes {

class FakeIam;

class FakeSts {
 public:
  struct Options {
    std::string expected_token;     // the only web identity token accepted; "" accepts any non-empty one
    std::string expected_role_arn;  // "" accepts any role
    std::string account_id = "123456789012";
    std::chrono::seconds duration{3600};  // Default: 1 h, STS's default DurationSeconds
    aws::WallClock clock;                 // Default: system clock
    FakeIam* iam = nullptr;               // issued credentials are allowed there when set
  };

  struct LogEntry {
    std::string action;
    std::string role_arn;
    std::string role_session_name;
    bool token_present = false;
    int status = 0;
    std::string error_code;     // "" on success
    std::string access_key_id;  // issued, "" on failure
  };

  FakeSts();
  explicit FakeSts(Options options);
  ~FakeSts();
  FakeSts(const FakeSts&) = delete;
  FakeSts& operator=(const FakeSts&) = delete;

  int start();  // the port, 0 on failure
  void stop();
  int port() const;
  std::string url() const;

  void setExpectedToken(const std::string& token);
  void setDuration(std::chrono::seconds duration);
  void setTokenExpired(bool expired);
  // The next n requests get `status` with error `code` (e.g. 503 ServiceUnavailable, 400
  // IDPCommunicationError).
  void failNext(int n, int status, const std::string& code);
  void clearFaults();

  std::vector<LogEntry> requests() const;
  std::vector<IssuedCredentials> issued() const;
  void clearLog();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aar::fakes
