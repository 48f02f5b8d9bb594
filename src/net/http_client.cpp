// HttpClient on libcurl: one multi handle + one easy handle per pool slot, driven by our own loop so that
// cancel() and the streaming idle timeout take effect within one poll interval (kPollInterval).
//
// Why a multi handle per slot rather than curl_easy_perform: curl_easy_perform only wakes up about once a
// second when a transfer is idle, which is too slow for shutdown; curl_multi_poll can be woken from another
// thread (curl_multi_wakeup). The connection cache lives in the multi handle, so keeping the pair together in
// the pool keeps connection reuse.
#include "net/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <set>
#include <utility>

namespace aar::net {
namespace {

constexpr int kPollIntervalMs = 50;  // upper bound on how late cancel() and the idle timeout are noticed
constexpr size_t kMaxIdleSlots = 4;  // pooled handles kept for reuse; more concurrent calls get fresh ones
constexpr size_t kMaxErrorBody = 1 << 20;  // non-2xx bodies collected while streaming are capped

// curl_global_init is not guaranteed thread-safe on every libcurl build: run it once, before any handle.
void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using EasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;
using MultiPtr = std::unique_ptr<CURLM, CurlMultiDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

// One reusable transfer context. The easy handle is always removed from the multi between requests.
struct Slot {
  MultiPtr multi;  // declared first, destroyed last: it owns the connection cache the easy handle used
  EasyPtr easy;
};

std::string toLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// The URL without its query and fragment: safe to put in an error message (a query may carry a signature).
std::string redactedUrl(const std::string& url) { return url.substr(0, url.find_first_of("?#")); }

bool isTlsError(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CLIENTCERT:
      return true;
    default:
      return false;
  }
}

// State of one transfer, shared with the libcurl callbacks.
struct Transfer {
  HttpResponse response;
  size_t max_body = kDefaultMaxResponseBytes;
  size_t header_bytes = 0;
  bool too_large = false;  // a callback refused more: the body or the headers passed their limit
  const BodyChunkHandler* on_chunk = nullptr;  // null: collect the whole body (onBody)
  bool stopped_by_handler = false;
  std::chrono::steady_clock::time_point last_data;
};

long statusOf(CURL* easy) {
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  return status;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  t->last_data = std::chrono::steady_clock::now();
  t->header_bytes += n;
  if (t->header_bytes > kMaxResponseHeaderBytes) {
    t->too_large = true;
    return 0;  // any other count than n ends the transfer
  }
  if (line.rfind("HTTP/", 0) == 0) {
    // A new status line (after 100 Continue, a proxy's CONNECT reply or a redirect): start over.
    t->response.headers.clear();
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;  // the blank line that ends the headers, or junk
  t->response.headers.emplace_back(toLower(trim(line.substr(0, colon))),
                                   std::string(trim(line.substr(colon + 1))));
  return n;
}

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  t->last_data = std::chrono::steady_clock::now();
  if (n > t->max_body - std::min(t->max_body, t->response.body.size())) {
    t->too_large = true;
    return 0;  // CURLE_WRITE_ERROR: libcurl stops reading, and run() drops the connection
  }
  std::string& body = t->response.body;
  if (body.capacity() - body.size() < n) {
    // Grow geometrically but never past the limit: std::string's own doubling could reserve up to twice the
    // limit, and the copy while growing briefly holds old and new buffers together.
    body.reserve(std::min(t->max_body, std::max(body.size() + n, body.capacity() * 2)));
  }
  body.append(data, n);
  return n;
}

struct StreamContext {
  Transfer* transfer;
  CURL* easy;
};

size_t onStreamBody(char* data, size_t size, size_t count, void* user) {
  auto* ctx = static_cast<StreamContext*>(user);
  Transfer* t = ctx->transfer;
  const size_t n = size * count;
  t->last_data = std::chrono::steady_clock::now();
  const long status = statusOf(ctx->easy);
  if (status < 200 || status >= 300) {
    // Error responses are small and callers want to parse them (a Kubernetes Status): collect, capped.
    const size_t cap = std::min(kMaxErrorBody, t->max_body);
    const size_t room = cap - std::min(cap, t->response.body.size());
    t->response.body.append(data, std::min(n, room));
    return n;
  }
  if (!(*t->on_chunk)(std::string_view(data, n))) {
    t->stopped_by_handler = true;
    return 0;  // makes libcurl end the transfer with CURLE_WRITE_ERROR, which we treat as success
  }
  return n;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

struct HttpClient::Impl {
  HttpClientOptions options;
  std::atomic<bool> cancelled{false};

  std::mutex mu;
  std::vector<std::unique_ptr<Slot>> idle;  // guarded by mu
  std::set<CURLM*> active;                  // guarded by mu; woken by cancel()

  std::unique_ptr<Slot> acquire() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!idle.empty()) {
        auto slot = std::move(idle.back());
        idle.pop_back();
        active.insert(slot->multi.get());
        return slot;
      }
    }
    auto slot = std::make_unique<Slot>();
    slot->multi.reset(curl_multi_init());
    slot->easy.reset(curl_easy_init());
    if (!slot->multi || !slot->easy) return nullptr;
    std::lock_guard<std::mutex> lock(mu);
    active.insert(slot->multi.get());
    return slot;
  }

  void release(std::unique_ptr<Slot> slot, bool reusable) {
    std::lock_guard<std::mutex> lock(mu);
    active.erase(slot->multi.get());
    if (reusable && idle.size() < kMaxIdleSlots) idle.push_back(std::move(slot));
  }

  Error configure(CURL* easy, const HttpRequest& request, Transfer& transfer, StreamContext* stream,
                  curl_slist* headers, char* errbuf, std::optional<std::chrono::milliseconds> timeout) const;

  Result<HttpResponse> run(const HttpRequest& request, const BodyChunkHandler* on_chunk,
                           std::optional<std::chrono::milliseconds> idle_timeout);
};

