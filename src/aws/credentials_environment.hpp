// EnvironmentCredentialsProvider: credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optionally)
// AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION, first in every SDK's chain.
//
// Not configured (neither key set) → kUnavailable, so a chain moves on. Half configured (one key without the
// other) → kInvalidArgument: as botocore's PartialCredentialsError, a chain stops there rather than silently
// using some other identity. A malformed AWS_CREDENTIAL_EXPIRATION → kInvalidArgument.
//
// Thread-safety: get() may be called from several threads if the EnvLookup may.
#pragma once

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"

namespace aar::aws {

class EnvironmentCredentialsProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentCredentialsProvider(EnvLookup env);
  Result<Credentials> get() override;
  const char* name() const override { return "environment"; }

 private:
  EnvLookup env_;
};

}  // namespace aar::aws
