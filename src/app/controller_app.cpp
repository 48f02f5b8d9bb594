#include "app/controller_app.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <vector>

#include "app/access_entries_wiring.hpp"
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

// Plain constructors, not chrono literals: cppcheck cannot parse those.
constexpr std::chrono::seconds kStillWaitingWarningEvery{10};
constexpr std::chrono::milliseconds kCachePollEvery{20};
constexpr std::chrono::seconds kOnceSyncLimit{30};  // --once; the loop waits without limit

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
  auto next_warning = start + kStillWaitingWarningEvery;
  auto failed = [](const kube::ConfigMapCache& c) { return !c.hasSynced() && c.stats().failures > 0; };
  while (!(a.hasSynced() && b.hasSynced())) {
    if (shutdown.waitFor(kCachePollEvery)) return false;
    if (give_up_on_failure && (failed(a) || failed(b))) return false;
    auto now = std::chrono::steady_clock::now();
    if (limit.count() > 0 && now - start >= limit) return false;
    if (now >= next_warning) {
      spdlog::warn("still waiting to read ConfigMaps {} and {} from the API server", a.describe(),
                   b.describe());
      next_warning = now + kStillWaitingWarningEvery;
    }
  }
  return true;
}

std::string codeLabel(int code) { return code == 0 ? "error" : std::to_string(code); }

