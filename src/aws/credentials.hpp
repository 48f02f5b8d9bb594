// AWS credentials and the provider interface every source of them implements.
//
// One provider per file (environment, shared files, web identity, container, IMDS), composed by
// credentials_chain and credentials_cache; the default is Cached(Chain(Env, Profile, WebIdentity,
// Container-or-IMDS)).
//
// Secrets: Credentials never print their secret_access_key or session_token. Error messages and logs name
// the provider and the reason, never a key, token or file content.
//
// Thread-safety: providers are safe to call from several threads; the cache shares one fetch between
// concurrent callers.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace aar::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  // Absent for long-term keys; temporary credentials are refreshed at least 5 minutes before this.
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string provider;  // which provider produced them, e.g. "environment"; safe to log
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Credentials, or an error naming this provider and why it could not supply them (kUnavailable when the
  // provider is simply not configured, so a chain moves on; other kinds when it is configured but failed).
  virtual Result<Credentials> get() = 0;
  virtual const char* name() const = 0;
};

}  // namespace aar::aws
