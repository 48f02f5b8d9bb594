#include "aws/credentials_web_identity.hpp"

#include <spdlog/spdlog.h>

#include <pugixml.hpp>

#include "aws/aws_error.hpp"
#include "aws/credentials_util.hpp"

namespace aar::aws {
namespace {

constexpr char kRoleArnVar[] = "AWS_ROLE_ARN";
constexpr char kTokenFileVar[] = "AWS_WEB_IDENTITY_TOKEN_FILE";
constexpr char kSessionNameVar[] = "AWS_ROLE_SESSION_NAME";
constexpr char kAction[] = "AssumeRoleWithWebIdentity";
constexpr char kVersion[] = "2011-06-15";
constexpr const char* kContentType = net::kFormContentType;
constexpr char kSessionPrefix[] = "aws-auth-refresher-";
constexpr char kName[] = "web-identity";

bool retryableCode(const std::string& code) {
  return code == "IDPCommunicationError" || code == "Throttling" || code == "ThrottlingException" ||
         code == "RequestLimitExceeded" || code == "ServiceUnavailable" || code == "InternalFailure";
}

// Child element by local name, ignoring namespaces.
pugi::xml_node child(pugi::xml_node node, const char* local) {
  for (pugi::xml_node c : node.children()) {
    std::string_view n = c.name();
    if (auto colon = n.find(':'); colon != std::string_view::npos) n = n.substr(colon + 1);
    if (n == local) return c;
  }
  return {};
}

}  // namespace

Result<Credentials> parseStsCredentialsXml(std::string_view body, const std::string& action,
                                           const char* provider) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) {
    return makeError(ErrorKind::kParse, std::string(provider) + ": STS response is not XML");
  }
  const std::string response = action + "Response";
  const std::string result = action + "Result";
  pugi::xml_node creds = child(child(child(doc, response.c_str()), result.c_str()), "Credentials");
  if (!creds) {
    return makeError(ErrorKind::kParse, std::string(provider) + ": STS response has no Credentials");
  }
  Credentials c;
  c.provider = provider;
  c.access_key_id = child(creds, "AccessKeyId").text().as_string();
  c.secret_access_key = child(creds, "SecretAccessKey").text().as_string();
  c.session_token = child(creds, "SessionToken").text().as_string();
  const std::string expiration = child(creds, "Expiration").text().as_string();
  c.expiration = parseIso8601(expiration);
  if (c.access_key_id.empty() || c.secret_access_key.empty() || c.session_token.empty() || !c.expiration) {
    return makeError(ErrorKind::kParse,
                     std::string(provider) +
                         ": STS Credentials lack AccessKeyId, SecretAccessKey, SessionToken or "
                         "a valid Expiration");
  }
  if (!isCredentialText(c.access_key_id) || !isCredentialText(c.secret_access_key) ||
      !isCredentialText(c.session_token)) {
    return makeError(ErrorKind::kParse, std::string(provider) +
                                            ": STS Credentials have whitespace or a control character in "
                                            "AccessKeyId, SecretAccessKey or SessionToken");
  }
  return c;
}

Result<Credentials> parseAssumeRoleWithWebIdentityXml(std::string_view body) {
  return parseStsCredentialsXml(body, kAction, kName);
}

WebIdentityCredentialsProvider::WebIdentityCredentialsProvider(EnvLookup env, net::HttpClient& http,
                                                               WebIdentityOptions options)
    : env_(std::move(env)), http_(http), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = &base::systemClock();
}

