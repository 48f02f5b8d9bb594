// AssumeRoleCredentialsProvider: temporary credentials for a role in another AWS account (rules v2
// `accounts`), from STS AssumeRole signed with the controller's own credentials.
//
// Request: POST to the STS endpoint (stsEndpoint(): AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL, else the
// regional https://sts.<region>.<suffix>, signed for its region) with the form body
// Action=AssumeRole&Version=2011-06-15&RoleArn&RoleSessionName=aws-auth-refresher&DurationSeconds=3600
// [&ExternalId], SigV4-signed for service "sts" with the source provider's credentials. Credentials
// {AccessKeyId, SecretAccessKey, SessionToken, Expiration} come from the XML answer.
//
// Retries: signedCall's (throttling, transient codes, 5xx, transport failures) on AssumeRoleOptions::retry,
// waiting through AssumeRoleOptions::clock. Errors carry STS's code, message and request id and the role
// ARN: AccessDenied → kForbidden, other 4xx by status (toError), a failed source → its error; never a key,
// secret or token (the external id is not a secret, but it is not logged either).
//
// makeAssumeRoleCredentialsProvider wraps the provider in a CachedCredentialsProvider on the same clock: the
// credentials are reused until 5 minutes before they expire; a failed refresh while they still work keeps
// them (see credentials_cache.hpp).
//
// Thread-safety: get() may run on several threads at once (each call is an independent request); the cached
// provider shares one fetch between concurrent callers.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"
#include "aws/retry.hpp"
#include "aws/signed_call.hpp"
#include "base/clock.hpp"
#include "net/http_client.hpp"

namespace aar::aws {

inline constexpr char kAssumeRoleSessionName[] = "aws-auth-refresher";

struct AssumeRoleOptions {
  std::string role_arn;                               // required
  std::string external_id;                            // Default: none (not sent)
  std::string session_name = kAssumeRoleSessionName;  // Default: "aws-auth-refresher"
  std::chrono::seconds duration{3600};                // Default: 1 h (DurationSeconds)
  std::chrono::milliseconds timeout{5000};            // Default: 5 s per attempt
  RetryPolicy retry;                                  // Default: 3 attempts, 100 ms base, 20 s cap
  base::Clock* clock = &base::systemClock();  // signing time, backoff sleeps, cache expiry. Never null.
  RandomFn random;                            // Default: defaultRandom()
  AwsRequestHook on_request;                  // Default: none. Operation "AssumeRole".
};

class AssumeRoleCredentialsProvider final : public CredentialsProvider {
 public:
  // http and source must outlive the provider. endpoint: from stsEndpoint().
  AssumeRoleCredentialsProvider(Endpoint endpoint, net::HttpClient& http, CredentialsProvider& source,
                                AssumeRoleOptions options);
  Result<Credentials> get() override;
  const char* name() const override { return "assume-role"; }

 private:
  Endpoint endpoint_;
  net::HttpClient& http_;
  CredentialsProvider& source_;
  AssumeRoleOptions options_;
  std::string url_, host_, path_;
};

// Cached(AssumeRole) for the STS endpoint of `env`. Error kInvalidArgument for an empty role ARN or a bad
// endpoint override.
Result<std::unique_ptr<CredentialsProvider>> makeAssumeRoleCredentialsProvider(const EnvLookup& env,
                                                                               net::HttpClient& http,
                                                                               CredentialsProvider& source,
                                                                               AssumeRoleOptions options);

// Reads Credentials out of an AssumeRoleResponse (any namespace). kParse when malformed.
Result<Credentials> parseAssumeRoleXml(std::string_view body);

}  // namespace aar::aws
