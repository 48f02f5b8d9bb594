#include "aws/iam_client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>
#include <unordered_set>

#include "aws/credentials_util.hpp"
#include "aws/sigv4.hpp"
#include "net/url_encode.hpp"

namespace aar::aws {
namespace {

constexpr char kService[] = "iam";
constexpr char kApiVersion[] = "2010-05-08";
constexpr std::chrono::milliseconds kSleepSlice{50};  // how late a cancel during a backoff wait is noticed

std::string hostHeader(const UrlParts& url) {
  std::string host = url.host;
  const std::string default_port = url.scheme == "https" ? ":443" : ":80";
  if (host.size() > default_port.size() &&
      host.compare(host.size() - default_port.size(), default_port.size(), default_port) == 0) {
    host.resize(host.size() - default_port.size());
  }
  return host;
}

}  // namespace

IamClient::IamClient(net::HttpClient& http, CredentialsProvider& credentials, IamClientOptions options)
    : http_(http), credentials_(credentials), options_(std::move(options)) {
  if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
  if (!options_.random) options_.random = defaultRandom();
  if (!options_.sleep) {
    options_.sleep = [this](std::chrono::milliseconds d) {
      const auto until = std::chrono::steady_clock::now() + d;
      while (!http_.cancelled() && std::chrono::steady_clock::now() < until) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        std::this_thread::sleep_for(std::min(left, kSleepSlice));
      }
    };
  }
  options_.retry.max_attempts = std::max(1, options_.retry.max_attempts);
  options_.max_items = std::clamp(options_.max_items, 1, 1000);
  options_.max_pages = std::max(1, options_.max_pages);
  while (!options_.endpoint.url.empty() && options_.endpoint.url.back() == '/')
    options_.endpoint.url.pop_back();
  url_ = options_.endpoint.url + "/";
  auto parts = splitUrl(options_.endpoint.url);
  if (parts.ok()) {  // an invalid URL fails in call() with the HttpClient's error
    host_ = hostHeader(*parts);
    path_ = parts->path == "/" ? "/" : parts->path + "/";
  }
}

Result<std::vector<IamUser>> IamClient::listUsers(const std::string& path_prefix, AwsError* details) {
  return list(IamListKind::kUsers, path_prefix, details);
}

Result<std::vector<IamRole>> IamClient::listRoles(const std::string& path_prefix, AwsError* details) {
  return list(IamListKind::kRoles, path_prefix, details);
}

Result<std::vector<IamEntity>> IamClient::list(IamListKind kind, const std::string& path_prefix,
                                               AwsError* details) {
  const std::string_view operation = kind == IamListKind::kUsers ? "ListUsers" : "ListRoles";
  std::vector<IamEntity> items;
  std::string marker;
  // Every Marker this listing has sent. A server (or a proxy) that hands back any earlier Marker — not only
  // the previous page's — would make the listing loop for ever, re-reading pages we already hold.
  std::unordered_set<std::string> seen_markers;
  const int max_pages = options_.max_pages;
  for (int page = 1; page <= max_pages; ++page) {
    std::string body = "Action=";
    body += operation;
    body += "&Version=";
    body += kApiVersion;
    body += "&MaxItems=" + std::to_string(options_.max_items);
    if (!marker.empty()) body += "&Marker=" + net::urlEncode(marker);
    if (!path_prefix.empty()) body += "&PathPrefix=" + net::urlEncode(path_prefix);

    auto response = call(operation, body, details);
    if (!response.ok()) {
      Error e = response.error();
      e.message += " (page " + std::to_string(page) + "; the listing is discarded)";
      return e;
    }
    auto parsed = parseIamListPageInto(*response, kind, items);
    if (!parsed.ok()) {
      Error e = parsed.error();
      e.message += " (page " + std::to_string(page) + "; the listing is discarded)";
      return e;
    }
    if (!parsed->truncated) {
      spdlog::debug("IAM {}: {} items in {} page(s)", operation, items.size(), page);
      return items;
    }
    // (parseIamListPageInto already refuses a truncated page without a Marker.)
    if (parsed->marker == marker || seen_markers.count(parsed->marker) != 0) {
      return makeError(ErrorKind::kParse,
                       std::string("IAM ") + std::string(operation) + ": page " + std::to_string(page) +
                           " returned a Marker this listing has already used (request id " +
                           parsed->request_id + "); the listing is discarded");
    }
    if (!marker.empty()) seen_markers.insert(std::move(marker));
    marker = std::move(parsed->marker);
  }
  return makeError(ErrorKind::kParse, std::string("IAM ") + std::string(operation) +
                                          ": still truncated after " + std::to_string(max_pages) +
                                          " pages (the page budget); the listing is discarded");
}