namespace {

// Sets an option and remembers the first failure (an option libcurl does not support is a setup error).
class Setter {
 public:
  explicit Setter(CURL* easy) : easy_(easy) {}
  template <typename T>
  void operator()(CURLoption option, T value) {
    const CURLcode rc = curl_easy_setopt(easy_, option, value);
    if (rc != CURLE_OK && first_error_ == CURLE_OK) first_error_ = rc;
  }
  CURLcode firstError() const { return first_error_; }

 private:
  CURL* easy_;
  CURLcode first_error_ = CURLE_OK;
};

SlistPtr buildHeaders(const HttpRequest& request) {
  curl_slist* list = nullptr;
  auto add = [&list](const std::string& line) {
    curl_slist* next = curl_slist_append(list, line.c_str());
    if (next != nullptr) list = next;
  };
  for (const auto& [name, value] : request.headers) {
    // "Name;" is libcurl's spelling of a header with an empty value ("Name:" would remove it).
    add(value.empty() ? name + ";" : name + ": " + value);
  }
  // Never wait for "100 Continue": every body is in memory and every server we talk to answers directly.
  add("Expect:");
  // libcurl labels every POST body application/x-www-form-urlencoded unless told otherwise; a body is only
  // labelled by the caller (signers sign exactly what the caller set).
  const bool has_content_type = std::any_of(request.headers.begin(), request.headers.end(),
                                            [](const auto& h) { return toLower(h.first) == "content-type"; });
  if (!has_content_type) add("Content-Type:");
  return SlistPtr(list);
}

// CR and LF would end the header line and let the rest be read as further headers or a second request; NUL
// would cut it short inside libcurl. Checked before anything is sent.
bool hasLineBreakOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != s.npos;
}

Error validate(const HttpRequest& request) {
  if (request.method.empty() ||
      request.method.find_first_of(std::string_view(" \t\r\n\0", 5)) != std::string::npos) {
    return makeError(ErrorKind::kInvalidArgument, "malformed method");
  }
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || hasLineBreakOrNul(name) || name.find(':') != std::string::npos) {
      return makeError(ErrorKind::kInvalidArgument, "refused a malformed header name");
    }
    if (hasLineBreakOrNul(value)) {
      // The value is never echoed: it may be a credential.
      return makeError(ErrorKind::kInvalidArgument,
                       "refused header " + name + ": its value contains CR, LF or NUL");
    }
  }
  return Error{};
}

