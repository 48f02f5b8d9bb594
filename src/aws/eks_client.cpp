#include "aws/eks_client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <random>

#include "aws/signed_call.hpp"
#include "net/url_encode.hpp"

namespace aar::aws {
namespace {

constexpr char kService[] = "eks";
constexpr char kContentType[] = "application/json";
constexpr int kMaxPages = 10000;  // a bound on a listing that never ends

// One path segment: everything but RFC 3986 unreserved characters encoded, '/' and ':' included.
std::string segment(std::string_view s) { return net::urlEncode(s); }

std::string randomUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

Error withPage(Error e, int page) {
  e.message += " (page " + std::to_string(page) + "; the listing is discarded)";
  return e;
}

// Follows nextToken through every page; fetch(token) returns one parsed page.
template <typename T, typename Fetch>
Result<std::vector<T>> listAll(std::string_view operation, Fetch fetch) {
  std::vector<T> items;
  std::string token;
  for (int page = 1; page <= kMaxPages; ++page) {
    Result<EksPage<T>> parsed = fetch(token);
    if (!parsed.ok()) return withPage(parsed.error(), page);
    for (auto& item : parsed->items) items.push_back(std::move(item));
    if (parsed->next_token.empty()) {
      spdlog::debug("EKS {}: {} items in {} page(s)", operation, items.size(), page);
      return items;
    }
    if (parsed->next_token == token) {
      return makeError(ErrorKind::kParse, "EKS " + std::string(operation) +
                                              ": the same nextToken came back twice (page " +
                                              std::to_string(page) + "; the listing is discarded)");
    }
    token = std::move(parsed->next_token);
  }
  return makeError(ErrorKind::kInternal,
                   "EKS " + std::string(operation) + ": more than " + std::to_string(kMaxPages) + " pages");
}

}  // namespace

EksClient::EksClient(net::HttpClient& http, CredentialsProvider& credentials, EksClientOptions options)
    : http_(http), credentials_(credentials), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &base::systemClock();
  if (!options_.random) options_.random = defaultRandom();
  if (!options_.request_token) options_.request_token = randomUuid;
  options_.retry.max_attempts = std::max(1, options_.retry.max_attempts);
  options_.max_results = std::clamp(options_.max_results, 1, kEksMaxResultsLimit);
  std::string url = options_.endpoint.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  auto parts = splitUrl(url);
  std::string base_path;
  if (parts.ok()) {  // an invalid URL fails in call() with the HttpClient's error
    host_ = hostHeader(*parts);
    base_url_ = parts->scheme + "://" + parts->host;
    base_path = parts->path == "/" ? "" : parts->path;
  } else {
    base_url_ = url;
  }
  cluster_path_ = base_path + "/clusters/" + segment(options_.cluster_name);
}

std::string EksClient::entryPath(const std::string& principal_arn) const {
  return cluster_path_ + "/access-entries/" + segment(principal_arn);
}

Result<EksCluster> EksClient::describeCluster(AwsError* details) {
  auto body = call("DescribeCluster", "GET", cluster_path_, "", "", details);
  if (!body.ok()) return body.error();
  return parseEksDescribeCluster(*body);
}

Result<std::vector<std::string>> EksClient::listAccessEntries(const std::string& associated_policy_arn,
                                                              AwsError* details) {
  return listAll<std::string>(
      "ListAccessEntries", [&](const std::string& token) -> Result<EksPage<std::string>> {
        std::string query = "maxResults=" + std::to_string(options_.max_results);
        if (!token.empty()) query += "&nextToken=" + segment(token);
        if (!associated_policy_arn.empty()) query += "&associatedPolicyArn=" + segment(associated_policy_arn);
        auto body = call("ListAccessEntries", "GET", cluster_path_ + "/access-entries", query, "", details);
        if (!body.ok()) return body.error();
        return parseEksListAccessEntries(*body);
      });
}

Result<EksAccessEntry> EksClient::describeAccessEntry(const std::string& principal_arn, AwsError* details) {
  auto body = call("DescribeAccessEntry", "GET", entryPath(principal_arn), "", "", details);
  if (!body.ok()) return body.error();
  return parseEksAccessEntryResponse(*body);
}

