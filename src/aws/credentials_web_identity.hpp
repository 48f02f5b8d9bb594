// WebIdentityCredentialsProvider: IAM Roles for Service Accounts (IRSA), third in the chain.
//
// Configuration: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (both, or the provider is not configured),
// AWS_ROLE_SESSION_NAME (default "aws-auth-refresher-<unix millis>"). Each get() re-reads the token file (the
// kubelet rotates projected tokens) and calls STS AssumeRoleWithWebIdentity: an unsigned POST to the STS
// endpoint of the endpoints module (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, else the regional
// https://sts.<region>.<suffix>) with the form body Action=AssumeRoleWithWebIdentity&Version=2011-06-15&
// RoleArn&RoleSessionName&WebIdentityToken, and reads Credentials {AccessKeyId, SecretAccessKey,
// SessionToken, Expiration} from the XML answer.
//
// Outcomes: neither variable set → kUnavailable. One without the other, an unreadable or empty token file, a
// bad endpoint override → kInvalidArgument. STS errors: InvalidIdentityToken and ExpiredTokenException →
// kUnauthorized, AccessDenied → kForbidden, throttling → kTooManyRequests, 5xx → kServer; the message names
// the code, STS's message and request id, with the token removed should STS ever echo it. Transport failures,
// 5xx, throttling and IDPCommunicationError are retried on WebIdentityOptions::retry, backing off (jittered)
// between attempts. The token and the returned secret/session token never reach a log line or an error
// message.
//
// Thread-safety: get() may run on several threads at once (each call is an independent request).
#pragma once

#include <chrono>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "aws/retry.hpp"
#include "base/clock.hpp"
#include "net/http_client.hpp"

namespace aar::aws {

struct WebIdentityOptions {
  std::chrono::milliseconds timeout{5000};  // Default: 5 s per attempt
  // 5xx, throttling and IDPCommunicationError are retried on this policy: exponential backoff with full
  // jitter, as the SDKs.
  RetryPolicy retry{.max_attempts = 3};  // Default: 3 attempts, 100 ms base delay, 20 s cap
  // Sleeps the backoff; its wall time names the default session. Default: base::systemClock().
  base::Clock* clock = &base::systemClock();
  RandomFn random;  // the jitter, in [0, 1). Default: defaultRandom()
};

class WebIdentityCredentialsProvider final : public CredentialsProvider {
 public:
  // http must outlive the provider.
  WebIdentityCredentialsProvider(EnvLookup env, net::HttpClient& http, WebIdentityOptions options = {});
  Result<Credentials> get() override;
  const char* name() const override { return "web-identity"; }

 private:
  Result<Credentials> assumeRole(const std::string& url, const std::string& role_arn,
                                 const std::string& session_name, const std::string& token);

  EnvLookup env_;
  net::HttpClient& http_;
  WebIdentityOptions options_;
};

// Reads Credentials out of an <action>Response/<action>Result/Credentials document (any namespace), as STS
// answers AssumeRole and AssumeRoleWithWebIdentity; Credentials::provider = provider. kParse naming the
// provider when malformed or a field is missing; the message never holds the body.
Result<Credentials> parseStsCredentialsXml(std::string_view body, const std::string& action,
                                           const char* provider);

// Reads Credentials out of an AssumeRoleWithWebIdentityResponse (any namespace). kParse when malformed.
Result<Credentials> parseAssumeRoleWithWebIdentityXml(std::string_view body);

}  // namespace aar::aws
