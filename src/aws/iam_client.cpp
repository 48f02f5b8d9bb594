#include "aws/iam_client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <unordered_set>

#include "aws/credentials_util.hpp"
#include "aws/signed_call.hpp"
#include "net/url_encode.hpp"

namespace aar::aws {
namespace {

constexpr char kService[] = "iam";
constexpr char kApiVersion[] = "2010-05-08";

}  // namespace

IamClient::IamClient(net::HttpClient& http, CredentialsProvider& credentials, IamClientOptions options)
    : http_(http), credentials_(credentials), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &base::systemClock();
  if (!options_.random) options_.random = defaultRandom();
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

namespace {

std::string pathPrefixParameter(const std::string& path_prefix) {
  return path_prefix.empty() ? std::string() : "&PathPrefix=" + net::urlEncode(path_prefix);
}

std::string_view operationOf(IamListKind kind) {
  switch (kind) {
    case IamListKind::kUsers:
      return "ListUsers";
    case IamListKind::kRoles:
      return "ListRoles";
    case IamListKind::kGroupMembers:
      return "GetGroup";
  }
  return "ListUsers";
}

}  // namespace

Result<std::vector<IamUser>> IamClient::listUsers(const std::string& path_prefix, AwsError* details) {
  return list(IamListKind::kUsers, pathPrefixParameter(path_prefix), details);
}

Result<std::vector<IamRole>> IamClient::listRoles(const std::string& path_prefix, AwsError* details) {
  return list(IamListKind::kRoles, pathPrefixParameter(path_prefix), details);
}

Result<std::vector<IamUser>> IamClient::listGroupMembers(const std::string& group, AwsError* details) {
  AwsError aws;
  auto members = list(IamListKind::kGroupMembers, "&GroupName=" + net::urlEncode(group), &aws);
  if (details != nullptr) *details = aws;
  if (!members.ok() && aws.code == "NoSuchEntity") {
    return makeError(ErrorKind::kNotFound, "IAM group \"" + group + "\" does not exist (GetGroup: " +
                                               (aws.message.empty() ? "NoSuchEntity" : aws.message) + ")");
  }
  return members;
}

Result<std::vector<IamEntity>> IamClient::list(IamListKind kind, const std::string& parameter,
                                               AwsError* details) {
  const std::string_view operation = operationOf(kind);
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
    body += parameter;

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
  // One page holds at most 1000 users (MaxItems' ceiling) of well under 2 KiB of XML each (ARN, path, id,
  // dates; a path is at most 512 characters), so about 2 MiB at most; 8 MiB leaves four times that and
  // stops a runaway answer (a proxy or a wrong endpoint streaming without end) far inside the pod's 64 MiB:
  // the body buffer, briefly twice while it grows, plus its parse stay under about 24 MiB.
  constexpr size_t kMaxIamPageBytes = 8 << 20;
  SignedCall request;
  request.label = "IAM";
  request.operation = operation;
  request.signing_service = kService;
  request.signing_region = options_.endpoint.signing_region;
  request.url = url_;
  request.path = path_;
  request.headers = {{"Host", host_}, {"Content-Type", net::kFormContentType}};
  request.body = body;
  request.timeout = options_.request_timeout;
  request.max_response_bytes = kMaxIamPageBytes;
  request.parse_error = parseQueryError;
  const SignedCallContext context{http_,           credentials_,    options_.retry,
                                  *options_.clock, options_.random, options_.on_request};
  return signedCall(context, request, details);
}

}  // namespace aar::aws
