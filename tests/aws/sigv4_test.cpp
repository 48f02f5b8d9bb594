// The signer against AWS's two official SigV4 suites (copied under tests/data/sigv4 with their LICENSE and
// NOTICE), one gtest per case, plus unit tests of the steps.
//
// Skips, as the suites mark them:
// - aws-c-auth-v4 query-*.txt files (query-string presigning): we sign with headers only, so only the
//   header-* expectations of each case are checked; those files are not copied.
// - botocore-aws4-testsuite get-vanilla-with-session-token: its .sreq's Signature contradicts its .authz; the
//   .authz is checked exactly and the .sreq up to the signature value (nothing skipped).
// - botocore-aws4-testsuite post-sts-token/post-sts-header-after: its readme says the token is added after
//   signing; the case runs with the readme's token and omit_session_token (nothing skipped).
#include "aws/sigv4.hpp"

#include <gtest/gtest.h>
#include <strings.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace aar::aws::sigv4 {
namespace {

namespace fs = std::filesystem;

const fs::path kDataDir = fs::path(AAR_SOURCE_DIR) / "tests" / "data" / "sigv4";
constexpr char kAkid[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
// From botocore-aws4-testsuite/post-sts-token/readme.txt.
constexpr char kReadmeToken[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflf"
    "KD8YUuwthAx7mSEI/qkPpKPi/"
    "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8"
    "Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iS"
    "IlTJabIQwj2ICCR/oLxBA==";

// The token get-vanilla-with-session-token signs with (its .sreq shows it; aws-c-auth-v4's context.json too).
constexpr char kCaseToken[] = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::chrono::system_clock::time_point suiteTime() {
  std::tm tm{};
  tm.tm_year = 2015 - 1900;
  tm.tm_mon = 7;
  tm.tm_mday = 30;
  tm.tm_hour = 12;
  tm.tm_min = 36;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// Parses a raw request file: "METHOD <uri, may contain spaces> HTTP/1.1", headers (folded lines start with
// whitespace), blank line, body.
struct RawRequest {
  Request request;
  std::vector<std::string> header_lines;  // verbatim, to rebuild the signed request
};

RawRequest parseRawRequest(const std::string& text) {
  RawRequest out;
  size_t pos = 0;
  auto nextLine = [&](std::string& line) {
    if (pos > text.size()) return false;
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    line = text.substr(pos, nl - pos);
    pos = nl + 1;
    return true;
  };
  std::string line;
  nextLine(line);
  size_t first = line.find(' '), last = line.rfind(' ');
  out.request.method = line.substr(0, first);
  std::string uri = line.substr(first + 1, last - first - 1);
  size_t q = uri.find('?');
  out.request.path = uri.substr(0, q);
  out.request.query = q == std::string::npos ? "" : uri.substr(q + 1);
  while (nextLine(line) && !line.empty()) {
    if ((line[0] == ' ' || line[0] == '\t') && !out.request.headers.empty()) {
      out.request.headers.back().second += "\n" + line;
      out.header_lines.back() += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    out.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    out.header_lines.push_back(line);
  }
  if (pos <= text.size()) out.request.body = text.substr(pos);
  return out;
}

std::string caseName(const fs::path& dir) {
  std::string name = fs::relative(dir, kDataDir).string();
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

std::vector<fs::path> caseDirs(const fs::path& root, const std::string& marker_ext,
                               const std::string& marker) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    if ((!marker_ext.empty() && e.path().extension() == marker_ext) ||
        (!marker.empty() && e.path().filename() == marker)) {
      out.push_back(e.path().parent_path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// --- botocore-aws4-testsuite: .req → .creq, .sts, .authz, .sreq
// ---------------------------------------------

class BotocoreSuiteTest : public testing::TestWithParam<fs::path> {};

TEST_P(BotocoreSuiteTest, MatchesEveryExpectedFile) {
  const fs::path dir = GetParam();
  const std::string stem = dir.filename().string();
  auto file = [&](const char* ext) { return readFile(dir / (stem + ext)); };
  RawRequest raw = parseRawRequest(file(".req"));

  Credentials creds{kAkid, kSecret, "", std::nullopt, "test"};
  SigningParams params{"us-east-1", "service", suiteTime()};
  if (stem == "post-sts-header-after") {
    creds.session_token = kReadmeToken;
    params.omit_session_token = true;
  }
  if (stem == "get-vanilla-with-session-token") creds.session_token = kCaseToken;

  Request prepared = withSigningHeaders(raw.request, creds, params);
  CanonicalRequest creq = canonicalRequest(prepared, sha256Hex(raw.request.body), params.normalize_path);
  EXPECT_EQ(creq.text, file(".creq"));
  std::string sts = stringToSign(creq.text, params.time, params.region, params.service);
  EXPECT_EQ(sts, file(".sts"));

  std::vector<Header> added = sign(raw.request, creds, params);
  ASSERT_FALSE(added.empty());
  ASSERT_EQ(added.back().first, "Authorization");
  EXPECT_EQ(added.back().second, file(".authz"));

  // The signed request: the original lines, each added header replacing a same-named one or appended.
  std::vector<std::string> lines = raw.header_lines;
  for (const auto& [name, value] : added) {
    auto same = std::find_if(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.size() > name.size() && l[name.size()] == ':' &&
             strncasecmp(l.c_str(), name.c_str(), name.size()) == 0;
    });
    if (same != lines.end()) {
      EXPECT_EQ(same->substr(name.size() + 1), value) << "signer changed " << name;
    } else {
      lines.push_back(name + (name == "Authorization" ? ": " : ":") + value);
    }
  }
  std::string rebuilt = file(".req").substr(0, file(".req").find('\n')) + "\n";
  for (size_t i = 0; i < lines.size(); ++i) rebuilt += lines[i] + (i + 1 < lines.size() ? "\n" : "");
  if (!raw.request.body.empty()) rebuilt += "\n\n" + raw.request.body;
  std::string expected = file(".sreq");
  while (!expected.empty() && expected.back() == '\n' && raw.request.body.empty()) expected.pop_back();
  if (stem == "get-vanilla-with-session-token") {
    // Suite quirk: this .sreq carries the token-less signature (5fa00f...), contradicting its own .authz,
    // which we match above. Compare the signed request up to the signature value.
    rebuilt = rebuilt.substr(0, rebuilt.rfind("Signature="));
    expected = expected.substr(0, expected.rfind("Signature="));
  }
  EXPECT_EQ(rebuilt, expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, BotocoreSuiteTest,
                         testing::ValuesIn(caseDirs(kDataDir / "botocore-aws4-testsuite", ".req", "")),
                         [](const testing::TestParamInfo<fs::path>& test_case) {
                           return caseName(test_case.param);
                         });

// --- aws-c-auth-v4: context.json + request.txt → header-canonical-request, -string-to-sign, -signature
// -------

class AwsCAuthSuiteTest : public testing::TestWithParam<fs::path> {};

TEST_P(AwsCAuthSuiteTest, MatchesHeaderSigningExpectations) {
  const fs::path dir = GetParam();
  nlohmann::json ctx = nlohmann::json::parse(readFile(dir / "context.json"));
  ASSERT_EQ(ctx.value("timestamp", ""), "2015-08-30T12:36:00Z");
  Credentials creds{ctx["credentials"]["access_key_id"], ctx["credentials"]["secret_access_key"],
                    ctx["credentials"].value("token", ""), std::nullopt, "test"};
  SigningParams params{ctx["region"], ctx["service"], suiteTime()};
  params.normalize_path = ctx.value("normalize", true);
  params.sign_body = ctx.value("sign_body", false);
  params.omit_session_token = ctx.value("omit_session_token", false);
  RawRequest raw = parseRawRequest(readFile(dir / "request.txt"));
  // request.txt ends its header block with a blank line; a body follows only when present.

  Request prepared = withSigningHeaders(raw.request, creds, params);
  CanonicalRequest creq = canonicalRequest(prepared, sha256Hex(raw.request.body), params.normalize_path);
  EXPECT_EQ(creq.text, readFile(dir / "header-canonical-request.txt"));
  std::string sts = stringToSign(creq.text, params.time, params.region, params.service);
  EXPECT_EQ(sts, readFile(dir / "header-string-to-sign.txt"));
  std::string key =
      signingKey(creds.secret_access_key, dateStamp(params.time), params.region, params.service);
  EXPECT_EQ(signature(key, sts), readFile(dir / "header-signature.txt"));

  std::vector<Header> added = sign(raw.request, creds, params);
  EXPECT_NE(added.back().second.find("Signature=" + readFile(dir / "header-signature.txt")),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Cases, AwsCAuthSuiteTest,
                         testing::ValuesIn(caseDirs(kDataDir / "aws-c-auth-v4", "", "context.json")),
                         [](const testing::TestParamInfo<fs::path>& test_case) {
                           return caseName(test_case.param);
                         });

// --- the steps on their own
// -------------------------------------------------------------------------------------

TEST(SigV4Test, SuiteDataIsPresentWithLicenses) {
  for (const char* suite : {"botocore-aws4-testsuite", "aws-c-auth-v4"}) {
    EXPECT_TRUE(fs::exists(kDataDir / suite / "LICENSE")) << suite;
    EXPECT_TRUE(fs::exists(kDataDir / suite / "NOTICE")) << suite;
  }
  EXPECT_GE(caseDirs(kDataDir / "botocore-aws4-testsuite", ".req", "").size(), 32u);
  EXPECT_GE(caseDirs(kDataDir / "aws-c-auth-v4", "", "context.json").size(), 38u);
}

TEST(SigV4Test, SigningKeyMatchesTheDocumentedDerivation) {
  // AWS's documented example (General Reference, "Examples of how to derive a signing key").
  EXPECT_EQ(hex(signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4Test, SignAddsTheSessionTokenAndSignsIt) {
  Request r{"POST", "/", "", {{"Host", "iam.amazonaws.com"}}, "Action=ListUsers&Version=2010-05-08"};
  Credentials creds{"AKID", "SECRET", "TOKEN", std::nullopt, "test"};
  auto headers = sign(r, creds, {"us-east-1", "iam", suiteTime()});
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0], Header("X-Amz-Date", "20150830T123600Z"));
  EXPECT_EQ(headers[1], Header("X-Amz-Security-Token", "TOKEN"));
  EXPECT_NE(headers[2].second.find("SignedHeaders=host;x-amz-date;x-amz-security-token,"), std::string::npos);
  EXPECT_EQ(headers[2].second.find("SECRET"), std::string::npos);
}

TEST(SigV4Test, SignatureChangesWithTheBody) {
  Request a{"POST", "/", "", {{"Host", "h"}}, "Action=ListUsers"};
  Request b = a;
  b.body = "Action=ListRoles";
  Credentials creds{"AKID", "SECRET", "", std::nullopt, "test"};
  EXPECT_NE(sign(a, creds, {"us-east-1", "iam", suiteTime()}).back().second,
            sign(b, creds, {"us-east-1", "iam", suiteTime()}).back().second);
}

TEST(SigV4Test, ParseAuthorizationReadsEveryComponent) {
  auto parsed = parseAuthorization(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, "
      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  ASSERT_TRUE(parsed.ok()) << parsed.error().toString();
  EXPECT_EQ(parsed->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(parsed->date, "20150830");
  EXPECT_EQ(parsed->region, "us-east-1");
  EXPECT_EQ(parsed->service, "service");
  EXPECT_EQ(parsed->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(parsed->signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, ParseAuthorizationRejectsOtherShapes) {
  EXPECT_FALSE(parseAuthorization("").ok());
  EXPECT_FALSE(parseAuthorization("AWS AKID:sig").ok());
  EXPECT_FALSE(parseAuthorization("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam, "
                                  "SignedHeaders=host, Signature=ab")
                   .ok());
  EXPECT_FALSE(parseAuthorization("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam/aws4_request, "
                                  "Signature=ab")
                   .ok());
}

TEST(SigV4Test, CanonicalUriEncodesTheWirePathAgain) {
  EXPECT_EQ(canonicalUri("/a%20b", true), "/a%2520b");
  EXPECT_EQ(canonicalUri("", true), "/");
  EXPECT_EQ(canonicalUri("//a/./b/../c//", true), "/a/c/");
  EXPECT_EQ(canonicalUri("//a/./b", false), "//a/./b");
}

}  // namespace
}  // namespace aar::aws::sigv4