Result<EksAccessEntry> EksClient::createAccessEntry(EksCreateAccessEntryInput input, AwsError* details) {
  if (input.client_request_token.empty()) input.client_request_token = options_.request_token();
  auto body = call("CreateAccessEntry", "POST", cluster_path_ + "/access-entries", "",
                   eksCreateAccessEntryBody(input), details);
  if (!body.ok()) return body.error();
  return parseEksAccessEntryResponse(*body);
}

Result<EksAccessEntry> EksClient::updateAccessEntry(EksUpdateAccessEntryInput input, AwsError* details) {
  if (input.client_request_token.empty()) input.client_request_token = options_.request_token();
  auto body = call("UpdateAccessEntry", "POST", entryPath(input.principal_arn), "",
                   eksUpdateAccessEntryBody(input), details);
  if (!body.ok()) return body.error();
  return parseEksAccessEntryResponse(*body);
}

Status EksClient::deleteAccessEntry(const std::string& principal_arn, AwsError* details) {
  auto body = call("DeleteAccessEntry", "DELETE", entryPath(principal_arn), "", "", details);
  if (!body.ok()) return body.error();
  return Status::Ok();
}

Result<EksAssociatedAccessPolicy> EksClient::associateAccessPolicy(const std::string& principal_arn,
                                                                   const std::string& policy_arn,
                                                                   const EksAccessScope& scope,
                                                                   AwsError* details) {
  auto body = call("AssociateAccessPolicy", "POST", entryPath(principal_arn) + "/access-policies", "",
                   eksAssociateAccessPolicyBody(policy_arn, scope), details);
  if (!body.ok()) return body.error();
  return parseEksAssociateAccessPolicy(*body);
}

Result<std::vector<EksAssociatedAccessPolicy>> EksClient::listAssociatedAccessPolicies(
    const std::string& principal_arn, AwsError* details) {
  const std::string path = entryPath(principal_arn) + "/access-policies";
  return listAll<EksAssociatedAccessPolicy>(
      "ListAssociatedAccessPolicies",
      [&](const std::string& token) -> Result<EksPage<EksAssociatedAccessPolicy>> {
        std::string query = "maxResults=" + std::to_string(options_.max_results);
        if (!token.empty()) query += "&nextToken=" + segment(token);
        auto body = call("ListAssociatedAccessPolicies", "GET", path, query, "", details);
        if (!body.ok()) return body.error();
        return parseEksListAssociatedAccessPolicies(*body);
      });
}

Status EksClient::disassociateAccessPolicy(const std::string& principal_arn, const std::string& policy_arn,
                                           AwsError* details) {
  auto body = call("DisassociateAccessPolicy", "DELETE",
                   entryPath(principal_arn) + "/access-policies/" + segment(policy_arn), "", "", details);
  if (!body.ok()) return body.error();
  return Status::Ok();
}

Result<std::string> EksClient::call(std::string_view operation, const std::string& method,
                                    const std::string& path, const std::string& query,
                                    const std::string& body, AwsError* details) {
  SignedCall request;
  request.label = "EKS";
  request.operation = operation;
  request.signing_service = kService;
  request.signing_region = options_.endpoint.signing_region;
  request.method = method;
  request.url = base_url_ + path + (query.empty() ? "" : "?" + query);
  request.path = path;
  request.query = query;
  request.headers = {{"Host", host_}};
  if (method == "POST") request.headers.emplace_back("Content-Type", kContentType);
  request.body = body;
  request.timeout = options_.request_timeout;
  request.max_response_bytes = kMaxEksResponseBytes;
  request.parse_error = [](const net::HttpResponse& response) {
    AwsError aws = parseEksError(response.header("x-amzn-errortype"), response.body).value_or(AwsError{});
    aws.request_id = response.header("x-amzn-requestid").value_or("");
    return aws;
  };
  request.refine_kind = [](const AwsError& aws, Error& failure) {
    if (aws.code == "ResourceNotFoundException") failure.kind = ErrorKind::kNotFound;
    if (aws.code == "ResourceInUseException") failure.kind = ErrorKind::kAlreadyExists;
  };
  const SignedCallContext context{http_,           credentials_,    options_.retry,
                                  *options_.clock, options_.random, options_.on_request};
  return signedCall(context, request, details);
}

}  // namespace aar::aws
