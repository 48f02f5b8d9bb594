// Fuzz target: STS AssumeRoleWithWebIdentity responses (parseAssumeRoleWithWebIdentityXml).
// Properties: never crash or hang; what parses has all four fields, three of them isCredentialText, and a
// valid expiry, and written back as a response document (XML-escaped) it parses again to the same
// credentials, the expiry floored to the second.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aws/credentials_util.hpp"
#include "aws/credentials_web_identity.hpp"
#include "fuzz_check.hpp"

namespace {

std::string xmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto creds = aar::aws::parseAssumeRoleWithWebIdentityXml(text);
  if (!creds.ok()) return 0;
  // No whitespace or control character (a remote value must not reach an HTTP header as it is): what
  // parses can be written back as an XML 1.0 document and read the same.
  FUZZ_CHECK(aar::aws::isCredentialText(creds->access_key_id));
  FUZZ_CHECK(aar::aws::isCredentialText(creds->secret_access_key));
  FUZZ_CHECK(aar::aws::isCredentialText(creds->session_token) && creds->expiration.has_value());
  const std::string doc =
      "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
      "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>" +
      xmlEscape(creds->access_key_id) + "</AccessKeyId><SecretAccessKey>" +
      xmlEscape(creds->secret_access_key) + "</SecretAccessKey><SessionToken>" +
      xmlEscape(creds->session_token) + "</SessionToken><Expiration>" +
      aar::aws::formatIso8601(*creds->expiration) +
      "</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
  auto reparsed = aar::aws::parseAssumeRoleWithWebIdentityXml(doc);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(reparsed->access_key_id == creds->access_key_id);
  FUZZ_CHECK(reparsed->secret_access_key == creds->secret_access_key);
  FUZZ_CHECK(reparsed->session_token == creds->session_token);
  FUZZ_CHECK(*reparsed->expiration == std::chrono::floor<std::chrono::seconds>(*creds->expiration));
  return 0;
}
