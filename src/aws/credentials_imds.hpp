// ImdsCredentialsProvider: the EC2 instance role through IMDSv2, last in the chain.
//
// Protocol: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds → a session token; then, with
// X-aws-ec2-metadata-token, GET /latest/meta-data/iam/security-credentials/ → the role name (first line), and
// GET /latest/meta-data/iam/security-credentials/<role> → JSON {Code, AccessKeyId, SecretAccessKey, Token,
// Expiration}. Endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT, default http://169.254.169.254.
// AWS_EC2_METADATA_DISABLED=true (any case) turns the provider off. Each request: ImdsOptions::timeout
// (default 1 s) and ImdsOptions::retry (default 2 attempts, jittered backoff) for transport failures and 5xx.
//
// Not implemented, on purpose: the IMDSv1 fallback (a GET without token when the PUT is refused) and
// AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 (set AWS_EC2_METADATA_SERVICE_ENDPOINT instead).
//
// Outcomes: disabled, no metadata service reachable (transport failure or timeout on the token PUT), or no
// instance role (404 on the listing) → kUnavailable. A refused token PUT, an unexpected status or a malformed
// document → an error of the matching kind. The IMDS session token is never logged.
//
// Thread-safety: get() may run on several threads at once.
#pragma once

#include <chrono>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "aws/retry.hpp"
#include "base/clock.hpp"
#include "net/http_client.hpp"

namespace aar::aws {

struct ImdsOptions {
  std::chrono::milliseconds timeout{1000};  // Default: 1 s per request
  // Transport failures and 5xx are retried on this policy: exponential backoff with full jitter, as the SDKs.
  RetryPolicy retry{.max_attempts = 2};       // Default: 2 attempts (one retry), 100 ms base delay, 20 s cap
  base::Clock* clock = &base::systemClock();  // sleeps the backoff. Default: base::systemClock()
  RandomFn random;                            // the jitter, in [0, 1). Default: defaultRandom()
  int token_ttl_seconds = 21600;              // Default: 6 h, IMDS's maximum
};

class ImdsCredentialsProvider final : public CredentialsProvider {
 public:
  // http must outlive the provider.
  ImdsCredentialsProvider(EnvLookup env, net::HttpClient& http, ImdsOptions options = {});
  Result<Credentials> get() override;
  const char* name() const override { return "imds"; }

 private:
  // One request with retries on transport failures and 5xx.
  Result<net::HttpResponse> send(const net::HttpRequest& request);

  EnvLookup env_;
  net::HttpClient& http_;
  ImdsOptions options_;
};

}  // namespace aar::aws
