#include "fakes/kube/fake_api_server.hpp"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "fakes/kube/discovery.hpp"

namespace aar::testing::kube {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr auto kWatchPollInterval = std::chrono::milliseconds(100);
constexpr time_t kKeepAliveSeconds = 1;  // bounds how long stop() waits for idle keep-alive connections

std::string base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

bool truthy(const std::string& value) { return value == "1" || value == "true" || value == "True"; }

// True when the peer has closed its side: the client of a watch went away while no event was due.
bool peerClosed(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

std::unique_ptr<X509, X509Free> readCert(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return std::unique_ptr<X509, X509Free>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

std::unique_ptr<EVP_PKEY, KeyFree> readKey(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return std::unique_ptr<EVP_PKEY, KeyFree>(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

std::string commonName(X509* cert) {
  char buffer[256] = {0};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, sizeof(buffer)) < 0)
    return "";
  return buffer;
}

json watchEvent(const std::string& type, const json& object) {
  return json{{"type", type}, {"object", object}};
}

}  // namespace

struct FakeApiServer::Route {
  enum class Kind { kNotFound, kDiscovery, kNamespace, kResource };
  Kind kind = Kind::kNotFound;
  const ResourceType* type = nullptr;
  std::string ns;
  std::string name;
  bool watch_path = false;
};

FakeApiServer::FakeApiServer(FakeApiServerOptions options)
    : options_(std::move(options)),
      pki_(options_.pki ? *options_.pki : TestPki::generate()),
      store_(ObjectStore::Options{options_.history_limit, options_.initial_resource_version, nullptr}),
      tokens_(options_.tokens),
      bookmark_interval_(options_.bookmark_interval),
      port_(options_.port) {}

FakeApiServer::~FakeApiServer() { stop(); }

void FakeApiServer::start() {
  if (serving_) return;
  // OpenSSL writes to the socket with write(): an event written to a watch whose client has just gone would
  // raise SIGPIPE and kill the whole test process. Ignore it, unless the process installed its own handler.
  struct sigaction current {};
  if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
    ::signal(SIGPIPE, SIG_IGN);
  auto server = std::make_unique<httplib::SSLServer>([this](SSL_CTX& ctx) {
    auto cert = readCert(pki_.server.cert);
    auto key = readKey(pki_.server.key);
    if (!cert || !key) return false;
    if (SSL_CTX_use_certificate(&ctx, cert.get()) != 1 || SSL_CTX_use_PrivateKey(&ctx, key.get()) != 1)
      return false;
    static const unsigned char kSessionContext[] = "fake-kube-apiserver";
    SSL_CTX_set_session_id_context(&ctx, kSessionContext, sizeof(kSessionContext) - 1);
    if (options_.accept_client_certificates) {
      auto ca = readCert(pki_.ca.cert);
      if (!ca) return false;
      X509_STORE_add_cert(SSL_CTX_get_cert_store(&ctx), ca.get());
      SSL_CTX_add_client_CA(&ctx, ca.get());
      // Ask for a certificate but never fail the handshake: like kube-apiserver, an unverifiable certificate
      // just authenticates nobody (the request then needs a token), decided per request in authenticate().
      SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
    }
    return true;
  });
  if (!server->is_valid()) throw std::runtime_error("FakeApiServer: TLS setup failed");
  size_t threads = options_.threads;
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server->set_keep_alive_timeout(kKeepAliveSeconds);
  server->set_tcp_nodelay(true);  // small responses must not wait for delayed ACKs (~40 ms a request)
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  server->Get(".*", handler);
  server->Post(".*", handler);
  server->Put(".*", handler);
  server->Patch(".*", handler);
  server->Delete(".*", handler);

  // Throws std::runtime_error when 127.0.0.1:port_ (0: any port) cannot be bound.
  serving_ = std::make_unique<test::ServerThread>(std::move(server), port_.load());
  port_ = serving_->port();
}

void FakeApiServer::stop() {
  if (!serving_) return;
  // Watches block in their handlers: wake them once the listener is closed, so the join can finish.
  serving_->stop([this] { store_.wakeWatchers(); });
  serving_.reset();
}

bool FakeApiServer::running() const { return serving_ != nullptr; }
int FakeApiServer::port() const { return port_; }
std::string FakeApiServer::url() const { return "https://127.0.0.1:" + std::to_string(port_.load()); }
const TestPki& FakeApiServer::pki() const { return pki_; }
const std::string& FakeApiServer::caPem() const { return pki_.ca.cert; }

std::string FakeApiServer::kubeconfigYaml(const KubeconfigOptions& options) const {
  std::string token = options.token;
  if (token.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!tokens_.empty()) token = tokens_.front();
  }
  std::string yaml =
      "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: " + url() + "\n";
  if (!options.ca_file.empty()) {
    yaml += "    certificate-authority: " + options.ca_file + "\n";
  } else {
    yaml += "    certificate-authority-data: " + base64(pki_.ca.cert) + "\n";
  }
  yaml += "users:\n- name: fake\n  user:\n";
  if (options.use_client_certificate) {
    yaml += "    client-certificate-data: " + base64(pki_.client.cert) + "\n";
    yaml += "    client-key-data: " + base64(pki_.client.key) + "\n";
  } else {
    yaml += "    token: " + token + "\n";
  }
  yaml += "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: " +
          options.namespace_name + "\ncurrent-context: fake\n";
  return yaml;
}

void FakeApiServer::writeKubeconfig(const std::string& path, const KubeconfigOptions& options) const {
  std::ofstream out(path, std::ios::trunc);
  out << kubeconfigYaml(options);
  out.close();
  if (!out) throw std::runtime_error("FakeApiServer: cannot write kubeconfig " + path);
}

ObjectStore& FakeApiServer::store() { return store_; }

std::optional<json> FakeApiServer::getConfigMap(const std::string& ns, const std::string& name) const {
  return store_.find(*findResourceType("", "v1", "configmaps"), ns, name);
}

json FakeApiServer::putConfigMap(json config_map) {
  return store_.put(*findResourceType("", "v1", "configmaps"), std::move(config_map));
}

bool FakeApiServer::deleteConfigMap(const std::string& ns, const std::string& name) {
  return store_.erase(*findResourceType("", "v1", "configmaps"), ns, name);
}

std::optional<json> FakeApiServer::getLease(const std::string& ns, const std::string& name) const {
  return store_.find(*findResourceType("coordination.k8s.io", "v1", "leases"), ns, name);
}

uint64_t FakeApiServer::resourceVersion() const { return store_.currentResourceVersion(); }
void FakeApiServer::compact() { store_.compact(); }
void FakeApiServer::failNext(FaultSpec fault) { faults_.add(std::move(fault)); }
void FakeApiServer::clearFaults() { faults_.clear(); }
std::vector<FaultSpec> FakeApiServer::pendingFaults() const { return faults_.pending(); }

void FakeApiServer::dropWatches() {
  ++drop_generation_;
  store_.wakeWatchers();
}

void FakeApiServer::endWatches() {
  ++end_generation_;
  store_.wakeWatchers();
}

void FakeApiServer::setResponseDelay(std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  delay_ = delay;
}

void FakeApiServer::setBookmarkInterval(std::chrono::milliseconds interval) {
  std::lock_guard<std::mutex> lock(mu_);
  bookmark_interval_ = interval;
}

void FakeApiServer::setTokens(std::vector<std::string> tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  tokens_ = std::move(tokens);
}

size_t FakeApiServer::openWatches() const { return open_watches_; }

std::vector<RequestRecord> FakeApiServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

size_t FakeApiServer::countRequests(const std::string& verb, const std::string& resource) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(std::count_if(log_.begin(), log_.end(), [&](const RequestRecord& r) {
    return (verb == "*" || r.verb == verb) && (resource == "*" || r.resource == resource);
  }));
}

