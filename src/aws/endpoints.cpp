#include "aws/endpoints.hpp"

#include <re2/re2.h>

#include <array>
#include <cstdlib>
#include <memory>

namespace aar::aws {
namespace {

constexpr char kEnvRegion[] = "AWS_REGION";
constexpr char kEnvDefaultRegion[] = "AWS_DEFAULT_REGION";
constexpr char kEnvEndpointUrl[] = "AWS_ENDPOINT_URL";
constexpr char kEnvEndpointUrlIam[] = "AWS_ENDPOINT_URL_IAM";
constexpr char kEnvEndpointUrlSts[] = "AWS_ENDPOINT_URL_STS";
constexpr char kEnvEndpointUrlEks[] = "AWS_ENDPOINT_URL_EKS";

struct Partition {
  const char* id;
  const char* region_regex;  // from partitions.json
  const char* dns_suffix;
  const char* global_region;  // where a global service (IAM) is signed
  const char* iam_url;        // nullptr: https://iam.<global_region>.<dns_suffix>
};

// From AWS's partitions.json; endpoints_test checks these patterns against
// tests/data/aws-models/partitions.json.
constexpr std::array<Partition, 8> kPartitions = {{
    {"aws", R"(^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$)", "amazonaws.com", "us-east-1",
     "https://iam.amazonaws.com"},
    {"aws-cn", R"(^cn\-\w+\-\d+$)", "amazonaws.com.cn", "cn-north-1",
     "https://iam.cn-north-1.amazonaws.com.cn"},
    {"aws-us-gov", R"(^us\-gov\-\w+\-\d+$)", "amazonaws.com", "us-gov-west-1",
     "https://iam.us-gov.amazonaws.com"},
    {"aws-iso", R"(^us\-iso\-\w+\-\d+$)", "c2s.ic.gov", "us-iso-east-1", nullptr},
    {"aws-iso-b", R"(^us\-isob\-\w+\-\d+$)", "sc2s.sgov.gov", "us-isob-east-1", nullptr},
    {"aws-iso-e", R"(^eu\-isoe\-\w+\-\d+$)", "cloud.adc-e.uk", "eu-isoe-west-1", nullptr},
    {"aws-iso-f", R"(^us\-isof\-\w+\-\d+$)", "csp.hci.ic.gov", "us-isof-south-1", nullptr},
    {"aws-eusc", R"(^eusc\-(de)\-\w+\-\d+$)", "amazonaws.eu", "eusc-de-east-1", nullptr},
}};

const Partition& partitionFor(std::string_view region) {
  // Order matters: "us-gov-west-1" also looks like an "aws" region to a loose pattern; the aws pattern here
  // does not match it (its second label must be one word), but check the specific partitions first anyway.
  // RE2 (not std::regex, whose g++ 12 headers trip -Wmaybe-uninitialized under the sanitizers). Built once.
  static const std::array<std::unique_ptr<RE2>, kPartitions.size()> regexes = [] {
    std::array<std::unique_ptr<RE2>, kPartitions.size()> r;
    for (size_t i = 0; i < kPartitions.size(); ++i) r[i] = std::make_unique<RE2>(kPartitions[i].region_regex);
    return r;
  }();
  for (size_t i = kPartitions.size(); i-- > 1;) {
    if (RE2::FullMatch(region, *regexes[i])) return kPartitions[i];
  }
  return kPartitions[0];
}

Result<std::string> overrideUrl(const EnvLookup& env, const char* specific) {
  std::optional<std::string> v = env(specific);
  const char* name = specific;
  if (!v || v->empty()) {
    v = env(kEnvEndpointUrl);
    name = kEnvEndpointUrl;
  }
  if (!v || v->empty()) return std::string();
  auto parts = splitUrl(*v);
  if (!parts.ok())
    return makeError(ErrorKind::kInvalidArgument, std::string(name) + ": " + parts.error().message);
  std::string url = *v;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

EnvLookup processEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

std::string regionFromEnv(const EnvLookup& env) {
  for (const char* name : {kEnvRegion, kEnvDefaultRegion}) {
    auto v = env(name);
    if (v && !v->empty()) return *v;
  }
  return "";
}

std::string partitionForRegion(std::string_view region) { return partitionFor(region).id; }

Result<Endpoint> iamEndpoint(const EnvLookup& env) {
  const Partition& p = partitionFor(regionFromEnv(env));
  Endpoint out;
  out.partition = p.id;
  out.signing_region = p.global_region;
  auto over = overrideUrl(env, kEnvEndpointUrlIam);
  if (!over.ok()) return over.error();
  if (!over->empty()) {
    out.url = *over;
  } else if (p.iam_url != nullptr) {
    out.url = p.iam_url;
  } else {
    out.url = std::string("https://iam.") + p.global_region + "." + p.dns_suffix;
  }
  return out;
}

Result<Endpoint> stsEndpoint(const EnvLookup& env) {
  std::string region = regionFromEnv(env);
  const Partition& p = partitionFor(region);
  Endpoint out;
  out.partition = p.id;
  out.signing_region = region.empty() ? "us-east-1" : region;
  auto over = overrideUrl(env, kEnvEndpointUrlSts);
  if (!over.ok()) return over.error();
  if (!over->empty()) {
    out.url = *over;
  } else if (region.empty()) {
    out.url = "https://sts.amazonaws.com";
  } else {
    out.url = "https://sts." + region + "." + p.dns_suffix;
  }
  return out;
}

Result<Endpoint> eksEndpoint(const EnvLookup& env, const std::string& profile_region) {
  std::string region = regionFromEnv(env);
  if (region.empty()) region = profile_region;
  if (region.empty()) {
    return makeError(
        ErrorKind::kInvalidArgument,
        "EKS needs a region: set AWS_REGION (or AWS_DEFAULT_REGION, or region in the AWS profile)");
  }
  const Partition& p = partitionFor(region);
  Endpoint out;
  out.partition = p.id;
  out.signing_region = region;
  auto over = overrideUrl(env, kEnvEndpointUrlEks);
  if (!over.ok()) return over.error();
  out.url = over->empty() ? "https://eks." + region + "." + p.dns_suffix : *over;
  return out;
}

Result<UrlParts> splitUrl(std::string_view url) {
  UrlParts out;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return makeError(ErrorKind::kInvalidArgument, "not an http:// or https:// URL");
  }
  out.scheme = url.substr(0, scheme_end);
  if (out.scheme != "http" && out.scheme != "https") {
    return makeError(ErrorKind::kInvalidArgument, "not an http:// or https:// URL");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  size_t slash = rest.find_first_of("/?#");
  out.host = rest.substr(0, slash);
  if (out.host.empty() || out.host.find('@') != std::string::npos) {
    return makeError(ErrorKind::kInvalidArgument, "URL without a plain host (user info is not allowed)");
  }
  out.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.path.empty() || out.path[0] != '/') out.path = "/" + out.path;
  return out;
}

}  // namespace aar::aws