std::string proxyFromUppercaseEnv(const std::string& url) {
  // libcurl ignores upper-case HTTP_PROXY (a CGI safety rule); Go, kubectl and the AWS SDKs honour it, and
  // users of this controller set it that way. The lower-case spelling still wins, as in libcurl.
  if (url.rfind("http://", 0) != 0) return {};
  if (const char* lower = std::getenv("http_proxy"); lower != nullptr && *lower != '\0') return {};
  const char* upper = std::getenv("HTTP_PROXY");
  return upper != nullptr ? std::string(upper) : std::string();
}

void setMethod(Setter& set, const HttpRequest& request) {
  const std::string& m = request.method;
  if (m == "GET") {
    set(CURLOPT_HTTPGET, 1L);
  } else if (m == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else {
    if (m != "POST") set(CURLOPT_CUSTOMREQUEST, m.c_str());
    if (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      set(CURLOPT_POSTFIELDS, request.body.c_str());
    }
  }
}

// TLS settings; a response body over max_response_bytes (when not 0) fails before it is read.
void setTls(Setter& set, const HttpClientOptions& o, size_t max_response_bytes) {
  // TLS 1.0 and 1.1 are broken and deprecated (RFC 8996); no AWS or Kubernetes endpoint needs them.
  set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (max_response_bytes > 0) {
    // A Content-Length over the limit fails before any of the body is read (CURLE_FILESIZE_EXCEEDED); the
    // write callback covers chunked and unannounced bodies.
    set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_response_bytes));
  }
  if (o.insecure_skip_tls_verify) {
    set(CURLOPT_SSL_VERIFYPEER, 0L);
    set(CURLOPT_SSL_VERIFYHOST, 0L);
  } else {
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
  }
  if (!o.ca_pem.empty() || !o.ca_file.empty()) {
    // A configured CA replaces the system store rather than adding to it (as kubectl does).
    set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));
  }
  if (!o.ca_pem.empty()) {
    curl_blob blob{const_cast<char*>(o.ca_pem.data()), o.ca_pem.size(), CURL_BLOB_COPY};
    set(CURLOPT_CAINFO_BLOB, &blob);
  } else if (!o.ca_file.empty()) {
    set(CURLOPT_CAINFO, o.ca_file.c_str());
  }
  if (!o.client_cert_pem.empty()) {
    curl_blob blob{const_cast<char*>(o.client_cert_pem.data()), o.client_cert_pem.size(), CURL_BLOB_COPY};
    set(CURLOPT_SSLCERT_BLOB, &blob);
    set(CURLOPT_SSLCERTTYPE, "PEM");
  } else if (!o.client_cert_file.empty()) {
    set(CURLOPT_SSLCERT, o.client_cert_file.c_str());
    set(CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!o.client_key_pem.empty()) {
    curl_blob blob{const_cast<char*>(o.client_key_pem.data()), o.client_key_pem.size(), CURL_BLOB_COPY};
    set(CURLOPT_SSLKEY_BLOB, &blob);
    set(CURLOPT_SSLKEYTYPE, "PEM");
  } else if (!o.client_key_file.empty()) {
    set(CURLOPT_SSLKEY, o.client_key_file.c_str());
    set(CURLOPT_SSLKEYTYPE, "PEM");
  }
}

void setProxy(Setter& set, const HttpRequest& request) {
  // Proxies: libcurl reads http_proxy, HTTPS_PROXY/https_proxy, ALL_PROXY and NO_PROXY itself as long as
  // CURLOPT_PROXY stays unset; we only add the upper-case HTTP_PROXY it ignores.
  if (request.bypass_proxy) {
    // "" disables the environment's proxy variables and "*" matches every host in the no-proxy list: either
    // alone is documented to be enough; both together leave no doubt.
    set(CURLOPT_PROXY, "");
    set(CURLOPT_NOPROXY, "*");
  } else if (const std::string proxy = proxyFromUppercaseEnv(request.url); !proxy.empty()) {
    set(CURLOPT_PROXY, proxy.c_str());  // libcurl copies the string
  }
}

