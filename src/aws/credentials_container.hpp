// ContainerCredentialsProvider: ECS task roles and EKS Pod Identity, fourth in the chain.
//
// Configuration, as the SDKs read it: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (wins; the URL is
// http://169.254.170.2 + the relative path) or AWS_CONTAINER_CREDENTIALS_FULL_URI. Authorization header:
// the content of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (wins; re-read on every get(), as EKS Pod Identity
// rotates it) or AWS_CONTAINER_AUTHORIZATION_TOKEN. Response: JSON {AccessKeyId, SecretAccessKey, Token,
// Expiration}.
//
// Allowed full URIs (as botocore and the Java/Go SDKs restrict them): any https:// URL; http:// only to a
// loopback host (127.0.0.0/8, [::1], "localhost" — names other than "localhost" are not resolved), the ECS
// endpoint 169.254.170.2 or the EKS Pod Identity endpoints 169.254.170.23 and [fd00:ec2::23]. Anything else
// is refused with kInvalidArgument before any request is sent.
//
// Outcomes: neither URI variable set → kUnavailable. A refused URI, an unreadable token file, a token with CR
// or LF → kInvalidArgument. Non-200 → kUnauthorized (401), kForbidden (403), kServer (5xx), else
// kInvalidArgument; the message has the status and the endpoint's error code, never the body. Transport
// failures and 5xx are retried on ContainerOptions::retry, backing off (jittered) between attempts.
//
// Thread-safety: get() may run on several threads at once.
#pragma once

#include <chrono>
#include <string>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "aws/retry.hpp"
#include "base/clock.hpp"
#include "net/http_client.hpp"

namespace aar::aws {

struct ContainerOptions {
  std::chrono::milliseconds timeout{2000};  // Default: 2 s per attempt
  // Transport failures and 5xx are retried on this policy: exponential backoff with full jitter, as the SDKs.
  RetryPolicy retry{.max_attempts = 2};       // Default: 2 attempts, 100 ms base delay, 20 s cap
  base::Clock* clock = &base::systemClock();  // sleeps the backoff. Default: base::systemClock()
  RandomFn random;                            // the jitter, in [0, 1). Default: defaultRandom()
  // Where AWS_CONTAINER_CREDENTIALS_RELATIVE_URI points. Default: http://169.254.170.2 (the ECS agent); tests
  // point it at a fake on 127.0.0.1.
  std::string relative_uri_base = "http://169.254.170.2";
};

class ContainerCredentialsProvider final : public CredentialsProvider {
 public:
  // http must outlive the provider.
  ContainerCredentialsProvider(EnvLookup env, net::HttpClient& http, ContainerOptions options = {});
  Result<Credentials> get() override;
  const char* name() const override { return "container"; }

 private:
  EnvLookup env_;
  net::HttpClient& http_;
  ContainerOptions options_;
};

// Whether a full URI may be used for container credentials (the rule above). Exposed for tests.
bool containerFullUriAllowed(std::string_view url);

}  // namespace aar::aws
