// The Kubernetes adapters of the controller's ports (src/app/kube_ports.*) against the fake API server over
// real HTTPS on 127.0.0.1: what CacheRulesSource reports of the rules ConfigMap, and KubeAwsAuthStore's
// contract (controller/ports.hpp): which resourceVersions update() accepts, what it keeps of the object, that
// it returns what it wrote and decides nothing about echoes.
#include "app/kube_ports.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "kube/kube_fake_fixture.hpp"

namespace aar::app {
namespace {

using namespace std::chrono_literals;
using kube::testing::eventually;

class KubePortsTest : public kube::testing::FakeServerTest {
 protected:
  std::unique_ptr<kube::ConfigMapCache> startCache(const std::string& name) {
    kube::ConfigMapCacheOptions o;
    o.namespace_name = "kube-system";
    o.name = name;
    o.backoff_initial = 20ms;
    o.backoff_max = 200ms;
    auto cache = std::make_unique<kube::ConfigMapCache>(*rest_, o);
    cache->start();
    EXPECT_TRUE(cache->waitForSync(5s));
    return cache;
  }
  // Waits until the cache shows aws-auth at resourceVersion `rv`.
  bool cacheAt(kube::ConfigMapCache& cache, const std::string& rv) {
    return eventually([&] {
      auto got = cache.get();
      return got.ok() && got->has_value() && (*got)->resourceVersion() == rv;
    });
  }
  std::string serverRv(const std::string& name) {
    auto cm = server_.getConfigMap("kube-system", name);
    return cm ? (*cm)["metadata"]["resourceVersion"].get<std::string>() : "";
  }
  static core::ConfigMapContent content(const std::string& map_users) {
    core::ConfigMapContent c;
    c.data["mapUsers"] = map_users;
    c.annotations["aws-auth-refresher/managed-users"] = "v2:uid:";
    return c;
  }
};

TEST_F(KubePortsTest, CacheRulesSourceReportsEachKeyOfTheRulesConfigMap) {
  auto cache = startCache("aws-auth-refresher");
  CacheRulesSource source(*cache);
  auto missing = source.read();
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->state, controller::RulesSnapshot::State::kConfigMapMissing);

  putConfigMap("kube-system", "aws-auth-refresher", {{"other", "x"}});
  ASSERT_TRUE(eventually([&] {
    auto s = source.read();
    return s.ok() && s->state == controller::RulesSnapshot::State::kKeyMissing;
  }));

  putConfigMap("kube-system", "aws-auth-refresher", {{"mapRoles", "[]\n"}, {"accounts", "- roleArn: a\n"}});
  ASSERT_TRUE(eventually([&] {
    auto s = source.read();
    return s.ok() && s->state == controller::RulesSnapshot::State::kPresent;
  }));
  auto roles_only = source.read();
  EXPECT_FALSE(roles_only->text.map_users.has_value());
  EXPECT_EQ(roles_only->text.map_roles, "[]\n");
  EXPECT_EQ(roles_only->text.accounts, "- roleArn: a\n");
  EXPECT_EQ(roles_only->resource_version, serverRv("aws-auth-refresher"));

  putConfigMap("kube-system", "aws-auth-refresher", {{"mapUsers", "- arnRegex: x\n"}});
  ASSERT_TRUE(eventually([&] {
    auto s = source.read();
    return s.ok() && s->text.map_users == "- arnRegex: x\n";
  }));
  auto users_only = source.read();
  EXPECT_FALSE(users_only->text.map_roles.has_value());
  EXPECT_FALSE(users_only->text.accounts.has_value());
}

TEST_F(KubePortsTest, UpdateAtTheLastReadVersionKeepsEveryOtherFieldAndReturnsWhatItWrote) {
  server_.putConfigMap({{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata",
                         {{"name", "aws-auth"},
                          {"namespace", "kube-system"},
                          {"labels", {{"team", "platform"}}},
                          {"annotations", {{"note", "keep me"}}}}},
                        {"data", {{"mapRoles", "- rolearn: node\n"}}}});
  auto cache = startCache("aws-auth");
  kube::ConfigMapClient client(*rest_);
  KubeAwsAuthStore store(client, *cache, "kube-system", "aws-auth");
  auto read = store.read();
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->resource_version, serverRv("aws-auth"));
  EXPECT_FALSE((*read)->uid.empty());

