// Kubernetes client benchmarks: watch decoding, watch throughput and update round trip over HTTPS on loopback
// (against the fake API server), and the memory the cache holds for a 1 MiB aws-auth.
//
//   build-*/bench/kube_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <memory>
#include <string>
#include <vector>

#include "fakes/kube/fake_api_server.hpp"
#include "kube/config_map_cache.hpp"
#include "kube/config_maps.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/rest_client.hpp"
#include "kube/watch.hpp"

namespace {

using aar::testing::kube::FakeApiServer;
using namespace aar::kube;

nlohmann::json configMapJson(const std::string& ns, const std::string& name, size_t value_bytes) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"resourceVersion", "12345"}, {"uid", "u"}}},
          {"data", {{"mapUsers", std::string(value_bytes, 'x')}}}};
}

std::unique_ptr<RestClient> clientFor(const FakeApiServer& server) {
  auto config = parseKubeconfig(server.kubeconfigYaml(), "/bench/kubeconfig", "");
  if (!config) throw std::runtime_error(config.error().message);
  auto rest = RestClient::create(*config);
  if (!rest) throw std::runtime_error(rest.error().message);
  // The fake's listener starts asynchronously.
  for (int i = 0; i < 500 && !(*rest)->get("/version").ok(); ++i) {
  }
  return std::move(*rest);
}

// Pure decoding: a stream of MODIFIED events of `state.range(0)` bytes each, fed in 16 KiB chunks.
void BM_WatchDecode(benchmark::State& state) {
  const size_t value_bytes = static_cast<size_t>(state.range(0));
  std::string stream;
  const int kEvents = 256;
  for (int i = 0; i < kEvents; ++i) {
    stream += nlohmann::json{{"type", "MODIFIED"}, {"object", configMapJson("ns", "cm", value_bytes)}}.dump();
    stream += '\n';
  }
  constexpr size_t kChunk = 16 * 1024;
  std::vector<WatchEvent> out;
  for (auto _ : state) {
    WatchDecoder decoder;
    out.clear();
    for (size_t off = 0; off < stream.size(); off += kChunk) {
      if (!decoder.feed(std::string_view(stream).substr(off, kChunk), &out))
        state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_WatchDecode)->Arg(256)->Arg(4096)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

// End to end: one watch of a namespace holding 1000 ConfigMaps of 1 KiB (ADDED events) over HTTPS on
// loopback.
void BM_WatchThroughputLoopback(benchmark::State& state) {
  FakeApiServer server;
  server.start();
  auto rest = clientFor(server);
  constexpr int kObjects = 1000;
  for (int i = 0; i < kObjects; ++i)
    server.putConfigMap(configMapJson("bench", "cm-" + std::to_string(i), 1024));
  for (auto _ : state) {
    int seen = 0;
    WatchOptions o;
    o.allow_bookmarks = false;
    aar::Status s =
        watchOnce(*rest, configMapPath("bench"), o, [&](const WatchEvent&) { return ++seen < kObjects; });
    if (!s || seen != kObjects) state.SkipWithError("watch failed");
  }
  state.SetItemsProcessed(state.iterations() * kObjects);
}
BENCHMARK(BM_WatchThroughputLoopback)->Unit(benchmark::kMillisecond)->UseRealTime();

// One optimistic update (PUT carrying resourceVersion) of aws-auth, `state.range(0)` bytes of mapUsers.
void BM_UpdateRoundTripLoopback(benchmark::State& state) {
  FakeApiServer server;
  server.start();
  auto rest = clientFor(server);
  ConfigMapClient client(*rest);
  server.putConfigMap(configMapJson("kube-system", "aws-auth", static_cast<size_t>(state.range(0))));
  auto current = client.get("kube-system", "aws-auth");
  if (!current) {
    state.SkipWithError("get failed");
    return;
  }
  ConfigMap cm = *current;
  int n = 0;
  for (auto _ : state) {
    cm.setAnnotation("bench", std::to_string(++n));
    auto written = client.update(cm);
    if (!written) {
      state.SkipWithError(written.error().message.c_str());
      break;
    }
    cm = std::move(*written);
  }
}
BENCHMARK(BM_UpdateRoundTripLoopback)->Arg(1024)->Arg(1 << 20)->Unit(benchmark::kMillisecond)->UseRealTime();

size_t heapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// Heap held while a cache of aws-auth (mapUsers of `state.range(0)` bytes) is synced and watching
// (heap_bytes_held: the object, the cache's own connection and thread, AND the in-process fake server's watch
// session, which this process also pays for), and the heap of the one copy of the object the cache keeps
// (object_heap_bytes, measured as the cost of one more copy taken with get()).
void BM_CacheMemoryForAwsAuth(benchmark::State& state) {
  FakeApiServer server;
  server.start();
  auto rest = clientFor(server);
  const size_t value_bytes = static_cast<size_t>(state.range(0));
  server.putConfigMap(configMapJson("kube-system", "aws-auth", value_bytes));
  double held = 0;
  double object_heap = 0;
  for (auto _ : state) {
    state.PauseTiming();
    malloc_trim(0);
    const size_t before = heapInUse();
    state.ResumeTiming();
    {
      ConfigMapCacheOptions o;
      o.namespace_name = "kube-system";
      o.name = "aws-auth";
      ConfigMapCache cache(*rest, o);
      cache.start();
      if (!cache.waitForSync(std::chrono::seconds(10))) state.SkipWithError("no sync");
      state.PauseTiming();
      held = static_cast<double>(heapInUse()) - static_cast<double>(before);
      const size_t before_copy = heapInUse();
      {
        auto copy = cache.get();
        object_heap = static_cast<double>(heapInUse()) - static_cast<double>(before_copy);
        benchmark::DoNotOptimize(copy);
      }
      state.ResumeTiming();
      cache.stop();
    }
  }
  state.counters["heap_bytes_held"] = held;
  state.counters["object_heap_bytes"] = object_heap;
  state.counters["mapUsers_bytes"] = static_cast<double>(value_bytes);
}
BENCHMARK(BM_CacheMemoryForAwsAuth)
    ->Arg(1000)
    ->Arg(1000 * 1000)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
