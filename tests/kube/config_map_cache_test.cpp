// The watch-fed ConfigMap cache against the fake API server: sync, changes, resume, bookmarks, 410, drops,
// stop. The cache's backoffs run on a ManualClock: tests advance time instead of sleeping through them.
#include "kube/config_map_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>

#include "kube_fake_fixture.hpp"
#include "support/manual_clock.hpp"

namespace aar::kube {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

class ConfigMapCacheTest : public testing::FakeServerTest {
 protected:
  ConfigMapCacheOptions options(const std::string& name = "aws-auth") {
    ConfigMapCacheOptions o;
    o.namespace_name = "kube-system";
    o.name = name;
    o.backoff_initial = 20ms;
    o.backoff_max = 200ms;
    o.clock = &clock_;
    o.on_change = [this](const std::optional<ConfigMap>& cm) {
      std::lock_guard<std::mutex> lock(mu_);
      changes_.push_back(cm ? cm->dataValue("mapUsers").value_or("<none>") : "<deleted>");
    };
    return o;
  }

  std::vector<std::string> changes() {
    std::lock_guard<std::mutex> lock(mu_);
    return changes_;
  }

  std::string cachedMapUsers(const ConfigMapCache& cache) {
    auto got = cache.get();
    if (!got.ok() || !got->has_value()) return "<absent>";
    return (*got)->dataValue("mapUsers").value_or("<none>");
  }

  // Waits (in real time, bounded) for the first list. Not waitForSync(): on the manual clock its timeout
  // would never pass if the list failed.
  static bool synced(const ConfigMapCache& cache) {
    return eventually([&] { return cache.hasSynced(); });
  }

  // Polls `pred`, moving the manual clock by `step` between polls so that backoffs end.
  template <typename Pred>
  bool eventuallyAdvancing(Pred pred, std::chrono::milliseconds step = 200ms) {
    return eventually([&] {
      if (pred()) return true;
      clock_.advance(step);
      return false;
    });
  }

  aar::test::ManualClock clock_;
  std::mutex mu_;
  std::vector<std::string> changes_;
};

TEST_F(ConfigMapCacheTest, SyncsAndFollowsChangesFromMemory) {
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v1"}});
  putConfigMap("kube-system", "unrelated", {{"mapUsers", "x"}});
  ConfigMapCache cache(*rest_, options());
  EXPECT_EQ(cache.get().error().kind, ErrorKind::kUnavailable);
  cache.start();
  ASSERT_TRUE(synced(cache));
  EXPECT_EQ(cachedMapUsers(cache), "v1");
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v2"}});
  putConfigMap("kube-system", "unrelated", {{"mapUsers", "y"}});
  ASSERT_TRUE(eventually([&] { return cachedMapUsers(cache) == "v2"; }));
  EXPECT_EQ(changes(), (std::vector<std::string>{"v1", "v2"}));
  server_.clearRequests();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(cache.get().ok());
  EXPECT_EQ(server_.countRequests("get") + server_.countRequests("list"),
            0u);  // reads are served from memory
}

TEST_F(ConfigMapCacheTest, AMissingConfigMapIsAStateNotAnError) {
  ConfigMapCache cache(*rest_, options());
  cache.start();
  ASSERT_TRUE(synced(cache));
  auto got = cache.get();
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "created"}});
  ASSERT_TRUE(eventually([&] { return cachedMapUsers(cache) == "created"; }));
  server_.deleteConfigMap("kube-system", "aws-auth");
  ASSERT_TRUE(eventually([&] { return cachedMapUsers(cache) == "<absent>"; }));
  EXPECT_EQ(changes(), (std::vector<std::string>{"<deleted>", "created", "<deleted>"}));
}

TEST_F(ConfigMapCacheTest, ResumesFromTheLastResourceVersionAfterADroppedConnection) {
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v1"}});
  ConfigMapCache cache(*rest_, options());
  cache.start();
  ASSERT_TRUE(synced(cache));
  ASSERT_TRUE(eventually([&] { return server_.openWatches() == 1; }));
  server_.dropWatches();
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v2"}});  // written while we are disconnected
  // A dropped connection is a failure: the cache resumes after its backoff.
  ASSERT_TRUE(eventuallyAdvancing([&] { return cachedMapUsers(cache) == "v2"; }));
  EXPECT_EQ(cache.stats().lists, 1u);  // resumed, not re-listed
  EXPECT_GE(cache.stats().watches, 2u);
  const auto watches = [&] {
    std::vector<std::string> q;
    for (const auto& r : server_.requests()) {
      if (r.verb == "watch") q.push_back(r.query);
    }
    return q;
  }();
  ASSERT_GE(watches.size(), 2u);
  EXPECT_NE(watches[1].find("resourceVersion="), std::string::npos);
  EXPECT_NE(watches[1].find("allowWatchBookmarks=true"), std::string::npos);
  EXPECT_NE(watches[1].find("fieldSelector=metadata.name%3Daws-auth"), std::string::npos);
}

