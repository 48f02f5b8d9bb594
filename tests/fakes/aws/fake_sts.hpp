// FakeSts: AWS STS AssumeRoleWithWebIdentity and AssumeRole on 127.0.0.1, as the Query API speaks it.
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
// AssumeRole (Action=AssumeRole&Version=2011-06-15&RoleArn&RoleSessionName[&DurationSeconds][&ExternalId]):
// the request must be SigV4-signed for service "sts" (any region) with credentials the FakeIam accepts
// (FakeIam::authenticate; without a FakeIam: 500). Errors: the FakeIam's signature errors (403
// InvalidClientTokenId, SignatureDoesNotMatch, ExpiredToken...); missing parameter → 400 MissingParameter;
// DurationSeconds outside 900..43200 → 400 ValidationError; a RoleArn that is no role ARN, a role denied with
// denyAssumeRole(), or an ExternalId other than requireExternalId() demands → 403 AccessDenied; failNext().
// Success: an AssumeRoleResponse whose credentials live DurationSeconds (default 3600) capped at
// Options::duration, registered with the FakeIam for the ROLE's account: IAM calls signed with them see that
// account's users, roles and groups. The role need not exist in the FakeIam.
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

class FakeSts {
 public:
  struct Options {
    std::string expected_token;     // the only web identity token accepted; "" accepts any non-empty one
    std::string expected_role_arn;  // "" accepts any role
    std::string account_id = "123456789012";
    std::chrono::seconds duration{3600};        // Default: 1 h, STS's default DurationSeconds
    base::Clock* clock = &base::systemClock();  // its wall time; never null
    FakeIam* iam = nullptr;                     // issued credentials are allowed there when set
  };

  struct LogEntry {
    std::string action;
    std::string role_arn;
    std::string role_session_name;
    bool token_present = false;
    int status = 0;
    std::string error_code;            // "" on success
    std::string access_key_id;         // issued, "" on failure
    std::string external_id;           // AssumeRole's ExternalId, "" when absent
    int duration_seconds = 0;          // AssumeRole's granted lifetime before the cap, 0 otherwise
    std::string caller_access_key_id;  // AssumeRole: who signed the request
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
  // AssumeRole into role_arn answers 403 AccessDenied while deny is true (cleared by clearFaults too).
  void denyAssumeRole(const std::string& role_arn, bool deny = true);
  // AssumeRole into role_arn requires this ExternalId ("" removes the requirement), as a trust policy's
  // sts:ExternalId condition does.
  void requireExternalId(const std::string& role_arn, const std::string& external_id);
  void clearFaults();

  std::vector<LogEntry> requests() const;
  std::vector<IssuedCredentials> issued() const;
  void clearLog();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aar::fakes
