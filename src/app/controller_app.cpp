#include "app/controller_app.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <mutex>
#include <vector>

#include "app/aws_wiring.hpp"
#include "app/iam_identity_source.hpp"
#include "app/kube_ports.hpp"
#include "app/shutdown_signals.hpp"
#include "aws/endpoints.hpp"
#include "aws/iam_client.hpp"
#include "base/clock.hpp"
#include "controller/controller.hpp"
#include "controller/controller_metrics.hpp"
#include "controller/metrics_registry.hpp"
#include "kube/config.hpp"
#include "kube/config_map_cache.hpp"
#include "kube/config_maps.hpp"
#include "kube/event_recorder.hpp"
#include "kube/leader_election.hpp"
#include "kube/rest_client.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"

namespace aar::app {
namespace {

using namespace std::chrono_literals;

// What a signal must do, registered as the parts come to life; run once, on the signal thread.
class Shutdown {
 public:
  void add(std::function<void()> action) {
    std::lock_guard lock(mu_);
    if (requested_) {
      action();
      return;
    }
    actions_.push_back(std::move(action));
  }
  void request(int signal) {
    std::lock_guard lock(mu_);
    if (requested_) return;
    requested_ = true;
    spdlog::info("received {}; shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    for (auto& a : actions_) a();
    cv_.notify_all();
  }
  bool requested() const {
    std::lock_guard lock(mu_);
    return requested_;
  }
  // Waits up to d; true when shutdown was requested.
  bool waitFor(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, d, [&] { return requested_; });
  }
  // Forgets every action (their objects are about to be destroyed); waits for a running request() to end.
  void clear() {
    std::lock_guard lock(mu_);
    actions_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  std::vector<std::function<void()>> actions_;
};

// Waits until both caches have listed, the shutdown is requested, or (when limit > 0) the limit passes. With
// give_up_on_failure (--once), the first failed list ends the wait: a one-shot run whose read fails (a TLS
// certificate the CA did not sign, 401, 403, an unreachable server) exits 1 at once instead of retrying.
bool waitForCaches(kube::ConfigMapCache& a, kube::ConfigMapCache& b, Shutdown& shutdown,
                   std::chrono::milliseconds limit, bool give_up_on_failure) {
  auto start = std::chrono::steady_clock::now();
  auto next_warning = start + 10s;
  auto failed = [](const kube::ConfigMapCache& c) { return !c.hasSynced() && c.stats().failures > 0; };
  while (!(a.hasSynced() && b.hasSynced())) {
    if (shutdown.waitFor(20ms)) return false;
    if (give_up_on_failure && (failed(a) || failed(b))) return false;
    auto now = std::chrono::steady_clock::now();
    if (limit.count() > 0 && now - start >= limit) return false;
    if (now >= next_warning) {
      spdlog::warn("still waiting to read ConfigMaps {} and {} from the API server", a.describe(),
                   b.describe());
      next_warning = now + 10s;
    }
  }
  return true;
}

std::string codeLabel(int code) { return code == 0 ? "error" : std::to_string(code); }

}  // namespace

int runController(const RunOptions& o) {
  Shutdown shutdown;
  // Before any thread starts: every thread inherits the blocked mask, the signal thread takes the signals.
  ShutdownSignals signals([&shutdown](int sig) { shutdown.request(sig); });

  controller::MetricsRegistry registry;
  controller::ControllerMetrics metrics(registry, AAR_VERSION);

  // --- Kubernetes ---
  kube::LoadOptions load;
  load.kubeconfig_path = o.kubeconfig;
  load.context = o.context;
  auto config = kube::loadConnectionConfig(load);
  if (!config.ok()) {
    spdlog::error("cannot configure the Kubernetes connection: {}", config.error().toString());
    return 1;
  }
  spdlog::info(
      "aws-auth-refresher {} starting: Kubernetes API {} ({}); rules {}/{}, aws-auth {}/{}, every {}",
      AAR_VERSION, config->server, config->source, o.namespace_name, o.config_map, o.namespace_name,
      o.aws_auth_config_map, o.refresh_interval_text);
  kube::RestClientOptions rest_options;
  rest_options.user_agent = kube::userAgent(AAR_VERSION);
  rest_options.on_request = [&metrics](std::string_view method, int code) {
    metrics.kubeRequest(method, codeLabel(code));
  };
  auto rest_or = kube::RestClient::create(*config, rest_options);
  if (!rest_or.ok()) {
    spdlog::error("cannot create the Kubernetes client: {}", rest_or.error().toString());
    return 1;
  }
  std::unique_ptr<kube::RestClient> rest = std::move(rest_or.value());
  // aws-auth writes go through their own connection so that shutdown can cancel them and still release the
  // Lease. A leader that loses its Lease abandons an in-flight write (isLeader() turns false at the renew
  // deadline); the controller does not retry it (kCancelled).
  std::atomic<const kube::LeaderElector*> write_leader{nullptr};  // set once leader election starts
  std::shared_ptr<kube::RestClient> write_rest = rest->forkAbortable([&write_leader] {
    const kube::LeaderElector* e = write_leader.load();
    return e != nullptr && !e->isLeader();
  });
  kube::ConfigMapClient config_maps(*write_rest);

  // --- AWS ---
  auto aws = makeAwsClients(metrics);
  if (!aws.ok()) {
    spdlog::error("cannot configure AWS: {}", aws.error().toString());
    return 1;
  }
  IamIdentitySource identities(*aws.value()->iam);

  // --- Controller and its ports ---
  std::atomic<controller::Controller*> ctl{nullptr};
  kube::ConfigMapCacheOptions rules_cache_options;
  rules_cache_options.namespace_name = o.namespace_name;
  rules_cache_options.name = o.config_map;
  rules_cache_options.on_change = [&ctl](const std::optional<kube::ConfigMap>&) {
    if (auto* c = ctl.load()) c->rulesChanged();
  };
  kube::ConfigMapCache rules_cache(*rest, rules_cache_options);
  kube::ConfigMapCacheOptions aws_auth_cache_options;
  aws_auth_cache_options.namespace_name = o.namespace_name;
  aws_auth_cache_options.name = o.aws_auth_config_map;
  aws_auth_cache_options.on_change = [&ctl](const std::optional<kube::ConfigMap>& cm) {
    if (auto* c = ctl.load()) c->awsAuthObserved(cm ? std::optional(cm->content()) : std::nullopt);
  };
  kube::ConfigMapCache aws_auth_cache(*rest, aws_auth_cache_options);

  kube::EventRecorderOptions event_options;
  event_options.namespace_name = o.namespace_name;
  event_options.regarding = [&rules_cache, &o] {
    kube::EventRegarding r;
    r.namespace_name = o.namespace_name;
    r.name = o.config_map;
    if (auto cm = rules_cache.get(); cm.ok() && cm->has_value()) {
      r.uid = (*cm)->uid();
      r.resource_version = (*cm)->resourceVersion();
    }
    return r;
  };
  kube::EventRecorder recorder(*rest, event_options);
  // Events about aws-auth itself (its ownership record), so `kubectl describe configmap aws-auth` shows them.
  kube::EventRecorderOptions aws_auth_event_options = event_options;
  aws_auth_event_options.regarding = [&aws_auth_cache, &o] {
    kube::EventRegarding r;
    r.namespace_name = o.namespace_name;
    r.name = o.aws_auth_config_map;
    if (auto cm = aws_auth_cache.get(); cm.ok() && cm->has_value()) {
      r.uid = (*cm)->uid();
      r.resource_version = (*cm)->resourceVersion();
    }
    return r;
  };
  kube::EventRecorder aws_auth_recorder(*rest, aws_auth_event_options);

  CacheRulesSource rules(rules_cache);
  KubeAwsAuthStore store(config_maps, aws_auth_cache, o.namespace_name, o.aws_auth_config_map);
  RecorderEventSink events(recorder);
  RecorderEventSink aws_auth_events(aws_auth_recorder);

  std::unique_ptr<kube::LeaderElector> elector;
  const bool elect = o.leader_elect && !o.once;
  if (o.leader_elect && o.once) spdlog::warn("--leader-elect is ignored with --once");
  controller::ControllerOptions copts;
  copts.refresh_interval = o.refresh_interval;
  copts.dry_run = o.dry_run;
  copts.create_aws_auth = o.create_aws_auth;
  copts.adopt_matching_entries = o.adopt_matching_entries;
  copts.allow_mass_removal = o.allow_mass_removal;
  copts.dry_run_out = &std::cout;
  if (elect) {
    copts.may_write = [&elector] { return elector && elector->isLeader(); };
  }
  controller::Controller controller(
      controller::ControllerPorts{identities, rules, store, events, aws_auth_events, base::systemClock()},
      copts, &metrics);
  ctl = &controller;

  if (elect) {
    kube::LeaderElectionOptions le;
    le.namespace_name = o.leader_election_namespace;
    le.lease_name = o.leader_election_id;
    le.identity = kube::makeHolderIdentity(std::getenv("HOSTNAME") ? std::getenv("HOSTNAME") : "");
    le.on_started_leading = [&metrics, &controller] {
      spdlog::info("became the leader; reconciling");
      metrics.isLeader().set(1);
      controller.trigger("became the leader");
    };
    le.on_stopped_leading = [&metrics, &controller] {
      spdlog::warn("no longer the leader; not writing");
      metrics.isLeader().set(0);
      // A (skipped) cycle soon makes the controller forget what it remembers of aws-auth's ownership record.
      controller.trigger("lost leadership");
    };
    le.on_new_leader = [](const std::string& id) { spdlog::info("the leader is {}", id); };
    auto e = kube::LeaderElector::create(*rest, le);
    if (!e.ok()) {
      spdlog::error("leader election: {}", e.error().toString());
      return 1;
    }
    elector = std::move(e.value());
    write_leader = elector.get();
    spdlog::info("leader election on Lease {}/{} as {}", le.namespace_name, le.lease_name,
                 elector->identity());
  } else {
    metrics.isLeader().set(1);
  }

  // --- Probes and metrics ---
  auto ready = [&]() -> net::ServerResponse {
    if (controller.synced()) return {200, "text/plain; charset=utf-8", "ok\n"};
    if (elector && !elector->isLeader() && rules_cache.hasSynced() && aws_auth_cache.hasSynced()) {
      return {200, "text/plain; charset=utf-8", "ok (standby)\n"};
    }
    return {503, "text/plain; charset=utf-8", "not synced yet\n"};
  };
  // Liveness: a loop stuck in or before a cycle for longer than Controller::livenessWindow() is restarted.
  auto live = [&controller]() -> net::ServerResponse {
    auto l = controller.liveness();
    if (l.ok) return {200, "text/plain; charset=utf-8", "ok\n"};
    return {500, "text/plain; charset=utf-8", "stuck: " + l.reason + "\n"};
  };
  std::unique_ptr<net::HttpServer> metrics_server, health_server;
  if (!o.metrics_bind.disabled) {
    auto s = net::HttpServer::start(
        o.metrics_bind,
        {{"/metrics", [&registry] {
            return net::ServerResponse{200, controller::MetricsRegistry::kContentType, registry.renderText()};
          }}});
    if (!s.ok()) {
      spdlog::error("--metrics-bind-address: {}", s.error().toString());
      return 1;
    }
    metrics_server = std::move(s.value());
    spdlog::info("serving /metrics on {}:{}", o.metrics_bind.host, metrics_server->port());
  }
  if (!o.health_bind.disabled) {
    auto s = net::HttpServer::start(o.health_bind, {{"/healthz", live}, {"/readyz", ready}});
    if (!s.ok()) {
      spdlog::error("--health-probe-bind-address: {}", s.error().toString());
      return 1;
    }
    health_server = std::move(s.value());
    spdlog::info("serving /healthz and /readyz on {}:{}", o.health_bind.host, health_server->port());
  }

  shutdown.add([&] {
    controller.stop();
    aws.value()->cancel();
    write_rest->cancel();
  });

  rules_cache.start();
  aws_auth_cache.start();
  int exit_code = 0;
  bool synced = waitForCaches(rules_cache, aws_auth_cache, shutdown, o.once ? 30s : 0ms, o.once);
  if (!synced && !shutdown.requested()) {
    spdlog::error("could not read ConfigMaps {} and {} (see above); nothing was written",
                  rules_cache.describe(), aws_auth_cache.describe());
    exit_code = 1;
  } else if (synced && o.once) {
    auto report = controller.runCycle();
    exit_code = report.success || shutdown.requested() ? 0 : 1;
  } else if (synced) {
    if (elector) elector->start();
    controller.run();
  }

  // Orderly stop: no more cycles; cancel what is in flight; release the Lease; stop watching and serving.
  controller.stop();
  shutdown.clear();
  write_rest->cancel();
  aws.value()->cancel();
  if (elector) elector->stop();
  write_leader = nullptr;
  metrics.isLeader().set(0);
  rules_cache.stop();
  aws_auth_cache.stop();
  if (health_server) health_server->stop();
  if (metrics_server) metrics_server->stop();
  ctl = nullptr;
  spdlog::info("stopped");
  return exit_code;
}

}  // namespace aar::app
