// CachedCredentialsProvider: expiry, refresh window, failure fallback and one shared fetch, with an injected
// clock and a scripted inner provider.
#include "aws/credentials_cache.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <thread>

#include "aws/credentials_test_support.hpp"

namespace aar::aws {
namespace {

using namespace std::chrono_literals;
using testing::TestClock;

// Answers from a script (the last answer repeats), counting calls; can hold callers until released.
class ScriptedProvider : public CredentialsProvider {
 public:
  explicit ScriptedProvider(std::deque<Result<Credentials>> script) : script_(std::move(script)) {}
  Result<Credentials> get() override {
    std::unique_lock<std::mutex> lock(mu_);
    ++calls_;
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_; });
    --in_flight_;
    Result<Credentials> r = script_.front();
    if (script_.size() > 1) script_.pop_front();
    return r;
  }
  const char* name() const override { return "scripted"; }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  int maxInFlight() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_in_flight_;
  }
  void hold() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }
  bool waitForCall(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return calls_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Result<Credentials>> script_;
  int calls_ = 0, in_flight_ = 0, max_in_flight_ = 0;
  bool hold_ = false;
};

Credentials temporary(const std::string& akid, std::chrono::system_clock::time_point expiration) {
  return Credentials{akid, "secret-" + akid, "token-" + akid, expiration, "scripted"};
}

struct Fixture {
  explicit Fixture(std::deque<Result<Credentials>> script) {
    auto p = std::make_unique<ScriptedProvider>(std::move(script));
    inner = p.get();
    CredentialsCacheOptions o;
    o.clock = &clock;
    cache = std::make_unique<CachedCredentialsProvider>(std::move(p), o);
  }
  TestClock clock;
  ScriptedProvider* inner = nullptr;
  std::unique_ptr<CachedCredentialsProvider> cache;
};

TEST(CredentialsCacheTest, ReturnsCachedCredentialsUntilFiveMinutesBeforeExpiry) {
  TestClock c;
  Fixture f({temporary("ASIAONE", c.wallNow() + 1h), temporary("ASIATWO", c.wallNow() + 2h)});
  ASSERT_EQ(f.cache->get()->access_key_id, "ASIAONE");
  f.clock.advance(54min);
  EXPECT_EQ(f.cache->get()->access_key_id, "ASIAONE");
  EXPECT_EQ(f.inner->calls(), 1);
  f.clock.advance(1min);  // exactly 5 minutes before expiry: inside the window
  EXPECT_EQ(f.cache->get()->access_key_id, "ASIATWO");
  EXPECT_EQ(f.inner->calls(), 2);
}

TEST(CredentialsCacheTest, KeepsLongTermCredentialsUntilInvalidated) {
  Fixture f({Credentials{"AKIALONG", "s", "", std::nullopt, "scripted"}});
  ASSERT_TRUE(f.cache->get().ok());
  f.clock.advance(std::chrono::hours(24 * 365));
  ASSERT_TRUE(f.cache->get().ok());
  EXPECT_EQ(f.inner->calls(), 1);
  f.cache->invalidate();
  ASSERT_TRUE(f.cache->get().ok());
  EXPECT_EQ(f.inner->calls(), 2);
}

TEST(CredentialsCacheTest, KeepsUsingUnexpiredCredentialsWhenARefreshFails) {
  TestClock c;
  Fixture f({temporary("ASIAONE", c.wallNow() + 1h), makeError(ErrorKind::kServer, "sts down")});
  ASSERT_TRUE(f.cache->get().ok());
  f.clock.advance(57min);  // in the window, not expired
  auto during = f.cache->get();
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(during->access_key_id, "ASIAONE");
  EXPECT_EQ(f.inner->calls(), 2);
  EXPECT_TRUE(f.cache->get().ok());
  EXPECT_EQ(f.inner->calls(), 2) << "no new attempt within retry_after_failure";
  f.clock.advance(10s);
  EXPECT_TRUE(f.cache->get().ok());
  EXPECT_EQ(f.inner->calls(), 3) << "tries again once retry_after_failure has passed";
  f.clock.advance(3min);  // expired now
  auto after = f.cache->get();
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().kind, ErrorKind::kServer);
}

TEST(CredentialsCacheTest, ReturnsTheErrorWhenNothingIsCached) {
  Fixture f({makeError(ErrorKind::kUnavailable, "no AWS credentials: none")});
  auto r = f.cache->get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
  EXPECT_FALSE(f.cache->get().ok());
  EXPECT_EQ(f.inner->calls(), 2);  // failures are not cached
}

TEST(CredentialsCacheTest, ConcurrentCallersShareOneFetch) {
  TestClock c;
  Fixture f({temporary("ASIASHARED", c.wallNow() + 1h)});
  f.inner->hold();
  std::vector<std::thread> threads;
  std::vector<std::string> got(8);
  threads.emplace_back([&] { got[0] = f.cache->get()->access_key_id; });
  ASSERT_TRUE(f.inner->waitForCall(1));
  for (int i = 1; i < 8; ++i) threads.emplace_back([&, i] { got[i] = f.cache->get()->access_key_id; });
  std::this_thread::sleep_for(50ms);  // let the others reach the wait; correctness does not depend on it
  f.inner->release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(f.inner->calls(), 1);
  EXPECT_EQ(f.inner->maxInFlight(), 1);
  for (const auto& akid : got) EXPECT_EQ(akid, "ASIASHARED");
}

TEST(CredentialsCacheTest, ConcurrentCallersShareAFailedFetchToo) {
  Fixture f({makeError(ErrorKind::kServer, "boom")});
  f.inner->hold();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  threads.emplace_back([&] { failures += f.cache->get().ok() ? 0 : 1; });
  ASSERT_TRUE(f.inner->waitForCall(1));
  for (int i = 1; i < 4; ++i) threads.emplace_back([&] { failures += f.cache->get().ok() ? 0 : 1; });
  std::this_thread::sleep_for(50ms);
  f.inner->release();
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 4);
  EXPECT_EQ(f.inner->maxInFlight(), 1);
  EXPECT_LE(f.inner->calls(), 4);
}

}  // namespace
}  // namespace aar::aws