  core::ConfigMapContent next = (*read)->content;
  next.data["mapUsers"] = "- userarn: a\n";
  next.annotations["aws-auth-refresher/managed-users"] = "v2:x:";
  auto written = store.update(next, (*read)->resource_version);
  ASSERT_TRUE(written.ok()) << written.error().toString();
  EXPECT_EQ(written->resource_version, serverRv("aws-auth"));
  EXPECT_NE(written->resource_version, (*read)->resource_version);
  EXPECT_EQ(written->content.data.at("mapUsers"), "- userarn: a\n");
  EXPECT_EQ(written->uid, (*read)->uid);
  auto on_server = server_.getConfigMap("kube-system", "aws-auth");
  ASSERT_TRUE(on_server);
  EXPECT_EQ((*on_server)["metadata"]["labels"]["team"], "platform");
  EXPECT_EQ((*on_server)["metadata"]["annotations"]["note"], "keep me");
  EXPECT_EQ((*on_server)["data"]["mapRoles"], "- rolearn: node\n");

  // The version it wrote is accepted too, without a read in between (the cache may lag behind our write).
  auto again = store.update(content("- userarn: b\n"), written->resource_version);
  ASSERT_TRUE(again.ok()) << again.error().toString();
  EXPECT_EQ((*server_.getConfigMap("kube-system", "aws-auth"))["metadata"]["labels"]["team"], "platform");
}

TEST_F(KubePortsTest, ReadShowsTheCacheAsItIsAndNeverSubstitutesOurWrite) {
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v1"}});
  auto cache = startCache("aws-auth");
  kube::ConfigMapClient client(*rest_);
  KubeAwsAuthStore store(client, *cache, "kube-system", "aws-auth");
  auto first = store.read();
  ASSERT_TRUE(first.ok() && first->has_value());
  auto written = store.update(content("v2"), (*first)->resource_version);
  ASSERT_TRUE(written.ok());
  // Whatever read() answers is an object the cache holds: either the version we wrote over or ours, and
  // each with its own content (the controller, not the store, decides what a lagging cache means).
  auto now = store.read();
  ASSERT_TRUE(now.ok() && now->has_value());
  if ((*now)->resource_version == (*first)->resource_version) {
    EXPECT_EQ((*now)->content.data.at("mapUsers"), "v1");
  } else {
    EXPECT_EQ((*now)->resource_version, written->resource_version);
  }
  ASSERT_TRUE(cacheAt(*cache, written->resource_version));
  auto caught_up = store.read();
  EXPECT_EQ((*caught_up)->content.data.at("mapUsers"), "v2");
}

TEST_F(KubePortsTest, UpdateRejectsAVersionItNeverSawAndAStaleOneConflicts) {
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "v1"}});
  auto cache = startCache("aws-auth");
  kube::ConfigMapClient client(*rest_);
  KubeAwsAuthStore store(client, *cache, "kube-system", "aws-auth");
  server_.clearRequests();
  auto never_read = store.update(content("x"), "12345");
  ASSERT_FALSE(never_read.ok());
  EXPECT_EQ(never_read.error().kind, ErrorKind::kInternal);
  EXPECT_EQ(server_.countRequests("update"), 0u);

  auto read = store.read();
  ASSERT_TRUE(read.ok() && read->has_value());
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "someone else"}});
  auto stale = store.update(content("x"), (*read)->resource_version);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().kind, ErrorKind::kConflict);
  EXPECT_EQ((*server_.getConfigMap("kube-system", "aws-auth"))["data"]["mapUsers"], "someone else");

  auto fresh = store.readFresh();  // straight from the server, the cache may still be behind
  ASSERT_TRUE(fresh.ok() && fresh->has_value());
  EXPECT_EQ((*fresh)->content.data.at("mapUsers"), "someone else");
  auto retried = store.update(content("x"), (*fresh)->resource_version);
  EXPECT_TRUE(retried.ok());
}

TEST_F(KubePortsTest, CreateReturnsTheObjectAndFailsWhenSomeoneCreatedItFirst) {
  auto cache = startCache("aws-auth");
  kube::ConfigMapClient client(*rest_);
  KubeAwsAuthStore store(client, *cache, "kube-system", "aws-auth");
  auto none = store.read();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto created = store.create(content("v1"));
  ASSERT_TRUE(created.ok()) << created.error().toString();
  EXPECT_EQ(created->resource_version, serverRv("aws-auth"));
  EXPECT_FALSE(created->uid.empty());
  // The created version is accepted by update() at once.
  EXPECT_TRUE(store.update(content("v2"), created->resource_version).ok());
  auto twice = store.create(content("v3"));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().kind, ErrorKind::kAlreadyExists);
}

}  // namespace
}  // namespace aar::app
