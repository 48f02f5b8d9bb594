// Fuzz target: the credentials JSON the container endpoint and IMDS return ({AccessKeyId, SecretAccessKey,
// Token, Expiration}), as parseCredentialsJson reads it for both providers.
// Properties: never crash or hang; what parses has both keys, and they and a token are isCredentialText;
// written back as JSON (Expiration through formatIso8601) it parses again to the same credentials, the expiry
// floored to the second.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "aws/credentials_util.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* provider : {"container", "imds"}) {
    auto creds = aar::aws::parseCredentialsJson(text, provider);
    if (!creds.ok()) continue;
    FUZZ_CHECK(aar::aws::isCredentialText(creds->access_key_id) &&
               aar::aws::isCredentialText(creds->secret_access_key));
    FUZZ_CHECK(creds->session_token.empty() || aar::aws::isCredentialText(creds->session_token));
    FUZZ_CHECK(creds->provider == provider);
    nlohmann::json again = {{"AccessKeyId", creds->access_key_id},
                            {"SecretAccessKey", creds->secret_access_key}};
    if (!creds->session_token.empty()) again["Token"] = creds->session_token;
    if (creds->expiration) again["Expiration"] = aar::aws::formatIso8601(*creds->expiration);
    auto reparsed = aar::aws::parseCredentialsJson(
        again.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict), provider);
    FUZZ_CHECK(reparsed.ok());
    FUZZ_CHECK(reparsed->access_key_id == creds->access_key_id);
    FUZZ_CHECK(reparsed->secret_access_key == creds->secret_access_key);
    FUZZ_CHECK(reparsed->session_token == creds->session_token);
    FUZZ_CHECK(reparsed->expiration.has_value() == creds->expiration.has_value());
    if (creds->expiration) {
      FUZZ_CHECK(*reparsed->expiration == std::chrono::floor<std::chrono::seconds>(*creds->expiration));
    }
  }
  return 0;
}