void FakeApiServer::clearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  log_.clear();
}

void FakeApiServer::log(RequestRecord record) {
  std::lock_guard<std::mutex> lock(mu_);
  log_.push_back(std::move(record));
}

std::string FakeApiServer::authenticate(const httplib::Request& req) const {
  const std::string auth = req.get_header_value("Authorization");
  const std::string kBearer = "Bearer ";
  if (auth.size() > kBearer.size() && auth.compare(0, kBearer.size(), kBearer) == 0) {
    std::string token = auth.substr(kBearer.size());
    std::lock_guard<std::mutex> lock(mu_);
    if (std::find(tokens_.begin(), tokens_.end(), token) != tokens_.end()) return "token-user";
  }
  if (options_.accept_client_certificates && req.ssl != nullptr) {
    X509* cert = SSL_get0_peer_certificate(req.ssl);
    if (cert != nullptr && SSL_get_verify_result(req.ssl) == X509_V_OK) return commonName(cert);
  }
  return "";
}

void FakeApiServer::respond(const ApiResult& result, httplib::Response& res) const {
  res.status = result.code;
  for (const auto& [name, value] : result.headers) res.set_header(name, value);
  res.set_content(result.body.dump(), "application/json");
}

void FakeApiServer::handle(const httplib::Request& req, httplib::Response& res) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    delay = delay_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);

  RequestRecord record;
  record.method = req.method;
  record.path = req.path;
  size_t q = req.target.find('?');
  record.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  record.user_agent = req.get_header_value("User-Agent");
  record.user = authenticate(req);
  auto finish = [&](const ApiResult& result) {
    respond(result, res);
    record.status = result.code;
    log(record);
  };
  if (record.user.empty()) return finish(statusUnauthorized());

  if (auto doc = discoveryDocument(req.path, "127.0.0.1:" + std::to_string(port_.load()))) {
    record.verb = "discovery";
    return finish(ApiResult{200, *doc, {}});
  }

  // Route: /api/v1/... or /apis/{group}/{version}/..., then [watch/] [namespaces/{ns}/] {plural} [/{name}].
  Route route;
  std::vector<std::string> parts = splitPath(req.path);
  std::string group, version;
  size_t i = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    group = parts[1];
    version = parts[2];
    i = 3;
  }
  if (i > 0) {
    std::vector<std::string> rest(parts.begin() + static_cast<long>(i), parts.end());
    if (!rest.empty() && rest[0] == "watch") {
      route.watch_path = true;
      rest.erase(rest.begin());
    }
    if (rest.size() == 2 && rest[0] == "namespaces" && group.empty()) {
      route.kind = Route::Kind::kNamespace;
      route.ns = rest[1];
    } else if (rest.size() >= 3 && rest.size() <= 4 && rest[0] == "namespaces") {
      route.ns = rest[1];
      route.type = findResourceType(group, version, rest[2]);
      if (rest.size() == 4) route.name = rest[3];
    } else if (rest.size() == 1) {
      route.type = findResourceType(group, version, rest[0]);  // all namespaces: list and watch only
    }
    if (route.type != nullptr) route.kind = Route::Kind::kResource;
  }

  if (route.kind == Route::Kind::kNamespace && req.method == "GET") {
    record.verb = "get";
    record.resource = "namespaces";
    record.name = route.ns;
    return finish(ApiResult{200,
                            {{"kind", "Namespace"},
                             {"apiVersion", "v1"},
                             {"metadata", {{"name", route.ns}}},
                             {"spec", {{"finalizers", {"kubernetes"}}}},
                             {"status", {{"phase", "Active"}}}},
                            {}});
  }
  if (route.kind != Route::Kind::kResource) {
    return finish(statusFailure(404, "NotFound", "the server could not find the requested resource"));
  }

  const ResourceType& type = *route.type;
  record.resource = type.plural;
  record.namespace_name = route.ns;
  record.name = route.name;
  bool watch = route.watch_path || truthy(req.get_param_value("watch"));
  if (req.method == "GET") {
    record.verb = watch ? "watch" : (route.name.empty() ? "list" : "get");
  } else if (req.method == "POST") {
    record.verb = "create";
  } else if (req.method == "PUT") {
    record.verb = "update";
  } else if (req.method == "PATCH") {
    record.verb = "patch";
  } else if (req.method == "DELETE") {
    record.verb = route.name.empty() ? "deletecollection" : "delete";
  }
  bool needs_name = record.verb == "update" || record.verb == "patch" || record.verb == "delete";
  bool needs_namespace = record.verb != "list" && record.verb != "watch";
  if ((needs_name && route.name.empty()) || (record.verb == "create" && !route.name.empty()) ||
      (needs_namespace && route.ns.empty()) || record.verb == "deletecollection") {
    return finish(statusFailure(405, "MethodNotAllowed",
                                "the server does not allow this method on the requested resource"));
  }

  if (auto injected = faults_.take(record.verb, type.plural, type.group, route.name))
    return finish(*injected);

  bool dry_run = req.get_param_value("dryRun") == "All";
  if (record.verb == "get") return finish(store_.get(type, route.ns, route.name));
  if (record.verb == "create") {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded())
      return finish(statusBadRequest("the body of the request was in an unknown format"));
    return finish(store_.create(type, route.ns, std::move(body), dry_run));
  }
  if (record.verb == "update") {
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded())
      return finish(statusBadRequest("the body of the request was in an unknown format"));
    return finish(store_.update(type, route.ns, route.name, std::move(body), dry_run));
  }
  if (record.verb == "patch") {
    return finish(
        store_.patch(type, route.ns, route.name, req.get_header_value("Content-Type"), req.body, dry_run));
  }
  if (record.verb == "delete") {
    json options = req.body.empty() ? json() : json::parse(req.body, nullptr, false);
    return finish(store_.remove(type, route.ns, route.name, options, dry_run));
  }

  // list and watch share the filter.
  std::string error;
  std::string field_text = req.get_param_value("fieldSelector");
  if (!route.name.empty())
    field_text = "metadata.name=" + route.name + (field_text.empty() ? "" : "," + field_text);
  auto fields = Selector::parseFields(field_text, &error);
  if (!fields) return finish(statusBadRequest(error));
  auto labels = Selector::parseLabels(req.get_param_value("labelSelector"), &error);
  if (!labels) return finish(statusBadRequest(error));
  WatchFilter filter{route.ns, *fields, *labels};
  if (record.verb == "list") {
    return finish(store_.list(type, filter, req.get_param_value("resourceVersion"),
                              req.get_param_value("resourceVersionMatch")));
  }

  // Watch: the stream starts with 200 even when the resourceVersion is too old (an ERROR event says so).
  struct Session {
    const ResourceType* type;
    WatchFilter filter;
    uint64_t cursor = 0;
    std::vector<std::string> pending;  // lines to send first
    bool end_after_pending = false;
    std::optional<Clock::time_point> deadline;
    bool bookmarks = false;
    Clock::time_point next_bookmark;
    uint64_t drop_generation = 0;
    uint64_t end_generation = 0;
    int fd = -1;
  };
  auto session = std::make_shared<Session>();
  session->type = &type;
  session->filter = filter;
  session->drop_generation = drop_generation_;
  session->end_generation = end_generation_;
  session->bookmarks = truthy(req.get_param_value("allowWatchBookmarks"));
  session->fd = req.ssl != nullptr ? SSL_get_fd(req.ssl) : -1;
  std::string timeout = req.get_param_value("timeoutSeconds");
  if (!timeout.empty()) {
    try {
      session->deadline = Clock::now() + std::chrono::seconds(std::stol(timeout));
    } catch (const std::exception&) {
      return finish(statusBadRequest("invalid timeoutSeconds: " + timeout));
    }
  }
  std::vector<WatchEvent> initial;
  ApiResult started =
      store_.startWatch(type, filter, req.get_param_value("resourceVersion"), &session->cursor, &initial);
  if (started.code == 400) return finish(started);
  if (!started.ok()) {
    session->pending.push_back(watchEvent("ERROR", started.body).dump() + "\n");
    session->end_after_pending = true;
  }
  for (const WatchEvent& event : initial)
    session->pending.push_back(watchEvent(event.type, event.object).dump() + "\n");

  record.status = 200;
  log(record);
  ++open_watches_;
  res.status = 200;
  // Not plain "application/json": httplib compresses that media type when the client accepts gzip or br (as
  // kubectl's Go transport does), and its compressor holds events back until the stream ends. The parameter
  // keeps the stream uncompressed; clients parse the media type and ignore it (kube-apiserver sends the same
  // parameter for its protobuf watch streams).
  res.set_chunked_content_provider(
      "application/json;stream=watch",
      [this, session](size_t, httplib::DataSink& sink) -> bool {
        for (const std::string& line : session->pending) {
          if (!sink.write(line.data(), line.size())) return false;
        }
        session->pending.clear();
        if (session->end_after_pending) {
          sink.done();
          return true;
        }
        if (drop_generation_ != session->drop_generation || peerClosed(session->fd)) return false;
        std::chrono::milliseconds interval;
        {
          std::lock_guard<std::mutex> lock(mu_);
          interval = bookmark_interval_;
        }
        Clock::time_point now = Clock::now();
        if (session->bookmarks && session->next_bookmark == Clock::time_point()) {
          session->next_bookmark = now + interval;
        }
        Clock::time_point until = now + kWatchPollInterval;
        if (session->deadline) until = std::min(until, *session->deadline);
        if (session->bookmarks) until = std::min(until, session->next_bookmark);
        bool expired = false;
        std::vector<WatchEvent> events =
            store_.waitForEvents(*session->type, session->filter, &session->cursor, until, &expired);
        if (drop_generation_ != session->drop_generation) return false;
        for (const WatchEvent& event : events) {
          std::string line = watchEvent(event.type, event.object).dump() + "\n";
          if (!sink.write(line.data(), line.size())) return false;
        }
        if (expired) {
          uint64_t oldest = store_.oldestWatchableResourceVersion(*session->type);
          std::string line = watchEvent("ERROR", statusExpired(session->cursor, oldest).body).dump() + "\n";
          sink.write(line.data(), line.size());
          sink.done();
          return true;
        }
        now = Clock::now();
        if ((session->deadline && now >= *session->deadline) || end_generation_ != session->end_generation) {
          sink.done();
          return true;
        }
        if (session->bookmarks && now >= session->next_bookmark) {
          uint64_t rv = store_.bookmarkVersion(*session->type, session->cursor);
          json object = {{"kind", session->type->kind},
                         {"apiVersion", session->type->apiVersion()},
                         {"metadata", {{"resourceVersion", std::to_string(rv)}}}};
          std::string line = watchEvent("BOOKMARK", object).dump() + "\n";
          if (!sink.write(line.data(), line.size())) return false;
          session->next_bookmark = now + interval;
        }
        return true;
      },
      [this](bool) { --open_watches_; });
}

}  // namespace aar::testing::kube
