// FakeIam: a faithful stand-in for the IAM Query API on 127.0.0.1, for tests and benchmarks.
//
// Speaks what the real service speaks: POST form bodies (Action=ListUsers&Version=2010-05-08...), XML
// responses in IAM's namespace and shapes (ListUsersResponse/ListUsersResult/Users/member, IsTruncated,
// Marker, ResponseMetadata/RequestId) and IAM's ErrorResponse documents. Every request's SigV4 signature is
// recomputed from the request as received and checked against a registry of allowed credentials:
//   unknown key or wrong/missing session token → 403 InvalidClientTokenId; wrong signature → 403
//   SignatureDoesNotMatch; expired credentials → 403 ExpiredToken; no Authorization → 403
//   MissingAuthenticationToken.
// Listing: ListUsers and ListRoles, sorted by name, honouring MaxItems (1..1000), Marker and PathPrefix;
// GetGroup (GroupName; the Group, then its member users sorted by name, paged the same way; 404 NoSuchEntity
// for an unknown group). A page cap emulates IAM returning fewer items than asked while IsTruncated stays
// true. Several accounts: each account id has its own users, roles and groups; credentials are registered for
// one account (default: Options::account_id) and every request sees that account's IAM, as credentials from
// STS AssumeRole into another account do (FakeSts registers them so). Every `account` parameter below: ""
// means the default account. Faults: throttle the
// next N requests (400 Throttling), fail page K with a status, delay every response, drop the connection of
// the next N requests mid-response, answer the next N listings with a huge streamed body.
//
// Thread-safety: every public method may be called from any thread while the server runs.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace httplib {
struct Request;
}

namespace aar::fakes {

class FakeIam {
 public:
  struct Options {
    std::string account_id = "123456789012";
    std::string signing_region = "us-east-1";  // the region requests must be signed for
  };

  // One request as the fake saw it.
  struct LogEntry {
    std::string action;       // "ListUsers", or "" when the body had none
    std::string marker;       // "" on a first page
    std::string path_prefix;  // "" when absent
    int max_items = 0;        // 0 when absent
    int page = 0;             // 1-based page of the listing this request asked for (0 if not a listing)
    int status = 0;           // HTTP status sent (0 when the connection was dropped)
    std::string error_code;   // IAM error code sent, "" on success
    std::string access_key_id;
    std::string group_name;  // GetGroup's GroupName, "" otherwise
    std::string account;     // whose IAM the request saw ("" when authentication failed)
  };

  // Why authenticate() refused a request: the HTTP status and the AWS error code and message to answer.
  struct AuthFailure {
    int status;
    std::string code;
    std::string message;
  };

  FakeIam();
  explicit FakeIam(Options options);
  ~FakeIam();  // stops the server
  FakeIam(const FakeIam&) = delete;
  FakeIam& operator=(const FakeIam&) = delete;

  // Binds 127.0.0.1 on an ephemeral port, starts serving HTTP, returns the port (0 on failure). Calling it
  // again while running returns the same port.
  int start();
  // The same over HTTPS with the given PEM server certificate and key (e.g. from tests/fakes/pki);
  // url() then says https. 0 on failure (bad PEM, no port).
  int startTls(const std::string& cert_pem, const std::string& key_pem);
  void stop();
  int port() const;
  std::string url() const;  // "http://127.0.0.1:<port>" (https after startTls)

  // Credentials the fake accepts. session_token "" for long-term keys; a non-empty one must be sent.
  // `account`: whose IAM requests signed with them see ("" = the default account).
  void allowCredentials(const std::string& access_key_id, const std::string& secret_access_key,
                        const std::string& session_token = "", const std::string& account = "");
  // Checks a request's SigV4 signature against the registered credentials, for another fake service (STS
  // AssumeRole) sharing this registry: service as in the credential scope ("sts"), region "" = any. On
  // success fills the caller's access key id and account and returns nullopt.
  std::optional<AuthFailure> authenticate(const httplib::Request& req, const std::string& service,
                                          const std::string& region, std::string* access_key_id,
                                          std::string* account);
  // The credentials registered for `access_key_id` (allowCredentials, or issued by FakeSts, the container
  // endpoint or IMDS sharing this registry), for another fake that accepts the same keys (FakeEks).
  struct Accepted {
    std::string secret_access_key;
    std::string session_token;
    bool expired = false;
  };
  std::optional<Accepted> acceptedCredentials(const std::string& access_key_id) const;
  const std::string& accountId() const;  // the default account
  // Requests signed with this key get 403 ExpiredToken from now on.
  void expireCredentials(const std::string& access_key_id);

  // The user store. path must start and end with '/'. Arn: arn:aws:iam::<account>:user<path><name>.
  void addUser(const std::string& name, const std::string& path = "/", const std::string& account = "");
  // Adds count users named <prefix>00000, <prefix>00001, ... (zero-padded to 5 digits).
  void addUsers(int count, const std::string& prefix, const std::string& path = "/",
                const std::string& account = "");
  // Also removes the user from every group. False when absent.
  bool removeUser(const std::string& name, const std::string& account = "");
  // Role ARN: arn:aws:iam::<account>:role<path><name>.
  void addRole(const std::string& name, const std::string& path = "/", const std::string& account = "");
  bool removeRole(const std::string& name, const std::string& account = "");
  // Creates the group (or changes its path), keeping its members.
  void addGroup(const std::string& group, const std::string& path = "/", const std::string& account = "");
  bool removeGroup(const std::string& group, const std::string& account = "");
  // False when the group or the user does not exist in that account.
  bool addGroupMember(const std::string& group, const std::string& user, const std::string& account = "");
  bool removeGroupMember(const std::string& group, const std::string& user, const std::string& account = "");
  size_t userCount(const std::string& account = "") const;
  std::string userArn(const std::string& name, const std::string& path = "/",
                      const std::string& account = "") const;
  std::string roleArn(const std::string& name, const std::string& path = "/",
                      const std::string& account = "") const;

  // At most this many items per page whatever MaxItems says (0: no cap). Default: 0.
  void setPageCap(int cap);
  // The next n requests get 400 Throttling (code may be any IAM/AWS throttling code).
  void throttleNext(int n, const std::string& code = "Throttling");
  // Requests for page `page` (1-based) of a listing get `status` (500 ServiceFailure, 503 ServiceUnavailable,
  // ...), `times` times (-1: always).
  void failPage(int page, int status = 500, int times = -1);
  // Requests with this Action (after authentication) get `status` with error `code`, `times` times (-1:
  // always). One action at a time; clearFaults() removes it.
  void failAction(const std::string& action, int status, const std::string& code, int times = -1);
  // Every response waits this long before it is written. Default: 0.
  void setDelay(std::chrono::milliseconds delay);
  // The next n requests have their connection closed after the headers, before the body.
  void dropNext(int n);
  // The next n listing requests that would succeed get 200 with a body of `bytes` bytes (an XML start, then
  // whitespace), streamed and never held in memory; chunked, or with that Content-Length when
  // announce_length. For "IAM or a proxy answers with an endless body".
  void hugeBodyNext(int n, size_t bytes, bool announce_length = false);
  // Restores the defaults of every fault above.
  void clearFaults();

  std::vector<LogEntry> requests() const;
  void clearLog();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aar::fakes
