// RestClient: JSON requests to the Kubernetes API server over the shared HttpClient.
//
// - Authentication from a CredentialSource: "Authorization: Bearer <token>" and/or a client certificate. A
// 401
//   invalidates the credentials and, when fresh ones may differ (a rotated token file, an exec plugin), the
//   request is retried once with them.
// - Failures are typed (see api_error.hpp). A 429 is retried after its Retry-After delay (capped), at most
//   RestClientOptions::max_throttle_retries times, then returned as kTooManyRequests with the delay in the
//   message.
// - Every call has a timeout (RestClientOptions::request_timeout; streams: an idle timeout).
// - User-Agent: userAgent(version) = "aws-auth-refresher/<version> (<os>/<arch>)".
// - on_request (metrics hook) is called once per HTTP exchange with the method and the HTTP code (0 when no
//   response arrived), from the calling thread.
// - cancel() makes in-flight and later calls fail with kCancelled (shutdown). Irreversible; it also cancels
//   every client made by fork().
//
// Secrets: the token and the Authorization header are never logged nor put in an error; errors carry the
// method and path (without query) and the Status message.
//
// Thread-safety: every method is safe to call from several threads at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "core/result.hpp"
#include "kube/config.hpp"
#include "kube/credentials.hpp"
#include "net/http_client.hpp"

namespace aar::kube {

// The default response limit of a call (net::HttpRequest::max_response_bytes): one Kubernetes object. The
// largest we read is a ConfigMap: at most 1 MiB of data plus 256 KiB of annotations, which JSON escaping can
// grow up to six-fold only for control characters (\u0000) and about two-fold for realistic text, plus
// metadata and managedFields. 8 MiB holds the worst case and stays far inside the pod's 64 MiB. Lists and
// Events pass their own limits beside the call. Over the limit a call fails with kTooLarge.
inline constexpr size_t kMaxObjectResponseBytes = 8 << 20;

// "aws-auth-refresher/<version> (<os>/<arch>)", e.g. "aws-auth-refresher/0.1.0 (linux/amd64)".
std::string userAgent(std::string_view version);

struct RestClientOptions {
  std::string user_agent = userAgent("dev");         // Default: userAgent("dev"); the app passes its version
  std::chrono::milliseconds connect_timeout{5000};   // Default: 5 s
  std::chrono::milliseconds request_timeout{30000};  // Default: 30 s per request
  int max_throttle_retries = 3;                      // Default: 3 retries of a 429
  std::chrono::seconds max_retry_after{30};          // Default: a Retry-After longer than this is capped
  // Metrics hook: HTTP method ("GET", "PUT", ...; "WATCH" for a streaming GET) and code (0: no response).
  // Default: none.
  std::function<void(std::string_view method, int code)> on_request;
  // The clock Retry-After waits run on (a wait ends early on cancel()); tests pass a manual clock.
  // Default: base::systemClock()
  base::Clock* clock = &base::systemClock();
  // Default: none. When set, every non-streaming request of this client is abandoned (within about 50 ms,
  // even mid-transfer) once it returns true, and fails with kCancelled ("aborted by its caller"); it is not
  // retried. See forkAbortable().
  std::function<bool()> abort_if;
};

class RestClient {
 public:
  // Builds the credential source from `config` (see credentials.hpp).
  static Result<std::unique_ptr<RestClient>> create(const ConnectionConfig& config,
                                                    RestClientOptions options = {},
                                                    const CredentialOptions& credential_options = {});

  RestClient(ConnectionConfig config, std::shared_ptr<CredentialSource> credentials,
             RestClientOptions options);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // `path` is absolute from the server root and already encoded, query included:
  // "/api/v1/namespaces/kube-system/configmaps/aws-auth". Success: the parsed JSON body (null for an empty
  // body).
  // max_response_bytes bounds the response body (kTooLarge beyond it); Default: kMaxObjectResponseBytes.
  Result<nlohmann::json> get(const std::string& path, size_t max_response_bytes = kMaxObjectResponseBytes);
  Result<nlohmann::json> post(const std::string& path, const nlohmann::json& body,
                              size_t max_response_bytes = kMaxObjectResponseBytes);
  Result<nlohmann::json> put(const std::string& path, const nlohmann::json& body,
                             size_t max_response_bytes = kMaxObjectResponseBytes);
  // content_type: "application/merge-patch+json" (Default), "application/strategic-merge-patch+json",
  // "application/json-patch+json".
  Result<nlohmann::json> patch(const std::string& path, const nlohmann::json& body,
                               std::string_view content_type = "application/merge-patch+json",
                               size_t max_response_bytes = kMaxObjectResponseBytes);
  Result<nlohmann::json> remove(const std::string& path, size_t max_response_bytes = kMaxObjectResponseBytes);

  // A streaming GET (watch): each chunk of the body goes to on_chunk (return false to stop: then ok). Ok when
  // the server ends the stream; typed errors for a non-2xx status; kTimeout when nothing arrives for
  // idle_timeout; kCancelled after cancel().
  Status stream(const std::string& path, const net::BodyChunkHandler& on_chunk,
                std::chrono::milliseconds idle_timeout);

  // A client with the same server, credentials and options but its own connections, so that cancelling it
  // (e.g. to stop one watch within milliseconds) leaves this one working. Cancelling this one cancels it too.
  std::shared_ptr<RestClient> fork();
  // The same with another per-request timeout (e.g. Lease renewals, which must fail before the renew
  // deadline).
  std::shared_ptr<RestClient> fork(std::chrono::milliseconds request_timeout);
  // The same whose requests are abandoned once abort_if returns true (RestClientOptions::abort_if): e.g. the
  // aws-auth writes of a leader, aborted when it loses its Lease.
  std::shared_ptr<RestClient> forkAbortable(std::function<bool()> abort_if);

  void cancel();
  bool cancelled() const;

  const ConnectionConfig& config() const { return config_; }
  const RestClientOptions& options() const { return options_; }

 private:
  Result<net::HttpResponse> send(const std::string& method, const std::string& path, const std::string* body,
                                 std::string_view content_type, size_t max_response_bytes);
  Result<nlohmann::json> call(const std::string& method, const std::string& path, const nlohmann::json* body,
                              size_t max_response_bytes, std::string_view content_type = "application/json");
  Result<std::shared_ptr<net::HttpClient>> transportFor(const ClientCredentials& creds);
  std::shared_ptr<RestClient> forkWith(RestClientOptions options);
  void waitRetryAfter(std::chrono::milliseconds d);

  const ConnectionConfig config_;
  const std::shared_ptr<CredentialSource> credentials_;
  const RestClientOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cancel_cv_;
  bool cancelled_ = false;
  std::shared_ptr<net::HttpClient> http_;  // rebuilt when the client certificate changes
  ClientCredentials http_creds_;           // the certificate http_ was built with (token unused)
  std::vector<std::weak_ptr<net::HttpClient>> retired_;  // replaced transports still serving in-flight calls
  std::vector<std::weak_ptr<RestClient>> children_;
};

}  // namespace aar::kube
