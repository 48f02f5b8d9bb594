// FakeApiServer: an in-process Kubernetes API server for tests, over real HTTPS on 127.0.0.1.
//
// What it serves (see object_store.hpp for the storage semantics):
// - core/v1 ConfigMaps and Events, coordination.k8s.io/v1 Leases, events.k8s.io/v1 Events, in any namespace:
//   get, list, watch, create, update, patch, delete. Paths as on a real server:
//   /api/v1/namespaces/{ns}/configmaps[/{name}], /api/v1/configmaps (all namespaces, list/watch),
//   /apis/coordination.k8s.io/v1/namespaces/{ns}/leases[/{name}],
//   /apis/events.k8s.io/v1/namespaces/{ns}/events, /api/v1/watch/namespaces/{ns}/configmaps (legacy watch
//   path), GET /api/v1/namespaces/{ns} (always Active). Query: watch=1|true, resourceVersion,
//   resourceVersionMatch, timeoutSeconds, allowWatchBookmarks, fieldSelector, labelSelector, dryRun=All;
//   anything else (fieldManager, fieldValidation, limit) is ignored.
// - Watches: HTTP 200, chunked, one JSON event per line: {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR",
//   "object":{...}}. A too-old resourceVersion gives an ERROR event carrying a 410 Expired Status, then the
//   end of the stream. BOOKMARK events (only with allowWatchBookmarks=true) every Options::bookmark_interval
//   carry only kind, apiVersion and metadata.resourceVersion. timeoutSeconds ends the stream cleanly.
// - Discovery (/api, /api/v1, /apis, /apis/{group}[/v1], /version) so kubectl get/create/apply/delete work.
//   /openapi/v3 is a minimal document (see discovery.hpp) that lets `kubectl apply` work without
//   --validate=false; /openapi/v2 answers 404. Server-side apply (application/apply-patch+yaml) is 415.
// - Authentication: "Authorization: Bearer <token>" with a token from Options::tokens, or a client
//   certificate signed by the server's CA (user = its CN). Anything else: 401 with an Unauthorized Status.
// - Every request is logged (RequestRecord) for assertions such as "no write when nothing changed".
// - Faults: failNext() (status per verb/resource), dropWatches(), setResponseDelay(), and stop()/start()
//   to be unreachable and come back on the same port.
//
// Not implemented (real servers do these): server-side apply, protobuf, pagination (limit is ignored and
// every item is returned without a continue token), deletecollection, subresources, namespaces as objects
// (any namespace exists), authorization (every authenticated user may do anything), managedFields,
// metadata.generation, Table output (kubectl falls back to NAME/AGE), and one storage shared by the two
// Event groups (core/v1 and events.k8s.io/v1 Events are stored apart). A list with
// resourceVersionMatch=Exact is answered with the current state unless the version is too old (no snapshots).
//
// TLS: a fresh PKI (aar::testing::TestPki) per server unless Options::pki is given: the server certificate is
// for 127.0.0.1 and localhost; pki().client is a client certificate for user "test-admin".
//
// Thread-safety: every public method may be called from any thread while the server runs. start() and stop()
// must not race with each other.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fakes/kube/fault_injector.hpp"
#include "fakes/kube/object_store.hpp"
#include "fakes/pki/test_pki.hpp"
#include "support/server_thread.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace aar::testing::kube {

struct FakeApiServerOptions {
  // Bearer tokens that authenticate (as user "token-user"). Default: {"test-token"}.
  std::vector<std::string> tokens = {"test-token"};
  // Accept client certificates signed by the CA. Default: true.
  bool accept_client_certificates = true;
  // Certificates to use; generated at start() when absent.
  std::optional<TestPki> pki;
  // Port to listen on; 0 picks an ephemeral port (kept across stop()/start()). Default: 0.
  int port = 0;
  // Interval of BOOKMARK events on watches that asked for them. Default: 1 s.
  std::chrono::milliseconds bookmark_interval{1000};
  // Watch events kept per resource type before the oldest become "too old". Default: 1000.
  size_t history_limit = 1000;
  // resourceVersion before the first write. Default: 1000.
  uint64_t initial_resource_version = 1000;
  // Worker threads; every open watch holds one. Default: 32.
  size_t threads = 32;
};