enum class Ending { kDone, kCancelled, kAborted, kIdle, kMultiError };

// Runs the transfer already added to `multi` until it ends, is cancelled or aborted, or idles past
// idle_timeout; `result` gets libcurl's result when it ended (kDone).
Ending drive(CURLM* multi, CURL* easy, const HttpRequest& request, const Transfer& transfer,
             std::optional<std::chrono::milliseconds> idle_timeout, const std::atomic<bool>& cancelled,
             CURLcode& result) {
  for (;;) {
    int running = 0;
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      return Ending::kMultiError;
    }
    if (running == 0) {
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) result = msg->data.result;
      }
      return Ending::kDone;
    }
    if (cancelled.load()) {
      return Ending::kCancelled;
    }
    if (request.abort_if && request.abort_if()) {
      return Ending::kAborted;
    }
    if (idle_timeout && std::chrono::steady_clock::now() - transfer.last_data > *idle_timeout) {
      return Ending::kIdle;
    }
    if (curl_multi_poll(multi, nullptr, 0, kPollIntervalMs, nullptr) != CURLM_OK) {
      return Ending::kMultiError;
    }
  }
}

// The error for a transfer libcurl ended with `result` (not CURLE_OK).
Error transferError(CURLcode result, const char* errbuf, const std::string& where, bool cancelled) {
  const std::string detail =
      errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(result));
  if (result == CURLE_OPERATION_TIMEDOUT) return makeError(ErrorKind::kTimeout, where + ": " + detail);
  if (result == CURLE_ABORTED_BY_CALLBACK && cancelled)
    return makeError(ErrorKind::kCancelled, where + ": cancelled");
  if (isTlsError(result)) return makeError(ErrorKind::kNetwork, where + ": TLS failure: " + detail);
  return makeError(ErrorKind::kNetwork, where + ": " + detail);
}

}  // namespace

Error HttpClient::Impl::configure(CURL* easy, const HttpRequest& request, Transfer& transfer,
                                  StreamContext* stream, curl_slist* headers, char* errbuf,
                                  std::optional<std::chrono::milliseconds> timeout) const {
  curl_easy_reset(easy);  // keeps live connections, TLS sessions and the DNS cache
  Setter set(easy);
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_ERRORBUFFER, errbuf);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_USERAGENT, options.user_agent.c_str());
  set(CURLOPT_HTTPHEADER, headers);
  set(CURLOPT_FOLLOWLOCATION, 0L);  // a redirect would resend our Authorization header elsewhere
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_TCP_KEEPALIVE, 1L);  // long watches: let the kernel notice a peer that vanished

  setMethod(set, request);

  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS, timeout ? static_cast<long>(timeout->count()) : 0L);

  setTls(set, options, stream == nullptr ? request.max_response_bytes : 0);

  setProxy(set, request);

  set(CURLOPT_HEADERFUNCTION, &onHeader);
  set(CURLOPT_HEADERDATA, &transfer);
  if (stream != nullptr) {
    set(CURLOPT_WRITEFUNCTION, &onStreamBody);
    set(CURLOPT_WRITEDATA, stream);
  } else {
    set(CURLOPT_WRITEFUNCTION, &onBody);
    set(CURLOPT_WRITEDATA, &transfer);
  }
  if (set.firstError() != CURLE_OK) {
    return makeError(ErrorKind::kInternal,
                     std::string("libcurl rejected an option: ") + curl_easy_strerror(set.firstError()));
  }
  return Error{};
}

