#include "aws/credentials_assume_role.hpp"

#include <spdlog/spdlog.h>

#include "aws/credentials_cache.hpp"
#include "aws/credentials_web_identity.hpp"
#include "net/url_encode.hpp"

namespace aar::aws {
namespace {

constexpr char kAction[] = "AssumeRole";
constexpr char kVersion[] = "2011-06-15";
constexpr char kName[] = "assume-role";

}  // namespace

Result<Credentials> parseAssumeRoleXml(std::string_view body) {
  return parseStsCredentialsXml(body, kAction, kName);
}

AssumeRoleCredentialsProvider::AssumeRoleCredentialsProvider(Endpoint endpoint, net::HttpClient& http,
                                                             CredentialsProvider& source,
                                                             AssumeRoleOptions options)
    : endpoint_(std::move(endpoint)), http_(http), source_(source), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &base::systemClock();
  if (!options_.random) options_.random = defaultRandom();
  while (!endpoint_.url.empty() && endpoint_.url.back() == '/') endpoint_.url.pop_back();
  url_ = endpoint_.url + "/";
  auto parts = splitUrl(endpoint_.url);
  if (parts.ok()) {  // an invalid URL fails in get() with the HttpClient's error
    host_ = hostHeader(*parts);
    path_ = parts->path == "/" ? "/" : parts->path + "/";
  }
}

Result<Credentials> AssumeRoleCredentialsProvider::get() {
  SignedCall request;
  request.label = "STS";
  request.operation = kAction;
  request.signing_service = "sts";
  request.signing_region = endpoint_.signing_region;
  request.url = url_;
  request.path = path_;
  request.headers = {{"Host", host_}, {"Content-Type", net::kFormContentType}};
  request.body = std::string("Action=") + kAction + "&Version=" + kVersion +
                 "&RoleArn=" + net::urlEncode(options_.role_arn) +
                 "&RoleSessionName=" + net::urlEncode(options_.session_name) +
                 "&DurationSeconds=" + std::to_string(options_.duration.count());
  if (!options_.external_id.empty()) request.body += "&ExternalId=" + net::urlEncode(options_.external_id);
  request.timeout = options_.timeout;
  // An AssumeRole answer is a few KiB of XML (keys, a session token of at most a few KiB, the assumed-role
  // user); 1 MiB is hundreds of times that.
  request.max_response_bytes = std::size_t{1} << 20;
  request.parse_error = parseQueryError;

  const SignedCallContext context{http_,           source_,         options_.retry,
                                  *options_.clock, options_.random, options_.on_request};
  auto body = signedCall(context, request);
  if (!body.ok()) {
    Error e = body.error();
    e.message = std::string(kName) + " " + options_.role_arn + ": " + e.message;
    return e;
  }
  auto creds = parseAssumeRoleXml(*body);
  if (!creds.ok()) {
    Error e = creds.error();
    e.message += " (role " + options_.role_arn + ")";
    return e;
  }
  spdlog::debug("credentials: {} got temporary credentials for {}", kName, options_.role_arn);
  return creds;
}

Result<std::unique_ptr<CredentialsProvider>> makeAssumeRoleCredentialsProvider(const EnvLookup& env,
                                                                               net::HttpClient& http,
                                                                               CredentialsProvider& source,
                                                                               AssumeRoleOptions options) {
  if (options.role_arn.empty()) {
    return makeError(ErrorKind::kInvalidArgument, std::string(kName) + ": no role ARN");
  }
  auto endpoint = stsEndpoint(env);
  if (!endpoint.ok()) {
    return makeError(endpoint.error().kind, std::string(kName) + ": " + endpoint.error().message);
  }
  base::Clock* clock = options.clock != nullptr ? options.clock : &base::systemClock();
  CredentialsCacheOptions cache;
  cache.clock = clock;
  auto inner = std::make_unique<AssumeRoleCredentialsProvider>(*endpoint, http, source, std::move(options));
  return std::unique_ptr<CredentialsProvider>(
      std::make_unique<CachedCredentialsProvider>(std::move(inner), cache));
}

}  // namespace aar::aws
