// Fuzz target: STS AssumeRoleWithWebIdentity responses (parseAssumeRoleWithWebIdentityXml).
// Properties: never crash or hang; what parses has all four fields and a valid expiry, and written back as a
// response document (XML-escaped) it parses again to the same credentials, the expiry floored to the second.
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
  FUZZ_CHECK(!creds->access_key_id.empty() && !creds->secret_access_key.empty());
  FUZZ_CHECK(!creds->session_token.empty() && creds->expiration.has_value());
  // pugixml hands back text content as stored; a value with a NUL or a control character other than tab and
  // newline cannot be written back as XML 1.0, and a value with surrounding whitespace would come back the
  // same only by accident of the parser: keep the round trip to what a document can carry.
  for (const std::string* v : {&creds->access_key_id, &creds->secret_access_key, &creds->session_token}) {
    for (char c : *v) {
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') return 0;
    }
  }
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