Result<std::string> IamClient::call(std::string_view operation, const std::string& body, AwsError* details) {
  const int attempts = options_.retry.max_attempts;
  for (int attempt = 1;; ++attempt) {
    if (http_.cancelled()) {
      return makeError(ErrorKind::kCancelled, "IAM " + std::string(operation) + ": cancelled");
    }
    auto creds = credentials_.get();
    if (!creds.ok()) {
      Error e = creds.error();
      e.message = "IAM " + std::string(operation) + ": no credentials: " + e.message;
      return e;
    }

    sigv4::Request to_sign;
    to_sign.method = "POST";
    to_sign.path = path_;
    to_sign.headers = {{"Host", host_}, {"Content-Type", net::kFormContentType}};
    to_sign.body = body;
    sigv4::SigningParams params{options_.endpoint.signing_region, kService, options_.clock()};

    net::HttpRequest request;
    request.method = "POST";
    request.url = url_;
    request.headers = to_sign.headers;
    for (auto& h : sigv4::sign(to_sign, *creds, params)) request.headers.push_back(std::move(h));
    request.body = body;
    request.timeout = options_.request_timeout;
    // One page holds at most 1000 users (MaxItems' ceiling) of well under 2 KiB of XML each (ARN, path, id,
    // dates; a path is at most 512 characters), so about 2 MiB at most; 8 MiB leaves four times that and
    // stops a runaway answer (a proxy or a wrong endpoint streaming without end) far inside the pod's 64 MiB:
    // the body buffer, briefly twice while it grows, plus its parse stay under about 24 MiB.
    constexpr size_t kMaxIamPageBytes = 8 << 20;
    request.max_response_bytes = kMaxIamPageBytes;

    auto response = http_.perform(request);
    Error failure;
    AwsError aws;
    bool retryable = false;
    if (!response.ok()) {
      failure = response.error();
      if (options_.on_request) options_.on_request(operation, errorKindName(failure.kind));
      if (failure.kind == ErrorKind::kCancelled) return failure;
      retryable = isRetryableAwsFailure(0, "", failure.kind);
      failure.message = "IAM " + std::string(operation) + ": " + failure.message;
      aws.message = failure.message;
    } else {
      if (options_.on_request) options_.on_request(operation, std::to_string(response->status));
      if (response->status >= 200 && response->status < 300) return std::move(response->body);
      aws = parseAwsErrorXml(response->body).value_or(AwsError{});
      aws.http_status = response->status;
      if (aws.request_id.empty()) aws.request_id = response->header("x-amzn-requestid").value_or("");
      aws.message = redact(std::move(aws.message), {creds->secret_access_key, creds->session_token});
      failure = toError(aws, "IAM", operation);
      retryable = isRetryableAwsFailure(aws.http_status, aws.code, failure.kind);
    }

    if (!retryable || attempt >= attempts) {
      if (details != nullptr) *details = aws;
      if (attempt > 1) failure.message += " after " + std::to_string(attempt) + " attempts";
      return failure;
    }
    auto delay = backoffDelay(options_.retry, attempt - 1, options_.random());
    spdlog::warn("IAM {} attempt {}/{} failed: {}; retrying in {} ms", operation, attempt, attempts,
                 failure.toString(), delay.count());
    options_.sleep(delay);
  }
}

}  // namespace aar::aws
