// FakeEks: a faithful stand-in for the Amazon EKS access-entry API on 127.0.0.1, for tests and benchmarks.
//
// Speaks what the real service speaks (botocore model eks/2017-11-01, copied in tests/data/aws-models/eks):
// REST-JSON, the operation given by method and path (GET /clusters/{name}, GET|POST /clusters/{name}/access-
// entries, GET|POST|DELETE /clusters/{name}/access-entries/{principalArn}, GET|POST .../access-policies,
// DELETE .../access-policies/{policyArn}), query members maxResults/nextToken/associatedPolicyArn, JSON
// bodies with the model's member names, timestamps as epoch seconds. The principal and policy ARNs travel as
// ONE percent-encoded path segment each (':' and '/' encoded); the fake routes on the raw request target, so
// an unencoded '/' in an ARN is a 404 as it would be on AWS. Errors: the model's status, the header
// "x-amzn-ErrorType: <Code>:http://internal.amazon.com/coral/com.amazonaws.eks/" and a body
// {"message": "..."}, which is how botocore's rest-json parser finds the code.
//
// Every request's SigV4 signature (service "eks", Options::signing_region) is recomputed from the request as
// received, with the path encoded once more as every service but S3 expects, and checked against the allowed
// credentials: unknown key or wrong session token → 403 UnrecognizedClientException; wrong signature → 403
// InvalidSignatureException; expired → 403 ExpiredTokenException; no Authorization → 403
// MissingAuthenticationTokenException.
//
// Behaviour modelled: the three authentication modes (access-entry operations in CONFIG_MAP mode →
// 400 InvalidRequestException); unknown cluster, entry, policy or association → 404
// ResourceNotFoundException; CreateAccessEntry: type STANDARD by default, an existing entry → 409
// ResourceInUseException (unless it repeats the clientRequestToken that made it: idempotent), more than
// Options::max_entries (3,000) entries → 400 ResourceLimitExceededException, kubernetesGroups "system:*" and
// usernames starting with system:, eks:, aws:, amazon: or iam: → 400 InvalidParameterException, username and
// groups refused for other types; paging with maxResults (1..100, default 100) and opaque nextTokens;
// AssociateAccessPolicy replaces the scope of an existing association.
//
// Faults: throttle the next N requests (400 ThrottlingException), fail the next N requests (of one operation,
// or any) with a status and code — e.g. 404 ResourceNotFoundException on AssociateAccessPolicy to emulate
// EKS's eventual consistency — and cap pages below maxResults.
//
// Thread-safety: every public method may be called from any thread while the server runs.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace httplib {
class Server;
}

namespace aar::fakes {

class FakeEks {
 public:
  struct Options {
    std::string account_id = "123456789012";
    std::string signing_region = "us-east-1";  // requests must be signed for this region, service "eks"
    int max_entries = 3000;                    // EKS's quota of access entries per cluster
  };

  struct Scope {
    std::string type;  // "cluster" or "namespace"
    std::vector<std::string> namespaces;
  };

  // An access entry as the fake stores it.
  struct Entry {
    std::string principal_arn;
    std::string type = "STANDARD";
    std::string username;  // "" → the default EKS derives from the principal
    std::vector<std::string> kubernetes_groups;
    std::map<std::string, std::string> tags;
    std::map<std::string, Scope> policies;  // by policy ARN
  };

  // One request as the fake saw it (never a secret or token).
  struct LogEntry {
    std::string operation;  // "ListAccessEntries", ...; "" when no route matched
    std::string method;
    std::string target;  // raw path and query, as on the request line
    std::string cluster;
    std::string principal_arn;  // decoded
    std::string policy_arn;     // decoded (DisassociateAccessPolicy, AssociateAccessPolicy)
    std::string next_token;
    int max_results = 0;  // 0 when absent
    bool mutating = false;
    std::string body;
    int status = 0;
    std::string error_code;  // "" on success
    std::string access_key_id;
  };

  FakeEks();
  explicit FakeEks(Options options);
  ~FakeEks();  // stops the server
  FakeEks(const FakeEks&) = delete;
  FakeEks& operator=(const FakeEks&) = delete;

