// Where to send IAM and STS requests, and which region to sign them for.
//
// Partition from the region (AWS_REGION, else AWS_DEFAULT_REGION; none → "aws"), with the region patterns of
// AWS's partitions.json. IAM is global per partition: aws → https://iam.amazonaws.com (us-east-1),
// aws-cn → https://iam.cn-north-1.amazonaws.com.cn (cn-north-1), aws-us-gov →
// https://iam.us-gov.amazonaws.com (us-gov-west-1). STS is regional: https://sts.<region>.<dnsSuffix>; with
// no region, the global https://sts.amazonaws.com signed for us-east-1.
//
// EKS is regional: https://eks.<region>.<dnsSuffix>, signed for the region; it needs a region (AWS_REGION,
// then AWS_DEFAULT_REGION, then the profile's region given by the caller), an error without one.
//
// Overrides as the SDKs read them: AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_EKS, then
// AWS_ENDPOINT_URL.
// http:// is allowed (tests and local fakes). An override keeps the signing region the default would use.
//
// The environment is injected (EnvLookup) so tests never touch the process environment.
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace aar::aws {

// Returns the value of an environment variable, or nullopt when unset. An empty value counts as unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads the real process environment (getenv).
EnvLookup processEnv();

struct Endpoint {
  std::string url;             // scheme://host[:port][/base path], no trailing slash
  std::string signing_region;  // region for SigV4
  std::string partition;       // "aws", "aws-cn", "aws-us-gov", ...
};

// AWS_REGION, else AWS_DEFAULT_REGION, else "".
std::string regionFromEnv(const EnvLookup& env);

// Partition id for a region; unknown or empty regions → "aws".
std::string partitionForRegion(std::string_view region);

// The IAM endpoint for the environment. Error kInvalidArgument when an override is not an http(s) URL.
Result<Endpoint> iamEndpoint(const EnvLookup& env);

// The STS endpoint for the environment. Error kInvalidArgument when an override is not an http(s) URL.
Result<Endpoint> stsEndpoint(const EnvLookup& env);

// The EKS endpoint. profile_region is the shared config profile's `region` ("" when none), used only when
// neither AWS_REGION nor AWS_DEFAULT_REGION is set. Error kInvalidArgument when there is no region at all
// (even with an override URL: the signature needs one) or an override is not an http(s) URL.
Result<Endpoint> eksEndpoint(const EnvLookup& env, const std::string& profile_region = "");

// Splits an http(s) URL into its parts: scheme, host (with :port when present, as the Host header wants),
// and path ("/" when empty). Error kInvalidArgument for anything else.
struct UrlParts {
  std::string scheme;
  std::string host;
  std::string path;
};
Result<UrlParts> splitUrl(std::string_view url);

}  // namespace aar::aws
