// SigV4 for EKS paths that hold a percent-encoded ARN: the client's wire path is the ARN encoded as one
// segment, and the canonical request encodes that path once more (every service but S3). The expected values
// are botocore's own SigV4Auth output for the same requests (tests/aws/eks_sigv4_expected.py).
#include <gtest/gtest.h>

#include <chrono>

#include "aws/eks_client.hpp"
#include "aws/sigv4.hpp"

namespace aar::aws {
namespace {

struct Case {
  const char* method;
  const char* path;
  const char* query;
  const char* body;
  const char* canonical_request;
  const char* signature;
};

// From: /usr/bin/python3 tests/aws/eks_sigv4_expected.py (botocore 1.29.27). '~' stays unencoded, as
// botocore's percent_encode leaves it in a URI label.
const Case kCases[] = {
    {"GET", "/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fteam%2Fa.b-c_d~e", "",
     "",
     "GET\n/clusters/prod/access-entries/"
     "arn%253Aaws%253Aiam%253A%253A123456789012%253Auser%252Fteam%252Fa.b-c_d~e\n\nhost:eks.eu-west-1."
     "amazonaws.com\nx-amz-date:20240301T120000Z\n\nhost;x-amz-date\n"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "e703ea4f4d5c776c613535ae4d3757df41b28a4fcc988ca28557d1fd37d3d88f"},
    {"DELETE",
     "/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fops%2Fdeployer/"
     "access-policies/"
     "arn%3Aaws%3Aeks%3A%3Aaws%3Acluster-access-policy%2FAmazonEKSViewPolicy",
     "", "",
     "DELETE\n/clusters/prod/access-entries/"
     "arn%253Aaws%253Aiam%253A%253A123456789012%253Arole%252Fops%252Fdeployer/access-policies/"
     "arn%253Aaws%253Aeks%253A%253Aaws%253Acluster-access-policy%252FAmazonEKSViewPolicy\n\nhost:eks.eu-west-"
     "1."
     "amazonaws.com\nx-amz-date:20240301T120000Z\n\nhost;x-amz-date\n"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "dc008859caeb4e01333e9a45221f15f8a53394aa4c81265f9b5622a5c45a8e53"},
    {"POST", "/clusters/prod/access-entries", "", R"({"principalArn":"arn:aws:iam::123456789012:user/x"})",
     "POST\n/clusters/prod/access-entries\n\ncontent-type:application/"
     "json\nhost:eks.eu-west-1.amazonaws.com\n"
     "x-amz-date:20240301T120000Z\n\ncontent-type;host;x-amz-date\n"
     "7ff62a41096f485c094d68d52a46d56326b8f6714acd71a873069dcd31ced8ee",
     "d4f1877a07927700a5b6a118fab7be9568506e3134cbc2d4fa1ed173c43e0950"},
    {"GET", "/clusters/prod/access-entries", "maxResults=100&nextToken=abc%2Fdef%3D%3D", "",
     "GET\n/clusters/prod/access-entries\nmaxResults=100&nextToken=abc%2Fdef%3D%3D\nhost:eks.eu-west-1."
     "amazonaws.com\nx-amz-date:20240301T120000Z\n\nhost;x-amz-date\n"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "d85ec4241e91c7a54b66270d2d85b125ae957216f9e1f8a727304b58604a6ce7"},
};

std::chrono::system_clock::time_point when() {
  return std::chrono::system_clock::from_time_t(1709294400);  // 2024-03-01T12:00:00Z
}

TEST(EksSigV4Test, MatchesBotocoreForPathsHoldingEncodedArns) {
  const Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", std::nullopt,
                          "test"};
  for (const Case& c : kCases) {
    sigv4::Request r;
    r.method = c.method;
    r.path = c.path;
    r.query = c.query;
    r.body = c.body;
    r.headers = {{"Host", "eks.eu-west-1.amazonaws.com"}};
    if (r.method == "POST") r.headers.emplace_back("Content-Type", "application/json");
    const sigv4::SigningParams params{"eu-west-1", "eks", when()};
    auto signed_request = sigv4::withSigningHeaders(r, creds, params);
    auto creq = sigv4::canonicalRequest(signed_request, sigv4::sha256Hex(r.body), true);
    EXPECT_EQ(creq.text, c.canonical_request) << c.path;
    std::string authorization;
    for (const auto& [name, value] : sigv4::sign(r, creds, params)) {
      if (name == "Authorization") authorization = value;
    }
    EXPECT_EQ(authorization.substr(authorization.find("Signature=") + 10), c.signature) << c.path;
    EXPECT_NE(authorization.find("Credential=AKIDEXAMPLE/20240301/eu-west-1/eks/aws4_request"),
              std::string::npos);
  }
}

TEST(EksSigV4Test, TheClientEncodesEachArnAsOneSegment) {
  net::HttpClient http;
  struct None : CredentialsProvider {
    Result<Credentials> get() override { return makeError(ErrorKind::kUnavailable, "none"); }
    const char* name() const override { return "none"; }
  } none;
  EksClientOptions o;
  o.endpoint = Endpoint{"https://eks.eu-west-1.amazonaws.com", "eu-west-1", "aws"};
  o.cluster_name = "prod";
  EksClient client(http, none, o);
  EXPECT_EQ(client.entryPath("arn:aws:iam::123456789012:user/team/a.b-c_d~e"), kCases[0].path);
  EXPECT_EQ(client.entryPath("arn:aws:iam::123456789012:role/ops/deployer") +
                "/access-policies/arn%3Aaws%3Aeks%3A%3Aaws%3Acluster-access-policy%2FAmazonEKSViewPolicy",
            kCases[1].path);
  // A base path in an endpoint override is kept in front.
  o.endpoint.url = "http://127.0.0.1:8080/proxy/";
  EksClient proxied(http, none, o);
  EXPECT_EQ(proxied.entryPath("arn:aws:iam::1:user/x"),
            "/proxy/clusters/prod/access-entries/arn%3Aaws%3Aiam%3A%3A1%3Auser%2Fx");
}

}  // namespace
}  // namespace aar::aws
