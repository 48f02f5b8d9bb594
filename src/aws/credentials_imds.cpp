#include "aws/credentials_imds.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "aws/credentials_util.hpp"
#include "net/http_status.hpp"

namespace aar::aws {
namespace {

constexpr char kDisabledVar[] = "AWS_EC2_METADATA_DISABLED";
constexpr char kEndpointVar[] = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
constexpr char kDefaultEndpoint[] = "http://169.254.169.254";
constexpr char kTokenPath[] = "/latest/api/token";
constexpr char kCredentialsPath[] = "/latest/meta-data/iam/security-credentials/";
constexpr char kTtlHeader[] = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr char kTokenHeader[] = "X-aws-ec2-metadata-token";
constexpr char kName[] = "imds";

std::string firstLine(const std::string& body) {
  const auto b = body.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = body.find_first_of("\r\n", b);
  std::string line = body.substr(b, e == std::string::npos ? std::string::npos : e - b);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
  return line;
}

}  // namespace

ImdsCredentialsProvider::ImdsCredentialsProvider(EnvLookup env, net::HttpClient& http, ImdsOptions options)
    : env_(std::move(env)), http_(http), options_(std::move(options)) {}

Result<net::HttpResponse> ImdsCredentialsProvider::send(const net::HttpRequest& bare_request) {
  // Every IMDS answer here (a session token, a role name, one credentials JSON document) is well under a few
  // KiB: 64 KiB is ample. IMDS is link-local and hands out credentials: never through a proxy.
  constexpr size_t kMaxImdsResponseBytes = 64 * 1024;
  net::HttpRequest request = bare_request;
  request.max_response_bytes = kMaxImdsResponseBytes;
  request.bypass_proxy = true;
  std::optional<Error> last;
  const int attempts = std::max(1, options_.retry.max_attempts);
  base::Clock& clock = options_.clock != nullptr ? *options_.clock : base::systemClock();
  const RandomFn random = options_.random ? options_.random : defaultRandom();
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    // A retry waits its backoff first (the SDKs' standard mode), so a struggling IMDS is not hammered.
    if (attempt > 1) clock.sleepFor(backoffDelay(options_.retry, attempt - 2, random()));
    auto resp = http_.perform(request);
    if (resp.ok() && resp->status < 500) return resp;
    if (!resp.ok() && resp.error().kind == ErrorKind::kCancelled) return resp.error();
    if (resp.ok()) {
      last = makeError(ErrorKind::kServer, "HTTP " + std::to_string(resp->status));
      if (attempt == attempts) return resp;
    } else {
      last = resp.error();
    }
    spdlog::debug("credentials: {} {} {} attempt {} failed: {}", kName, request.method, request.url, attempt,
                  last->toString());
  }
  return *last;
}

Result<Credentials> ImdsCredentialsProvider::get() {
  if (envFlagTrue(env_, kDisabledVar)) {
    return makeError(ErrorKind::kUnavailable, std::string(kName) + ": disabled by " + kDisabledVar);
  }
  std::string base = envOr(env_, kEndpointVar, kDefaultEndpoint);
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!splitUrl(base).ok()) {
    return makeError(ErrorKind::kInvalidArgument,
                     std::string(kName) + ": " + kEndpointVar + " " + base + " is not an http(s) URL");
  }

  net::HttpRequest token_req;
  token_req.method = "PUT";
  token_req.url = base + kTokenPath;
  token_req.headers = {{kTtlHeader, std::to_string(options_.token_ttl_seconds)}};
  token_req.timeout = options_.timeout;
  auto token_resp = send(token_req);
  if (!token_resp.ok()) {
    const ErrorKind kind =
        token_resp.error().kind == ErrorKind::kCancelled ? ErrorKind::kCancelled : ErrorKind::kUnavailable;
    return makeError(kind, std::string(kName) + ": no instance metadata service at " + base + " (" +
                               token_resp.error().toString() + ")");
  }
  if (token_resp->status != 200) {
    return makeError(
        net::errorKindForHttpStatus(token_resp->status),
        std::string(kName) + ": PUT " + token_req.url + ": HTTP " + std::to_string(token_resp->status));
  }
  const std::string token = firstLine(token_resp->body);
  if (token.empty()) {
    return makeError(ErrorKind::kParse, std::string(kName) + ": IMDS returned an empty session token");
  }

  auto get = [&](const std::string& url) {
    net::HttpRequest req;
    req.method = "GET";
    req.url = url;
    req.headers = {{kTokenHeader, token}};
    req.timeout = options_.timeout;
    return send(req);
  };
  auto failed = [&](const std::string& url, const Result<net::HttpResponse>& r) {
    if (!r.ok()) {
      return makeError(r.error().kind,
                       std::string(kName) + ": GET " + url + ": " + redact(r.error().toString(), {token}));
    }
    return makeError(net::errorKindForHttpStatus(r->status),
                     std::string(kName) + ": GET " + url + ": HTTP " + std::to_string(r->status));
  };

  const std::string list_url = base + kCredentialsPath;
  auto list = get(list_url);
  if (list.ok() && list->status == 404) {
    return makeError(ErrorKind::kUnavailable, std::string(kName) + ": the instance has no IAM role");
  }
  if (!list.ok() || list->status != 200) return failed(list_url, list);
  const std::string role = firstLine(list->body);
  if (role.empty()) {
    return makeError(ErrorKind::kUnavailable, std::string(kName) + ": the instance has no IAM role");
  }

  const std::string creds_url = list_url + net::urlEncode(role);
  auto creds_resp = get(creds_url);
  if (!creds_resp.ok() || creds_resp->status != 200) return failed(creds_url, creds_resp);
  nlohmann::json doc = nlohmann::json::parse(creds_resp->body, nullptr, false);
  if (doc.is_object() && doc.contains("Code") && doc["Code"].is_string() && doc["Code"] != "Success") {
    return makeError(ErrorKind::kUnavailable, std::string(kName) + ": role " + role +
                                                  " credentials not ready (Code " +
                                                  doc["Code"].get<std::string>() + ")");
  }
  auto creds = parseCredentialsJson(creds_resp->body, kName);
  if (creds.ok()) spdlog::debug("credentials: {} got credentials for instance role {}", kName, role);
  return creds;
}

}  // namespace aar::aws
