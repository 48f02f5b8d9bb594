#include "kube/rest_client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "kube/api_error.hpp"
#include "kube/encoding.hpp"

namespace aar::kube {
namespace {

#if defined(__linux__)
constexpr const char* kOs = "linux";
#elif defined(__APPLE__)
constexpr const char* kOs = "darwin";
#else
constexpr const char* kOs = "unknown";
#endif

#if defined(__x86_64__)
constexpr const char* kArch = "amd64";
#elif defined(__aarch64__)
constexpr const char* kArch = "arm64";
#else
constexpr const char* kArch = "unknown";
#endif

// Used when a 429 carries no Retry-After.
constexpr std::chrono::seconds kDefaultRetryAfter{1};

std::string withoutQuery(const std::string& path) { return path.substr(0, path.find('?')); }

bool isSuccess(long status) { return status >= 200 && status < 300; }

}  // namespace

std::string userAgent(std::string_view version) {
  return "aws-auth-refresher/" + std::string(version) + " (" + kOs + "/" + kArch + ")";
}

Result<std::unique_ptr<RestClient>> RestClient::create(const ConnectionConfig& config,
                                                       RestClientOptions options,
                                                       const CredentialOptions& credential_options) {
  auto creds = makeCredentialSource(config, credential_options);
  if (!creds) return creds.error();
  return std::make_unique<RestClient>(config, std::shared_ptr<CredentialSource>(std::move(*creds)),
                                      std::move(options));
}

RestClient::RestClient(ConnectionConfig config, std::shared_ptr<CredentialSource> credentials,
                       RestClientOptions options)
    : config_(std::move(config)), credentials_(std::move(credentials)), options_(std::move(options)) {}

RestClient::~RestClient() = default;

Result<std::shared_ptr<net::HttpClient>> RestClient::transportFor(const ClientCredentials& creds) {
  std::lock_guard<std::mutex> lock(mu_);
  if (http_ && http_creds_.client_cert_pem == creds.client_cert_pem &&
      http_creds_.client_key_pem == creds.client_key_pem) {
    return http_;
  }
  net::HttpClientOptions o;
  o.ca_pem = config_.ca_pem;
  o.insecure_skip_tls_verify = config_.insecure_skip_tls_verify;
  o.client_cert_pem = creds.client_cert_pem;
  o.client_key_pem = creds.client_key_pem;
  o.connect_timeout = options_.connect_timeout;
  o.request_timeout = options_.request_timeout;
  o.user_agent = options_.user_agent;
  if (http_) {
    retired_.erase(
        std::remove_if(retired_.begin(), retired_.end(), [](const auto& w) { return w.expired(); }),
        retired_.end());
    retired_.push_back(http_);
  }
  http_ = std::make_shared<net::HttpClient>(std::move(o));
  http_creds_.client_cert_pem = creds.client_cert_pem;
  http_creds_.client_key_pem = creds.client_key_pem;
  if (cancelled_) http_->cancel();
  return http_;
}

void RestClient::waitRetryAfter(std::chrono::milliseconds d) {
  base::Clock& clock = options_.clock != nullptr ? *options_.clock : base::systemClock();
  std::unique_lock<std::mutex> lock(mu_);
  clock.waitUntil(cancel_cv_, lock, clock.now() + d, [&] { return cancelled_; });
}

Result<net::HttpResponse> RestClient::send(const std::string& method, const std::string& path,
                                           const std::string* body, std::string_view content_type,
                                           size_t max_response_bytes) {
  const std::string context = method + " " + withoutQuery(path);
  bool auth_retried = false;
  int throttle_retries = 0;
  for (;;) {
    if (cancelled()) return makeError(ErrorKind::kCancelled, context + ": cancelled");
    auto creds = credentials_->get();
    if (!creds) return makeError(creds.error().kind, context + ": credentials: " + creds.error().message);
    auto http = transportFor(*creds);
    if (!http) return http.error();

    net::HttpRequest req;
    req.method = method;
    req.url = config_.server + path;
    req.headers.emplace_back("Accept", "application/json");
    if (body != nullptr) {
      req.headers.emplace_back("Content-Type", std::string(content_type));
      req.body = *body;
    }
    if (!creds->token.empty()) req.headers.emplace_back("Authorization", "Bearer " + creds->token);
    req.timeout = options_.request_timeout;
    req.max_response_bytes = max_response_bytes;
    req.abort_if = options_.abort_if;

    auto resp = (*http)->perform(req);
    if (options_.on_request) options_.on_request(method, resp ? static_cast<int>(resp->status) : 0);
    if (!resp) return makeError(resp.error().kind, context + ": " + resp.error().message);

    if (resp->status == 401 && !auth_retried && credentials_->invalidate(*creds)) {
      auth_retried = true;
      spdlog::info("{}: 401 Unauthorized; refreshing credentials and retrying once", context);
      continue;
    }
    if (resp->status == 429 && throttle_retries < options_.max_throttle_retries) {
      ++throttle_retries;
      ApiError e = decodeApiError(429, resp->body, resp->header("retry-after"), context);
      auto wait = std::min(e.retry_after.value_or(kDefaultRetryAfter), options_.max_retry_after);
      spdlog::info("{}: throttled (429); retrying in {}s ({}/{})", context, wait.count(), throttle_retries,
                   options_.max_throttle_retries);
      waitRetryAfter(std::chrono::duration_cast<std::chrono::milliseconds>(wait));
      continue;
    }
    return resp;
  }
}

Result<nlohmann::json> RestClient::call(const std::string& method, const std::string& path,
                                        const nlohmann::json* body, size_t max_response_bytes,
                                        std::string_view content_type) {
  std::string text;
  if (body != nullptr) text = jsonText(*body);
  auto resp = send(method, path, body != nullptr ? &text : nullptr, content_type, max_response_bytes);
  if (!resp) return resp.error();
  const std::string context = method + " " + withoutQuery(path);
  if (!isSuccess(resp->status)) {
    return decodeApiError(static_cast<int>(resp->status), resp->body, resp->header("retry-after"), context)
        .error;
  }
  if (resp->body.empty()) return nlohmann::json();
  nlohmann::json doc = nlohmann::json::parse(resp->body, nullptr, false);
  if (doc.is_discarded()) return makeError(ErrorKind::kParse, context + ": response body is not JSON");
  return doc;
}

Result<nlohmann::json> RestClient::get(const std::string& path, size_t max_response_bytes) {
  return call("GET", path, nullptr, max_response_bytes);
}
Result<nlohmann::json> RestClient::post(const std::string& path, const nlohmann::json& body,
                                        size_t max_response_bytes) {
  return call("POST", path, &body, max_response_bytes);
}
Result<nlohmann::json> RestClient::put(const std::string& path, const nlohmann::json& body,
                                       size_t max_response_bytes) {
  return call("PUT", path, &body, max_response_bytes);
}
Result<nlohmann::json> RestClient::patch(const std::string& path, const nlohmann::json& body,
                                         std::string_view content_type, size_t max_response_bytes) {
  return call("PATCH", path, &body, max_response_bytes, content_type);
}
Result<nlohmann::json> RestClient::remove(const std::string& path, size_t max_response_bytes) {
  return call("DELETE", path, nullptr, max_response_bytes);
}

Status RestClient::stream(const std::string& path, const net::BodyChunkHandler& on_chunk,
                          std::chrono::milliseconds idle_timeout) {
  const std::string context = "GET " + withoutQuery(path) + " (watch)";
  bool auth_retried = false;
  for (;;) {
    if (cancelled()) return makeError(ErrorKind::kCancelled, context + ": cancelled");
    auto creds = credentials_->get();
    if (!creds) return makeError(creds.error().kind, context + ": credentials: " + creds.error().message);
    auto http = transportFor(*creds);
    if (!http) return http.error();
    net::HttpRequest req;
    req.url = config_.server + path;
    req.headers.emplace_back("Accept", "application/json");
    if (!creds->token.empty()) req.headers.emplace_back("Authorization", "Bearer " + creds->token);
    auto resp = (*http)->stream(req, on_chunk, idle_timeout);
    if (options_.on_request) options_.on_request("WATCH", resp ? static_cast<int>(resp->status) : 0);
    if (!resp) return makeError(resp.error().kind, context + ": " + resp.error().message);
    if (resp->status == 401 && !auth_retried && credentials_->invalidate(*creds)) {
      auth_retried = true;
      continue;
    }
    if (!isSuccess(resp->status)) {
      return decodeApiError(static_cast<int>(resp->status), resp->body, resp->header("retry-after"), context)
          .error;
    }
    return Status::Ok();
  }
}

std::shared_ptr<RestClient> RestClient::fork() { return fork(options_.request_timeout); }

std::shared_ptr<RestClient> RestClient::fork(std::chrono::milliseconds request_timeout) {
  RestClientOptions options = options_;
  options.request_timeout = request_timeout;
  return forkWith(std::move(options));
}

std::shared_ptr<RestClient> RestClient::forkAbortable(std::function<bool()> abort_if) {
  RestClientOptions options = options_;
  options.abort_if = std::move(abort_if);
  return forkWith(std::move(options));
}

std::shared_ptr<RestClient> RestClient::forkWith(RestClientOptions options) {
  auto child = std::make_shared<RestClient>(config_, credentials_, std::move(options));
  bool cancel_now = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    children_.erase(
        std::remove_if(children_.begin(), children_.end(), [](const auto& w) { return w.expired(); }),
        children_.end());
    children_.push_back(child);
    cancel_now = cancelled_;
  }
  if (cancel_now) child->cancel();
  return child;
}

void RestClient::cancel() {
  std::vector<std::shared_ptr<RestClient>> children;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
    if (http_) http_->cancel();
    for (auto& w : retired_) {
      if (auto h = w.lock()) h->cancel();
    }
    for (auto& w : children_) {
      if (auto c = w.lock()) children.push_back(std::move(c));
    }
  }
  cancel_cv_.notify_all();
  for (auto& c : children) c->cancel();
}

bool RestClient::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

}  // namespace aar::kube
