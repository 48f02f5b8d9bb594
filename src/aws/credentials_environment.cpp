#include "aws/credentials_environment.hpp"

#include "aws/credentials_util.hpp"

namespace aar::aws {
namespace {

constexpr char kAccessKeyIdVar[] = "AWS_ACCESS_KEY_ID";
constexpr char kSecretAccessKeyVar[] = "AWS_SECRET_ACCESS_KEY";
constexpr char kSessionTokenVar[] = "AWS_SESSION_TOKEN";
constexpr char kExpirationVar[] = "AWS_CREDENTIAL_EXPIRATION";
constexpr char kName[] = "environment";

}  // namespace

EnvironmentCredentialsProvider::EnvironmentCredentialsProvider(EnvLookup env) : env_(std::move(env)) {}

Result<Credentials> EnvironmentCredentialsProvider::get() {
  const std::string akid = envOr(env_, kAccessKeyIdVar);
  const std::string secret = envOr(env_, kSecretAccessKeyVar);
  if (akid.empty() && secret.empty()) {
    return makeError(ErrorKind::kUnavailable, std::string(kName) + ": " + kAccessKeyIdVar + " and " +
                                                  kSecretAccessKeyVar + " are not set");
  }
  if (akid.empty() || secret.empty()) {
    const char* set = akid.empty() ? kSecretAccessKeyVar : kAccessKeyIdVar;
    const char* missing = akid.empty() ? kAccessKeyIdVar : kSecretAccessKeyVar;
    return makeError(ErrorKind::kInvalidArgument,
                     std::string(kName) + ": " + set + " is set but " + missing + " is not");
  }
  Credentials c;
  c.access_key_id = akid;
  c.secret_access_key = secret;
  c.session_token = envOr(env_, kSessionTokenVar);
  c.provider = kName;
  if (const std::string exp = envOr(env_, kExpirationVar); !exp.empty()) {
    c.expiration = parseIso8601(exp);
    if (!c.expiration) {
      return makeError(ErrorKind::kInvalidArgument,
                       std::string(kName) + ": " + kExpirationVar + " is not an ISO 8601 timestamp");
    }
  }
  return c;
}

}  // namespace aar::aws