Result<Credentials> WebIdentityCredentialsProvider::get() {
  const std::string role_arn = envOr(env_, kRoleArnVar);
  const std::string token_file = envOr(env_, kTokenFileVar);
  if (role_arn.empty() && token_file.empty()) {
    return makeError(ErrorKind::kUnavailable,
                     std::string(kName) + ": " + kRoleArnVar + " and " + kTokenFileVar + " are not set");
  }
  if (role_arn.empty() || token_file.empty()) {
    return makeError(ErrorKind::kInvalidArgument,
                     std::string(kName) + ": " + (role_arn.empty() ? kTokenFileVar : kRoleArnVar) +
                         " is set but " + (role_arn.empty() ? kRoleArnVar : kTokenFileVar) + " is not");
  }
  auto endpoint = stsEndpoint(env_);
  if (!endpoint.ok()) {
    return makeError(endpoint.error().kind, std::string(kName) + ": " + endpoint.error().message);
  }
  auto token = readSecretFile(token_file, "web identity token");
  if (!token.ok()) return makeError(token.error().kind, std::string(kName) + ": " + token.error().message);

  std::string session_name = envOr(env_, kSessionNameVar);
  if (session_name.empty()) {
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.clock->wallNow().time_since_epoch())
            .count();
    session_name = kSessionPrefix + std::to_string(millis);
  }
  spdlog::debug("credentials: {} assuming role {} as session {} at {}", kName, role_arn, session_name,
                endpoint->url);
  return assumeRole(endpoint->url + "/", role_arn, session_name, *token);
}

Result<Credentials> WebIdentityCredentialsProvider::assumeRole(const std::string& url,
                                                               const std::string& role_arn,
                                                               const std::string& session_name,
                                                               const std::string& token) {
  net::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", kContentType}, {"Accept", "text/xml"}};
  req.body = std::string("Action=") + kAction + "&Version=" + kVersion +
             "&RoleArn=" + net::urlEncode(role_arn) + "&RoleSessionName=" + net::urlEncode(session_name) +
             "&WebIdentityToken=" + net::urlEncode(token);
  req.timeout = options_.timeout;
  // An AssumeRoleWithWebIdentity answer is a few KiB of XML (keys, a session token of at most a few KiB,
  // the assumed-role user); 1 MiB is hundreds of times that.
  constexpr size_t kMaxStsResponseBytes = 1 << 20;
  req.max_response_bytes = kMaxStsResponseBytes;

  // A server echoing the request would echo the token form-encoded.
  const std::string encoded_token = net::urlEncode(token);
  Error last = makeError(ErrorKind::kInternal, "no attempt made");
  const int attempts = std::max(1, options_.retry.max_attempts);
  base::Clock& clock = *options_.clock;
  const RandomFn random = options_.random ? options_.random : defaultRandom();
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    // A retry waits its backoff first (the SDKs' standard mode), so a struggling STS is not hammered.
    if (attempt > 1) clock.sleepFor(backoffDelay(options_.retry, attempt - 2, random()));
    auto resp = http_.perform(req);
    if (!resp.ok()) {
      last = makeError(resp.error().kind, std::string(kName) + ": STS " + kAction + " at " + url + ": " +
                                              redact(resp.error().message, {token, encoded_token}));
      if (resp.error().kind == ErrorKind::kCancelled) return last;
      spdlog::debug("credentials: {} attempt {} failed: {}", kName, attempt, last.message);
      continue;
    }
    if (resp->status == 200) {
      auto creds = parseAssumeRoleWithWebIdentityXml(resp->body);
      if (creds.ok()) {
        spdlog::debug("credentials: {} got temporary credentials for {}", kName, role_arn);
      }
      return creds;
    }
    AwsError details;
    if (auto parsed = parseAwsErrorXml(resp->body)) details = *parsed;
    details.http_status = resp->status;
    details.message = redact(details.message, {token, encoded_token});
    details.code = redact(details.code, {token, encoded_token});
    last = toError(details, "STS", kAction);
    last.message = std::string(kName) + ": " + redact(last.message, {token, encoded_token});
    if (details.code == "InvalidIdentityToken" || details.code == "ExpiredTokenException") {
      last.kind = ErrorKind::kUnauthorized;
    }
    const bool retry = resp->status >= 500 || retryableCode(details.code);
    spdlog::debug("credentials: {} attempt {}: {}", kName, attempt, last.message);
    if (!retry) return last;
  }
  return last;
}

}  // namespace aar::aws