// One request as the server saw it.
struct RequestRecord {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  // get, list, watch, create, update, patch, delete, discovery, "" (unauthenticated or unknown path)
  std::string verb;
  std::string path;
  std::string query;  // raw query string, without '?'
  int status = 0;     // for watches: the status the stream started with
  std::string user_agent;
  std::string user;      // authenticated user, "" if none
  std::string resource;  // plural, e.g. "configmaps"
  std::string namespace_name;
  std::string name;
};

struct KubeconfigOptions {
  // Token to put in the kubeconfig; empty → the first of Options::tokens.
  std::string token;
  // Use pki().client instead of a token.
  bool use_client_certificate = false;
  // Default namespace of the context. Default: "default".
  std::string namespace_name = "default";
  // Reference the CA by file instead of embedding it (certificate-authority instead of -data).
  std::string ca_file;
};

class FakeApiServer {
 public:
  explicit FakeApiServer(FakeApiServerOptions options = {});
  ~FakeApiServer();  // stops the server
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  // Binds 127.0.0.1:<port> and serves in a background thread. Throws std::runtime_error if it cannot bind
  // (e.g. the old port was taken while stopped). Objects and the request log survive stop()/start().
  // Sets SIGPIPE to SIG_IGN if it had the default action (a client leaving mid-write must not kill the test).
  void start();
  // Closes the listener and every connection (open watches end abruptly); returns once the server thread
  // ended.
  void stop();
  bool running() const;

  int port() const;
  std::string url() const;  // "https://127.0.0.1:<port>"
  const TestPki& pki() const;
  const std::string& caPem() const;

  // A kubeconfig (YAML) with one cluster, user and context ("fake") pointing at this server.
  std::string kubeconfigYaml(const KubeconfigOptions& options = {}) const;
  // Writes kubeconfigYaml() to `path`; throws std::runtime_error on failure.
  void writeKubeconfig(const std::string& path, const KubeconfigOptions& options = {}) const;

  // Direct object access, bypassing HTTP, auth and faults (for setup and assertions). Writes emit watch
  // events.
  ObjectStore& store();
  std::optional<nlohmann::json> getConfigMap(const std::string& ns, const std::string& name) const;
  // Creates or replaces; namespace and name come from the object's metadata. Returns the stored object.
  nlohmann::json putConfigMap(nlohmann::json config_map);
  bool deleteConfigMap(const std::string& ns, const std::string& name);
  std::optional<nlohmann::json> getLease(const std::string& ns, const std::string& name) const;
  uint64_t resourceVersion() const;
  // Drops watch history (see ObjectStore::compact): watches from any resourceVersion issued before get 410.
  void compact();

  // Fault injection.
  void failNext(FaultSpec fault);
  void clearFaults();
  std::vector<FaultSpec> pendingFaults() const;
  // Ends every open watch stream now, abruptly (as a dropped connection).
  void dropWatches();
  // Ends every open watch stream now, cleanly (as the server does at timeoutSeconds): the stream is
  // terminated properly, so the client sees a normal end, not an error.
  void endWatches();
  // Delays every response by `delay` (0 = none).
  void setResponseDelay(std::chrono::milliseconds delay);
  void setBookmarkInterval(std::chrono::milliseconds interval);
  void setTokens(std::vector<std::string> tokens);
  size_t openWatches() const;

  // The request log, oldest first.
  std::vector<RequestRecord> requests() const;
  // Requests with this verb ("*" any) on this resource plural ("*" any).
  size_t countRequests(const std::string& verb, const std::string& resource = "*") const;
  void clearRequests();

 private:
  struct Route;
  void handle(const httplib::Request& req, httplib::Response& res);
  void respond(const ApiResult& result, httplib::Response& res) const;
  void startWatch(const Route& route, const httplib::Request& req, httplib::Response& res,
                  RequestRecord* record);
  std::string authenticate(const httplib::Request& req) const;
  void log(RequestRecord record);

  FakeApiServerOptions options_;
  TestPki pki_;
  ObjectStore store_;
  FaultInjector faults_;

  mutable std::mutex mu_;  // guards tokens, log, delay, bookmark interval
  std::vector<std::string> tokens_;
  std::vector<RequestRecord> log_;
  std::chrono::milliseconds delay_{0};
  std::chrono::milliseconds bookmark_interval_;

  std::atomic<uint64_t> drop_generation_{0};
  std::atomic<uint64_t> end_generation_{0};
  std::atomic<size_t> open_watches_{0};
  std::atomic<int> port_{0};
  std::unique_ptr<test::ServerThread> serving_;
};

}  // namespace aar::testing::kube