// The Kubernetes client the caches, Events and leader election share, after logging where it points.
Result<std::unique_ptr<kube::RestClient>> connectKubernetes(const RunOptions& o,
                                                            controller::ControllerMetrics& metrics) {
  kube::LoadOptions load;
  load.kubeconfig_path = o.kubeconfig;
  load.context = o.context;
  auto config = kube::loadConnectionConfig(load);
  if (!config.ok()) {
    spdlog::error("cannot configure the Kubernetes connection: {}", config.error().toString());
    return config.error();
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
  auto rest = kube::RestClient::create(*config, rest_options);
  if (!rest.ok()) spdlog::error("cannot create the Kubernetes client: {}", rest.error().toString());
  return rest;
}

using ControllerSlot = std::atomic<controller::Controller*>;

// A watch cache of one ConfigMap of o.namespace_name; `notify` tells the controller (once it exists).
std::unique_ptr<kube::ConfigMapCache> makeCache(
    kube::RestClient& rest, const std::string& namespace_name, const std::string& name, ControllerSlot& ctl,
    std::function<void(controller::Controller&, const std::optional<kube::ConfigMap>&)> notify) {
  kube::ConfigMapCacheOptions options;
  options.namespace_name = namespace_name;
  options.name = name;
  options.on_change = [&ctl, notify = std::move(notify)](const std::optional<kube::ConfigMap>& cm) {
    if (auto* c = ctl.load()) notify(*c, cm);
  };
  return std::make_unique<kube::ConfigMapCache>(rest, std::move(options));
}

// Events regarding ConfigMap namespace_name/name, with its uid and resourceVersion as the cache last saw
// them.
kube::EventRecorderOptions eventOptions(const std::string& namespace_name, const std::string& name,
                                        const kube::ConfigMapCache& cache) {
  kube::EventRecorderOptions options;
  options.namespace_name = namespace_name;
  options.regarding = [&cache, namespace_name, name] {
    kube::EventRegarding r;
    r.namespace_name = namespace_name;
    r.name = name;
    if (auto cm = cache.get(); cm.ok() && cm->has_value()) {
      r.uid = (*cm)->uid();
      r.resource_version = (*cm)->resourceVersion();
    }
    return r;
  };
  return options;
}

using LeaderSlot = std::atomic<const kube::LeaderElector*>;

// With leader election, only the leader published in `leader` may write.
controller::ControllerOptions controllerOptions(const RunOptions& o, bool elect, const LeaderSlot& leader) {
  controller::ControllerOptions copts;
  copts.refresh_interval = o.refresh_interval;
  copts.dry_run = o.dry_run;
  copts.create_aws_auth = o.create_aws_auth;
  copts.adopt_matching_entries = o.adopt_matching_entries;
  copts.allow_mass_removal = o.allow_mass_removal;
  copts.dry_run_out = &std::cout;
  // --backend was validated by validateRunOptions; aws-auth stays the default whatever happens here.
  if (auto backend = parseBackend(o.backend); backend.ok()) copts.backend = *backend;
  copts.owner_id = o.owner_id;
  copts.allow_cluster_admin_policy = o.allow_cluster_admin_policy;
  if (elect) {
    copts.may_write = [&leader] {
      const kube::LeaderElector* e = leader.load();
      return e != nullptr && e->isLeader();
    };
  }
  return copts;
}

// --backend access-entries | auto: the EKS client and the access-entry store (issue #13); null for aws-auth;
// nullopt (logged) when EKS cannot be configured.
std::optional<std::unique_ptr<EksParts>> eksFor(const RunOptions& o, AwsClients& aws,
                                                controller::ControllerMetrics& metrics) {
  if (o.backend == kBackendAwsAuth) return std::unique_ptr<EksParts>();
  auto parts = makeEksParts(o, *aws.credentials, aws::processEnv(), base::systemClock(), metrics);
  if (!parts.ok()) {
    spdlog::error("cannot configure EKS: {}", parts.error().toString());
    return std::nullopt;
  }
  spdlog::info("backend {}: EKS {}", o.backend, (*parts)->store->describe());
  return std::move(*parts);
}

// Leader election on the Lease named by the flags; leadership changes trigger a cycle and set the metric.
Result<std::unique_ptr<kube::LeaderElector>> makeElector(kube::RestClient& rest, const RunOptions& o,
                                                         controller::ControllerMetrics& metrics,
                                                         controller::Controller& controller) {
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
  auto e = kube::LeaderElector::create(rest, le);
  if (!e.ok()) {
    spdlog::error("leader election: {}", e.error().toString());
    return e.error();
  }
  spdlog::info("leader election on Lease {}/{} as {}", le.namespace_name, le.lease_name, (*e)->identity());
  return e;
}

// Owns the parts that run threads of their own (caches, leader elector, servers) and stops everything in
// order when it goes out of scope, on every way out of runController: no more cycles; cancel what is in
// flight; release the Lease; stop watching and serving. Declared after the objects it points to, so it ends
// first.
class RunningParts {
 public:
  RunningParts(controller::Controller& controller, ControllerSlot& ctl, Shutdown& shutdown,
               std::function<void()> cancel_in_flight, LeaderSlot& write_leader,
               controller::ControllerMetrics& metrics)
      : controller_(controller),
        ctl_(ctl),
        shutdown_(shutdown),
        cancel_in_flight_(std::move(cancel_in_flight)),
        write_leader_(write_leader),
        metrics_(metrics) {}
  RunningParts(const RunningParts&) = delete;
  RunningParts& operator=(const RunningParts&) = delete;
  ~RunningParts() {
    controller_.stop();
    shutdown_.clear();
    cancel_in_flight_();
    if (elector) elector->stop();
    write_leader_ = nullptr;
    metrics_.isLeader().set(0);
    if (rules_cache) rules_cache->stop();
    if (aws_auth_cache) aws_auth_cache->stop();
    if (health_server) health_server->stop();
    if (metrics_server) metrics_server->stop();
    ctl_ = nullptr;
  }

  std::unique_ptr<kube::ConfigMapCache> rules_cache, aws_auth_cache;
  std::unique_ptr<kube::LeaderElector> elector;
  std::unique_ptr<net::HttpServer> metrics_server, health_server;

 private:
  controller::Controller& controller_;
  ControllerSlot& ctl_;
  Shutdown& shutdown_;
  std::function<void()> cancel_in_flight_;
  LeaderSlot& write_leader_;
  controller::ControllerMetrics& metrics_;
};

// Serves /metrics and the probes (each unless disabled) into `parts`; false (logged) when a bind fails.
bool startServers(const RunOptions& o, const controller::MetricsRegistry& registry,
                  const controller::Controller& controller, RunningParts& parts) {
  auto ready = [&controller, &parts]() -> net::ServerResponse {
    if (controller.synced()) return {200, "text/plain; charset=utf-8", "ok\n"};
    if (parts.elector && !parts.elector->isLeader() && parts.rules_cache->hasSynced() &&
        parts.aws_auth_cache->hasSynced()) {
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
  if (!o.metrics_bind.disabled) {
    auto s = net::HttpServer::start(
        o.metrics_bind,
        {{"/metrics", [&registry] {
            return net::ServerResponse{200, controller::MetricsRegistry::kContentType, registry.renderText()};
          }}});
    if (!s.ok()) {
      spdlog::error("--metrics-bind-address: {}", s.error().toString());
      return false;
    }
    parts.metrics_server = std::move(s.value());
    spdlog::info("serving /metrics on {}:{}", o.metrics_bind.host, parts.metrics_server->port());
  }
  if (!o.health_bind.disabled) {
    auto s = net::HttpServer::start(o.health_bind, {{"/healthz", live}, {"/readyz", ready}});
    if (!s.ok()) {
      spdlog::error("--health-probe-bind-address: {}", s.error().toString());
      return false;
    }
    parts.health_server = std::move(s.value());
    spdlog::info("serving /healthz and /readyz on {}:{}", o.health_bind.host, parts.health_server->port());
  }
  return true;
}

// Leader election (unless `--once` or not asked for; published in `leader`) and the servers, into `parts`;
// false (logged) when one cannot start.
bool startParts(const RunOptions& o, kube::RestClient& rest, const controller::MetricsRegistry& registry,
                controller::ControllerMetrics& metrics, controller::Controller& controller,
                LeaderSlot& leader, RunningParts& parts) {
  if (o.leader_elect && !o.once) {
    auto e = makeElector(rest, o, metrics, controller);
    if (!e.ok()) return false;
    parts.elector = std::move(e.value());
    leader = parts.elector.get();
  } else {
    metrics.isLeader().set(1);
  }
  return startServers(o, registry, controller, parts);
}

// Starts watching, waits for both ConfigMaps, then runs one cycle (--once) or the loop until shutdown.
int runUntilStopped(const RunOptions& o, RunningParts& parts, controller::Controller& controller,
                    Shutdown& shutdown) {
  parts.rules_cache->start();
  parts.aws_auth_cache->start();
  bool synced = waitForCaches(*parts.rules_cache, *parts.aws_auth_cache, shutdown,
                              o.once ? kOnceSyncLimit : std::chrono::milliseconds(0), o.once);
  if (!synced && !shutdown.requested()) {
    spdlog::error("could not read ConfigMaps {} and {} (see above); nothing was written",
                  parts.rules_cache->describe(), parts.aws_auth_cache->describe());
    return 1;
  }
  if (synced && o.once) {
    auto report = controller.runCycle();
    return report.success || shutdown.requested() ? 0 : 1;
  }
  if (synced) {
    if (parts.elector) parts.elector->start();
    controller.run();
  }
  return 0;
}

}  // namespace

int runController(const RunOptions& o) {
  Shutdown shutdown;
  // Before any thread starts: every thread inherits the blocked mask, the signal thread takes the signals.
  ShutdownSignals signals([&shutdown](int sig) { shutdown.request(sig); });

  controller::MetricsRegistry registry;
  controller::ControllerMetrics metrics(registry, AAR_VERSION);

  auto rest = connectKubernetes(o, metrics);
  if (!rest.ok()) return 1;
  // aws-auth writes go through their own connection so that shutdown can cancel them and still release the
  // Lease. A leader that loses its Lease abandons an in-flight write (isLeader() turns false at the renew
  // deadline); the controller does not retry it (kCancelled).
  LeaderSlot write_leader{nullptr};  // set once leader election starts
  std::shared_ptr<kube::RestClient> write_rest = (*rest)->forkAbortable([&write_leader] {
    const kube::LeaderElector* e = write_leader.load();
    return e != nullptr && !e->isLeader();
  });
  kube::ConfigMapClient config_maps(*write_rest);

  auto aws = makeAwsClients(metrics);
  if (!aws.ok()) {
    spdlog::error("cannot configure AWS: {}", aws.error().toString());
    return 1;
  }
  IamIdentitySource identities(*aws.value()->iam, makeAssumeRoleAccountFactory(**aws, metrics));
  auto eks_parts = eksFor(o, *aws.value(), metrics);
  if (!eks_parts) return 1;
  std::unique_ptr<EksParts> eks = std::move(*eks_parts);

  // --- Controller and its ports ---
  ControllerSlot ctl{nullptr};
  auto rules_cache = makeCache(**rest, o.namespace_name, o.config_map, ctl,
                               [](controller::Controller& c, const auto&) { c.rulesChanged(); });
  auto aws_auth_cache = makeCache(**rest, o.namespace_name, o.aws_auth_config_map, ctl,
                                  [](controller::Controller& c, const std::optional<kube::ConfigMap>& cm) {
                                    c.awsAuthObserved(cm ? std::optional(cm->content()) : std::nullopt);
                                  });
  kube::EventRecorder recorder(**rest, eventOptions(o.namespace_name, o.config_map, *rules_cache));
  // Events about aws-auth itself (its ownership record), so `kubectl describe configmap aws-auth` shows them.
  kube::EventRecorder aws_auth_recorder(
      **rest, eventOptions(o.namespace_name, o.aws_auth_config_map, *aws_auth_cache));

  CacheRulesSource rules(*rules_cache);
  KubeAwsAuthStore store(config_maps, *aws_auth_cache, o.namespace_name, o.aws_auth_config_map);
  RecorderEventSink events(recorder);
  RecorderEventSink aws_auth_events(aws_auth_recorder);

  const bool elect = o.leader_elect && !o.once;
  if (o.leader_elect && o.once) spdlog::warn("--leader-elect is ignored with --once");
  controller::ControllerOptions copts = controllerOptions(o, elect, write_leader);
  controller::Controller controller(
      controller::ControllerPorts{identities, rules, store, events, aws_auth_events, base::systemClock(),
                                  eks ? eks->store.get() : nullptr},
      copts, &metrics);
  ctl = &controller;

  int exit_code = 0;
  {
    RunningParts parts(
        controller, ctl, shutdown,
        [&] {
          write_rest->cancel();
          aws.value()->cancel();
          if (eks) eks->cancel();
        },
        write_leader, metrics);
    parts.rules_cache = std::move(rules_cache);
    parts.aws_auth_cache = std::move(aws_auth_cache);
    if (!startParts(o, **rest, registry, metrics, controller, write_leader, parts)) return 1;
    shutdown.add([&] {
      controller.stop();
      aws.value()->cancel();
      if (eks) eks->cancel();
      write_rest->cancel();
    });
    exit_code = runUntilStopped(o, parts, controller, shutdown);
  }  // ~RunningParts: the orderly stop
  spdlog::info("stopped");
  return exit_code;
}

}  // namespace aar::app
