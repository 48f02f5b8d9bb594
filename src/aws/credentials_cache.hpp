// CachedCredentialsProvider: keeps the credentials of an inner provider until they come close to expiring.
//
// - Long-term credentials (no expiration) are kept until invalidate().
// - Temporary credentials are refreshed once now >= expiration - refresh_before (default 5 minutes), with the
//   injected clock's wall time (base::Clock::wallNow()). If that refresh fails while the cached credentials
//   have not yet expired, the cached ones are returned (and a warning logged) and get() tries again once
//   retry_after_failure has passed; once they have expired the error is returned.
// - Concurrent callers share one fetch: one thread calls the inner provider while the others wait for its
//   result (mutex + condition variable); the inner provider is never called twice at once by the cache.
// - Each refresh calls the inner provider again, so token files are re-read (rotation).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "aws/credentials.hpp"
#include "base/clock.hpp"

namespace aar::aws {

struct CredentialsCacheOptions {
  base::Clock* clock = &base::systemClock();  // its wallNow() decides expiry. Never null.
  std::chrono::seconds refresh_before{300};   // Default: 5 minutes
  // After a failed refresh, while the cached credentials still work, wait this long before trying again, so a
  // failing STS is not asked once per IAM request. Default: 10 s.
  std::chrono::seconds retry_after_failure{10};
};

class CachedCredentialsProvider final : public CredentialsProvider {
 public:
  explicit CachedCredentialsProvider(std::unique_ptr<CredentialsProvider> inner,
                                     CredentialsCacheOptions options = {});
  Result<Credentials> get() override;
  const char* name() const override { return "cached"; }

  // Drops the cached credentials (e.g. after a service answered ExpiredToken); the next get() fetches.
  void invalidate();

 private:
  bool freshLocked(std::chrono::system_clock::time_point now) const;
  bool usableLocked(std::chrono::system_clock::time_point now) const;

  std::unique_ptr<CredentialsProvider> inner_;
  CredentialsCacheOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Credentials> cached_;  // guarded by mu_
  std::optional<Error> last_error_;    // result of the last fetch when it failed; guarded by mu_
  std::optional<std::chrono::system_clock::time_point>
      next_attempt_;              // after a failed refresh; guarded by mu_
  bool fetching_ = false;         // guarded by mu_
  std::uint64_t generation_ = 0;  // completed fetches; guarded by mu_
};

}  // namespace aar::aws
