// HttpClient: the one libcurl wrapper that the AWS and Kubernetes clients share.
//
// - TLS peer and host verification are always on, unless HttpClientOptions::insecure_skip_tls_verify is set
//   by a caller that was explicitly told so (a kubeconfig's insecure-skip-tls-verify).
// - Trust: the system CA store by default; or a CA bundle file; or CA certificates in memory (PEM). A
// configured
//   CA replaces the system store (as kubectl does); ca_pem wins over ca_file when both are set.
// - Client certificates from files or from memory (PEM); memory wins over files.
// - Proxies from the environment (https_proxy/HTTPS_PROXY, http_proxy, ALL_PROXY, NO_PROXY) as libcurl reads
//   them, plus upper-case HTTP_PROXY for http:// URLs (which libcurl alone ignores; Go and the AWS SDKs
//   honour it).
// - TLS 1.2 at least (CURLOPT_SSLVERSION), whatever the system's OpenSSL policy allows.
// - Every request has a connect timeout and a total timeout (streaming requests: an idle timeout instead).
// - Every response is bounded: perform() fails with kTooLarge as soon as the body would exceed
//   HttpRequest::max_response_bytes (a Content-Length above it is refused before any of the body is read),
//   and any response's headers beyond kMaxResponseHeaderBytes; the connection is then dropped, never reused.
//   Memory held for one response is therefore at most about max_response_bytes.
// - Header names and values containing CR, LF or NUL are refused (kInvalidArgument) before anything is sent:
//   a value taken from a file or a server must not be able to add headers or split the request.
// - Connections are reused across requests of the same client.
// - cancel() from any thread makes every in-flight and future request fail fast with ErrorKind::kCancelled
//   (an in-flight transfer notices within about 50 ms).
// - The request goes out with exactly the caller's headers plus User-Agent (libcurl's default form
//   Content-Type and "Expect: 100-continue" are suppressed). Redirects are not followed: a 3xx is returned.
// - Nothing here logs; error messages name the method and the URL without its query string, never a header.
//
// Failures: transport errors (DNS, connect, TLS, reset) → kNetwork; timeouts → kTimeout; cancel → kCancelled
// (so does HttpRequest::abort_if, with "aborted by its caller" in the message);
// a response over its limit → kTooLarge (the message names the method, the URL without query and the limit);
// a header with CR/LF/NUL or a malformed method → kInvalidArgument.
// A response with any HTTP status is a success of perform(): callers map statuses to errors themselves.
//
// Thread-safety: one HttpClient may be used from several threads at once; each call uses its own easy handle
// taken from a small pool, so connection reuse happens per handle.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "net/url_encode.hpp"  // urlEncode, for the callers that build request URLs

namespace aar::net {

struct HttpClientOptions {
  // Default: verify against the system store.
  std::string ca_file;  // PEM bundle path
  std::string ca_pem;   // PEM certificates in memory (kubeconfig certificate-authority-data)
  std::string client_cert_file, client_key_file;
  std::string client_cert_pem, client_key_pem;
  bool insecure_skip_tls_verify = false;  // Default: false. Only from an explicit kubeconfig setting.
  std::chrono::milliseconds connect_timeout{5000};   // Default: 5 s
  std::chrono::milliseconds request_timeout{30000};  // Default: 30 s, for the whole request
  std::string user_agent = "aws-auth-refresher";
};

// Default HttpRequest::max_response_bytes: enough for any small AWS or Kubernetes answer. Callers that expect
// more (an IAM page, a Kubernetes list) set their own limit beside the call and say why.
inline constexpr size_t kDefaultMaxResponseBytes = 1024 * 1024;
// Response headers (all lines together, including those of 1xx and proxy CONNECT answers) beyond this fail
// the request with kTooLarge.
inline constexpr size_t kMaxResponseHeaderBytes = 256 * 1024;

// Header names are compared case-insensitively by callers via HttpResponse::header().
struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute: scheme://host[:port]/path?query (already encoded)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Overrides HttpClientOptions::request_timeout when set.
  std::optional<std::chrono::milliseconds> timeout;
  // Default: kDefaultMaxResponseBytes (1 MiB). perform(): the largest body accepted; more fails the request
  // with kTooLarge while it is being received. stream(): not applied to the streamed chunks (the caller's
  // handler bounds what it keeps); a non-2xx body collected instead is capped at min(this, 1 MiB).
  size_t max_response_bytes = kDefaultMaxResponseBytes;
  // Default: false. True: never use a proxy for this request, whatever the environment says (IMDS and
  // container credentials: link-local and node-local endpoints whose answers are credentials).
  bool bypass_proxy = false;
  // Default: none. Asked before the request starts and about every 50 ms while it runs (from the calling
  // thread); once it returns true the transfer is abandoned (the connection dropped) and perform() fails with
  // kCancelled, "aborted by its caller". For a write that must not complete once its premise is gone (a
  // leader that lost its Lease). Must be cheap and must not throw.
  std::function<bool()> abort_if{};
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // First value of a header (name lower-case), or nullopt.
  std::optional<std::string> header(std::string_view lower_name) const;
};

// For streaming responses (watches): called with each chunk of the body as it arrives. Return false to stop
// the transfer (perform then returns the response so far with status set, and no error).
using BodyChunkHandler = std::function<bool(std::string_view chunk)>;

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request and reads the whole body.
  Result<HttpResponse> perform(const HttpRequest& request);

  // Sends the request and hands the body to on_chunk as it arrives; HttpResponse::body stays empty except for
  // non-2xx statuses, where the (small) error body is collected instead of streamed. idle_timeout ends a
  // stream that has received nothing for that long (kTimeout).
  Result<HttpResponse> stream(const HttpRequest& request, const BodyChunkHandler& on_chunk,
                              std::chrono::milliseconds idle_timeout);

  // Makes in-flight and later requests fail with kCancelled. Safe from any thread and from signal-driven
  // shutdown code (not from a signal handler itself). Irreversible.
  void cancel();
  bool cancelled() const;

  const HttpClientOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aar::net