  // Binds 127.0.0.1 on an ephemeral port and serves HTTP; returns the port (0 on failure).
  int start();
  // The same over HTTPS with a PEM certificate and key; 0 on failure.
  int startTls(const std::string& cert_pem, const std::string& key_pem);
  void stop();
  int port() const;
  std::string url() const;

  void allowCredentials(const std::string& access_key_id, const std::string& secret_access_key,
                        const std::string& session_token = "");
  void expireCredentials(const std::string& access_key_id);
  // Where to look up an access key id this fake was not given (nullopt: unknown), so that credentials issued
  // by the fake STS, container endpoint and IMDS (registered with FakeIam) sign EKS requests too; fake-aws
  // passes FakeIam::acceptedCredentials. Keys given to allowCredentials win. Default: none.
  struct SharedCredentials {
    std::string secret_access_key;
    std::string session_token;
    bool expired = false;
  };
  void setCredentialsFallback(
      std::function<std::optional<SharedCredentials>(const std::string& access_key_id)> lookup);

  // Clusters. mode: "CONFIG_MAP", "API_AND_CONFIG_MAP" or "API". addCluster replaces an existing one
  // (dropping its entries). setAuthenticationMode returns false for an unknown cluster or mode.
  void addCluster(const std::string& name, const std::string& mode = "API_AND_CONFIG_MAP");
  bool setAuthenticationMode(const std::string& cluster, const std::string& mode);

  // Puts an entry in place as someone else made it (a node role's EC2_LINUX entry, the cluster creator's
  // admin entry), bypassing validation and the quota. False for an unknown cluster.
  bool seedEntry(const std::string& cluster, const Entry& entry);
  // The entries of a cluster in principal ARN order (empty for an unknown cluster).
  std::vector<Entry> entries(const std::string& cluster) const;
  std::optional<Entry> entry(const std::string& cluster, const std::string& principal_arn) const;
  bool removeEntry(const std::string& cluster, const std::string& principal_arn);

  // The next n requests get 400 `code` (a throttling code).
  void throttleNext(int n, const std::string& code = "ThrottlingException");
  // The next n requests of `operation` ("" = any) get `status` with `code`.
  void failNext(int n, int status = 500, const std::string& code = "ServerException",
                const std::string& operation = "");
  // At most this many items per page whatever maxResults says (0: no cap).
  void setPageCap(int cap);
  // Makes every nextToken this fake hands out the same string (a broken server), for clients' loop guards.
  void setRepeatNextToken(bool repeat);
  void clearFaults();

  std::vector<LogEntry> requests() const;
  void clearLog();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Admin routes for the fake-aws binary, under /admin/eks (JSON):
//   POST   /admin/eks/clusters    {"name":"c","mode":"API"}                           → 201
//   POST   /admin/eks/mode        {"cluster":"c","mode":"API"}                        → 200 (404 unknown)
//   POST   /admin/eks/entries     {"cluster":"c","principalArn":"...","type":"EC2_LINUX","username":"...",
//                                  "kubernetesGroups":[...],"tags":{...}}            → 201 (seeds)
//   GET    /admin/eks/entries?cluster=c   {"entries":[{principalArn,type,username,kubernetesGroups,tags,
//                                                      policies:{arn:{type,namespaces}}}]}
//   POST   /admin/eks/credentials {"access_key_id":"...","secret_access_key":"...","session_token":""} → 201
//   POST   /admin/eks/faults      {"throttle_next":N,"throttle_code":"...","fail_next":N,"fail_status":500,
//                                  "fail_code":"ServerException","fail_operation":"","page_cap":N}    → 200
//   DELETE /admin/eks/faults      → 200
//   GET    /admin/eks/log         {"requests":[{operation,method,target,cluster,principal_arn,policy_arn,
//                                  next_token,max_results,mutating,status,error_code,access_key_id}]}
//   DELETE /admin/eks/log         → 200
void registerFakeEksAdmin(httplib::Server& admin, FakeEks& eks);

}  // namespace aar::fakes
