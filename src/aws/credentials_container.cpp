#include "aws/credentials_container.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "aws/credentials_util.hpp"
#include "net/http_status.hpp"

namespace aar::aws {
namespace {

constexpr char kRelativeUriVar[] = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
constexpr char kFullUriVar[] = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
constexpr char kTokenVar[] = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
constexpr char kTokenFileVar[] = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
constexpr const char* kAllowedHttpHosts[] = {"169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost",
                                             "::1"};
constexpr char kName[] = "container";

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Host without port; IPv6 literals without brackets.
std::string hostOnly(const std::string& authority) {
  std::string host = authority;
  if (auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  if (!host.empty() && host[0] == '[') {
    auto close = host.find(']');
    return close == std::string::npos ? "" : host.substr(1, close - 1);
  }
  if (auto colon = host.find(':'); colon != std::string::npos) host.resize(colon);
  return host;
}

bool isLoopbackV4(const std::string& host) {
  // 127.a.b.c with four decimal octets.
  int parts = 0;
  size_t pos = 0;
  while (pos <= host.size()) {
    size_t dot = host.find('.', pos);
    if (dot == std::string::npos) dot = host.size();
    const std::string octet = host.substr(pos, dot - pos);
    if (octet.empty() || octet.size() > 3 || !std::all_of(octet.begin(), octet.end(), ::isdigit) ||
        std::stoi(octet) > 255) {
      return false;
    }
    if (parts == 0 && octet != "127") return false;
    ++parts;
    pos = dot + 1;
    if (dot == host.size()) break;
  }
  return parts == 4;
}

}  // namespace

bool containerFullUriAllowed(std::string_view url) {
  auto parts = splitUrl(url);
  if (!parts.ok()) return false;
  const std::string scheme = lower(parts->scheme);
  if (scheme == "https") return true;
  if (scheme != "http") return false;
  const std::string host = lower(hostOnly(parts->host));
  if (isLoopbackV4(host)) return true;
  return std::find_if(std::begin(kAllowedHttpHosts), std::end(kAllowedHttpHosts),
                      [&](const char* h) { return host == h; }) != std::end(kAllowedHttpHosts);
}

ContainerCredentialsProvider::ContainerCredentialsProvider(EnvLookup env, net::HttpClient& http,
                                                           ContainerOptions options)
    : env_(std::move(env)), http_(http), options_(std::move(options)) {}

Result<Credentials> ContainerCredentialsProvider::get() {
  const std::string relative = envOr(env_, kRelativeUriVar);
  const std::string full = envOr(env_, kFullUriVar);
  if (relative.empty() && full.empty()) {
    return makeError(ErrorKind::kUnavailable,
                     std::string(kName) + ": " + kRelativeUriVar + " and " + kFullUriVar + " are not set");
  }
  std::string url;
  if (!relative.empty()) {
    url = options_.relative_uri_base + (relative[0] == '/' ? relative : "/" + relative);
  } else {
    if (!containerFullUriAllowed(full)) {
      return makeError(
          ErrorKind::kInvalidArgument,
          std::string(kName) + ": " + kFullUriVar + " " + full +
              " is not allowed: it must be https, or http to a loopback, ECS or EKS Pod Identity host");
    }
    url = full;
  }

  std::string authorization;
  if (const std::string token_file = envOr(env_, kTokenFileVar); !token_file.empty()) {
    auto token = readSecretFile(token_file, "container authorization token");
    if (!token.ok()) return makeError(token.error().kind, std::string(kName) + ": " + token.error().message);
    authorization = std::move(token.value());
  } else {
    authorization = envOr(env_, kTokenVar);
  }
  if (authorization.find_first_of("\r\n") != std::string::npos) {
    return makeError(ErrorKind::kInvalidArgument,
                     std::string(kName) + ": the authorization token contains a line break");
  }

  net::HttpRequest req;
  req.method = "GET";
  req.url = url;
  req.headers = {{"Accept", "application/json"}};
  if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
  req.timeout = options_.timeout;
  // The answer is one small JSON document (keys, a session token of a few KiB, an expiry): 64 KiB is ample.
  constexpr size_t kMaxContainerCredentialsBytes = 64 * 1024;
  req.max_response_bytes = kMaxContainerCredentialsBytes;
  // A node-local or link-local endpoint handing out credentials: never through a proxy, which would see them
  // (and could not reach the endpoint anyway).
  req.bypass_proxy = true;

  Error last = makeError(ErrorKind::kInternal, "no attempt made");
  const int attempts = std::max(1, options_.retry.max_attempts);
  base::Clock& clock = options_.clock != nullptr ? *options_.clock : base::systemClock();
  const RandomFn random = options_.random ? options_.random : defaultRandom();
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    // A retry waits its backoff first (the SDKs' standard mode), so a struggling agent is not hammered.
    if (attempt > 1) clock.sleepFor(backoffDelay(options_.retry, attempt - 2, random()));
    auto resp = http_.perform(req);
    if (!resp.ok()) {
      last = makeError(resp.error().kind, std::string(kName) + ": GET " + url + ": " +
                                              redact(resp.error().message, {authorization}));
      if (resp.error().kind == ErrorKind::kCancelled) return last;
      spdlog::debug("credentials: {} attempt {} failed: {}", kName, attempt, last.message);
      continue;
    }
    if (resp->status == 200) {
      auto creds = parseCredentialsJson(resp->body, kName);
      if (creds.ok()) spdlog::debug("credentials: {} got credentials from {}", kName, url);
      return creds;
    }
    std::string code;
    nlohmann::json doc = nlohmann::json::parse(resp->body, nullptr, false);
    if (doc.is_object() && doc.contains("Code") && doc["Code"].is_string())
      code = doc["Code"].get<std::string>();
    last = makeError(net::errorKindForHttpStatus(resp->status),
                     std::string(kName) + ": GET " + url + ": HTTP " + std::to_string(resp->status) +
                         (code.empty() ? "" : " " + redact(code, {authorization})));
    spdlog::debug("credentials: {} attempt {}: {}", kName, attempt, last.message);
    if (resp->status < 500) return last;
  }
  return last;
}

}  // namespace aar::aws