Result<HttpResponse> HttpClient::Impl::run(const HttpRequest& request, const BodyChunkHandler* on_chunk,
                                           std::optional<std::chrono::milliseconds> idle_timeout) {
  const std::string where = request.method + " " + redactedUrl(request.url);
  if (Error e = validate(request); !e.message.empty()) {
    e.message = where + ": " + e.message;
    return e;
  }
  if (cancelled.load()) return makeError(ErrorKind::kCancelled, where + ": cancelled");
  const std::string aborted = where + ": aborted by its caller before completion";
  if (request.abort_if && request.abort_if()) return makeError(ErrorKind::kCancelled, aborted);

  std::unique_ptr<Slot> slot = acquire();
  if (!slot) return makeError(ErrorKind::kInternal, where + ": cannot create a libcurl handle");
  CURL* easy = slot->easy.get();
  CURLM* multi = slot->multi.get();

  Transfer transfer;
  transfer.on_chunk = on_chunk;
  transfer.max_body = request.max_response_bytes;
  StreamContext stream_ctx{&transfer, easy};
  SlistPtr headers = buildHeaders(request);
  char errbuf[CURL_ERROR_SIZE] = {};
  // A stream has no overall timeout (idle_timeout ends a stalled one). Built in two steps: GCC 12 at -O3
  // warned maybe-uninitialized about the conditional-expression form.
  std::optional<std::chrono::milliseconds> timeout;
  if (on_chunk == nullptr) timeout.emplace(request.timeout.value_or(options.request_timeout));
  if (Error e = configure(easy, request, transfer, on_chunk != nullptr ? &stream_ctx : nullptr, headers.get(),
                          errbuf, timeout);
      !e.message.empty()) {
    release(std::move(slot), false);
    e.message = where + ": " + e.message;
    return e;
  }

  transfer.last_data = std::chrono::steady_clock::now();
  if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
    release(std::move(slot), false);
    return makeError(ErrorKind::kInternal, where + ": cannot start the transfer");
  }

  CURLcode result = CURLE_OK;
  const Ending ending = drive(multi, easy, request, transfer, idle_timeout, cancelled, result);
  curl_multi_remove_handle(multi, easy);  // aborts the transfer if it is still running
  // A connection abandoned mid-transfer is closed by libcurl; the slot itself stays reusable. After an
  // oversized response the slot (and the connection cache in its multi handle) is thrown away, so that the
  // rest of that body is never read, not even to reuse the connection.
  const bool too_large = transfer.too_large || (ending == Ending::kDone && result == CURLE_FILESIZE_EXCEEDED);
  release(std::move(slot), ending != Ending::kMultiError && !too_large);

  switch (ending) {
    case Ending::kCancelled:
      return makeError(ErrorKind::kCancelled, where + ": cancelled");
    case Ending::kAborted:
      return makeError(ErrorKind::kCancelled, aborted);
    case Ending::kIdle:
      return makeError(ErrorKind::kTimeout, where + ": stream received nothing for " +
                                                std::to_string(idle_timeout->count()) + " ms");
    case Ending::kMultiError:
      return makeError(ErrorKind::kNetwork, where + ": libcurl multi interface failed");
    case Ending::kDone:
      break;
  }

  if (too_large) {
    const bool header_limit = transfer.header_bytes > kMaxResponseHeaderBytes;
    return makeError(ErrorKind::kTooLarge,
                     where + ": response " + (header_limit ? "headers exceed the " : "body exceeds the ") +
                         std::to_string(header_limit ? kMaxResponseHeaderBytes : request.max_response_bytes) +
                         "-byte limit for this request; connection dropped");
  }
  if (result == CURLE_WRITE_ERROR && transfer.stopped_by_handler) result = CURLE_OK;
  if (result != CURLE_OK) return transferError(result, errbuf, where, cancelled.load());
  transfer.response.status = statusOf(easy);
  return std::move(transfer.response);
}

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
  globalInit();
  impl_->options = std::move(options);
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::perform(const HttpRequest& request) {
  return impl_->run(request, nullptr, std::nullopt);
}

Result<HttpResponse> HttpClient::stream(const HttpRequest& request, const BodyChunkHandler& on_chunk,
                                        std::chrono::milliseconds idle_timeout) {
  return impl_->run(request, &on_chunk, idle_timeout);
}

void HttpClient::cancel() {
  impl_->cancelled.store(true);
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (CURLM* multi : impl_->active) curl_multi_wakeup(multi);
}

bool HttpClient::cancelled() const { return impl_->cancelled.load(); }

const HttpClientOptions& HttpClient::options() const { return impl_->options; }

}  // namespace aar::net
