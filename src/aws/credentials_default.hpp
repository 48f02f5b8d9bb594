// The default credentials provider, as every AWS SDK builds it:
//   Cached(Chain(Environment, Profile, WebIdentity, Container, Imds))
// Container and IMDS both sit in the chain: the container provider is unavailable unless its variables are
// set, so IMDS is only reached when they are not (the SDKs' "container or IMDS").
//
// Thread-safety: the returned provider may be called from any thread.
#pragma once

#include <memory>

#include "aws/credentials.hpp"
#include "aws/credentials_cache.hpp"
#include "aws/endpoints.hpp"
#include "base/clock.hpp"
#include "net/http_client.hpp"

namespace aar::aws {

// env: processEnv() in the app. http and clock must outlive the provider. clock: expiry, the web identity
// session name and every provider's retry backoff.
std::unique_ptr<CachedCredentialsProvider> makeDefaultCredentialsProvider(
    const EnvLookup& env, net::HttpClient& http, base::Clock& clock = base::systemClock());

}  // namespace aar::aws
