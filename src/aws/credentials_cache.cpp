#include "aws/credentials_cache.hpp"

#include <spdlog/spdlog.h>

#include "aws/credentials_util.hpp"

namespace aar::aws {

CachedCredentialsProvider::CachedCredentialsProvider(std::unique_ptr<CredentialsProvider> inner,
                                                     CredentialsCacheOptions options)
    : inner_(std::move(inner)), options_(options) {
  if (options_.clock == nullptr) options_.clock = &base::systemClock();
}

bool CachedCredentialsProvider::freshLocked(std::chrono::system_clock::time_point now) const {
  if (!cached_) return false;
  if (!cached_->expiration) return true;
  return now < *cached_->expiration - options_.refresh_before;
}

bool CachedCredentialsProvider::usableLocked(std::chrono::system_clock::time_point now) const {
  return cached_ && (!cached_->expiration || now < *cached_->expiration);
}

Result<Credentials> CachedCredentialsProvider::get() {
  std::unique_lock<std::mutex> lock(mu_);
  const auto start = options_.clock->wallNow();
  if (freshLocked(start)) return *cached_;
  if (next_attempt_ && start < *next_attempt_ && usableLocked(start)) return *cached_;

  if (fetching_) {
    // Another caller is fetching: take its result.
    const std::uint64_t gen = generation_;
    cv_.wait(lock, [&] { return generation_ != gen; });
    const auto now = options_.clock->wallNow();
    if (cached_ && (!last_error_ || usableLocked(now))) return *cached_;
    if (last_error_) return *last_error_;
    return makeError(ErrorKind::kUnavailable, "credentials: invalidated while being fetched");
  }

  fetching_ = true;
  lock.unlock();
  Result<Credentials> fetched = makeError(ErrorKind::kInternal, "credentials fetch threw");
  try {
    fetched = inner_->get();
  } catch (...) {
    // Providers return errors as values; this only keeps waiters from hanging on a bug.
  }
  lock.lock();
  fetching_ = false;
  ++generation_;
  if (fetched.ok()) {
    cached_ = fetched.value();
    last_error_.reset();
    next_attempt_.reset();
  } else {
    last_error_ = fetched.error();
    next_attempt_ = options_.clock->wallNow() + options_.retry_after_failure;
  }
  cv_.notify_all();
  if (fetched.ok()) {
    if (fetched->expiration) {
      spdlog::debug("credentials: refreshed from {}, valid until {}", fetched->provider,
                    formatIso8601(*fetched->expiration));
    } else {
      spdlog::debug("credentials: loaded long-term credentials from {}", fetched->provider);
    }
    return fetched;
  }
  if (usableLocked(options_.clock->wallNow())) {
    spdlog::warn("credentials: refresh failed, using the cached credentials until {}: {}",
                 formatIso8601(*cached_->expiration), fetched.error().toString());
    return *cached_;
  }
  return fetched;
}

void CachedCredentialsProvider::invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  cached_.reset();
  next_attempt_.reset();
}

}  // namespace aar::aws