TEST_F(ConfigMapCacheTest, BookmarksAdvanceTheResourceVersion) {
  server_.setBookmarkInterval(50ms);
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v1"}});
  ConfigMapCache cache(*rest_, options());
  cache.start();
  ASSERT_TRUE(synced(cache));
  const std::string synced_rv = cache.resourceVersion();
  putConfigMap("kube-system", "unrelated", {{"x", "1"}});  // moves the global resourceVersion, not our object
  ASSERT_TRUE(
      eventually([&] { return cache.stats().bookmarks > 0 && cache.resourceVersion() != synced_rv; }));
  EXPECT_EQ(cache.resourceVersion(), std::to_string(server_.resourceVersion()));
  EXPECT_EQ(changes().size(), 1u);  // a bookmark is not a change
}

TEST_F(ConfigMapCacheTest, ListsAgainWhenTheResourceVersionIsTooOld) {
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v1"}});
  ConfigMapCache cache(*rest_, options());
  cache.start();
  ASSERT_TRUE(synced(cache));
  ASSERT_TRUE(eventually([&] { return server_.openWatches() == 1; }));
  // While we are disconnected the object changes and the server forgets the history we would resume from.
  server_.dropWatches();
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v2"}});
  server_.compact();
  ASSERT_TRUE(eventuallyAdvancing([&] { return cachedMapUsers(cache) == "v2"; }));
  EXPECT_TRUE(eventually([&] { return cache.stats().lists >= 2; }));
}

TEST_F(ConfigMapCacheTest, ReconnectsQuietlyWhenTheServerEndsTheWatch) {
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v1"}});
  ConfigMapCache cache(*rest_, options());
  cache.start();
  ASSERT_TRUE(synced(cache));
  ASSERT_TRUE(eventually([&] { return server_.openWatches() == 1; }));
  clock_.advance(5s);    // the watch has lasted long enough not to look like a server that ends every watch
  server_.endWatches();  // as the server does at timeoutSeconds
  ASSERT_TRUE(eventually([&] { return cache.stats().watches >= 2 && server_.openWatches() == 1; }));
  EXPECT_EQ(clock_.waiters(), 0u);  // resumed at once, no backoff
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v2"}});
  ASSERT_TRUE(eventually([&] { return cachedMapUsers(cache) == "v2"; }));
  EXPECT_EQ(cache.stats().failures, 0u);
  EXPECT_EQ(cache.stats().lists, 1u);
}

TEST_F(ConfigMapCacheTest, BacksOffWhenTheServerEndsAWatchAtOnceWithoutNews) {
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v1"}});
  ConfigMapCache cache(*rest_, options());
  cache.start();
  ASSERT_TRUE(synced(cache));
  ASSERT_TRUE(eventually([&] { return server_.openWatches() == 1; }));
  server_.endWatches();  // no time has passed on the cache's clock: a short, empty watch
  ASSERT_TRUE(eventually([&] { return clock_.waiters() == 1; }));
  EXPECT_EQ(cache.stats().watches, 1u);  // waiting out the backoff, not spinning
  clock_.advance(20ms);                  // backoff_initial
  ASSERT_TRUE(eventually([&] { return cache.stats().watches == 2; }));
  EXPECT_EQ(cache.stats().failures, 0u);  // a clean end is not a failure
  EXPECT_EQ(cache.stats().lists, 1u);
}

TEST_F(ConfigMapCacheTest, RetriesWithBackoffWhileTheServerIsDown) {
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v1"}});
  ConfigMapCache cache(*rest_, options());
  cache.start();
  ASSERT_TRUE(synced(cache));
  // The fixture's client is idle on a keep-alive connection, which the fake's stop() would wait out (1 s);
  // the cache has its own client (a fork), so this one can go.
  rest_.reset();
  server_.stop();
  // Each failure waits its backoff on the clock: the next attempt comes only once time moves.
  ASSERT_TRUE(eventually([&] { return cache.stats().failures == 1 && clock_.waiters() == 1; }));
  clock_.advance(19ms);
  EXPECT_EQ(cache.stats().failures, 1u);
  clock_.advance(1ms);  // 20 ms: backoff_initial
  ASSERT_TRUE(eventually([&] { return cache.stats().failures == 2 && clock_.waiters() == 1; }));
  clock_.advance(39ms);  // doubled: 40 ms
  EXPECT_EQ(cache.stats().failures, 2u);
  clock_.advance(1ms);
  ASSERT_TRUE(eventually([&] { return cache.stats().failures == 3 && clock_.waiters() == 1; }));
  EXPECT_EQ(cachedMapUsers(cache), "v1");  // the last known state stays readable
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v2"}});
  server_.start();
  ASSERT_TRUE(eventuallyAdvancing([&] { return cachedMapUsers(cache) == "v2"; }));
}

TEST_F(ConfigMapCacheTest, StopsWithinTwoSecondsAndLeavesTheClientUsable) {
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v1"}});
  ConfigMapCache cache(*rest_, options());
  cache.start();
  ASSERT_TRUE(synced(cache));
  ASSERT_TRUE(eventually([&] { return server_.openWatches() == 1; }));
  const auto start = std::chrono::steady_clock::now();
  cache.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(rest_->get(configMapPath("kube-system", "aws-auth")).ok());
}

}  // namespace
}  // namespace aar::kube
