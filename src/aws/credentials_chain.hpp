// ChainCredentialsProvider: asks each provider in order and returns the first credentials found.
//
// Rule (as botocore and the Go/Java SDKs behave): a provider that answers kUnavailable is not configured, and
// the chain moves on; a provider that is configured but fails (any other error kind: half-set environment,
// STS refusing the token, a container endpoint answering 403) stops the chain with that error. Falling
// through to the next provider would silently run as a different identity, which for this controller could
// change who gets into the cluster. The error then lists every provider tried and why each did not answer:
//   "no AWS credentials: environment: ... not set; profile: ...; web-identity: STS ... InvalidIdentityToken
//   ..."
// Its kind is the failing provider's kind, or kUnavailable when none was configured.
//
// Thread-safety: get() is as thread-safe as the providers (all of ours are).
#pragma once

#include <memory>
#include <vector>

#include "aws/credentials.hpp"

namespace aar::aws {

class ChainCredentialsProvider final : public CredentialsProvider {
 public:
  explicit ChainCredentialsProvider(std::vector<std::unique_ptr<CredentialsProvider>> providers);
  Result<Credentials> get() override;
  const char* name() const override { return "chain"; }

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
};

}  // namespace aar::aws
