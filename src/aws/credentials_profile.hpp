// ProfileCredentialsProvider: static keys from the shared credentials and config files, second in the chain.
//
// Files: AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials) and AWS_CONFIG_FILE (default
// ~/.aws/config);
// "~" is HOME from the injected environment. Profile: AWS_PROFILE, default "default". In the credentials file
// a profile's section is "[name]"; in the config file "[profile name]", except "[default]" (the SDKs also
// accept "[profile default]"). Keys aws_access_key_id, aws_secret_access_key, aws_session_token; a key in the
// credentials file wins over the same key in the config file.
//
// INI as the SDKs read it: "#" or ";" starts a comment line; in a property value a comment needs whitespace
// before it ("key = v ;note"); anything after "]" on a section line is ignored; indented lines continue the
// previous property (sub-properties, kept but unused); keys and section names are trimmed. A line that is
// none of these is a parse error (kParse, naming the file and line, never the content), and so the provider
// fails: a credentials file we cannot read is never half-used.
//
// Outcomes: no file, or the profile is absent and AWS_PROFILE was not set → kUnavailable (the chain moves
// on). AWS_PROFILE names a profile in neither file → kInvalidArgument. The profile has only one of the two
// keys → kInvalidArgument. The profile has no static keys but names another credential source (role_arn,
// credential_process, sso_*, web_identity_token_file) → kInvalidArgument "not supported" (rather than
// silently using a different identity further down the chain). A profile with none of these → kUnavailable.
//
// Thread-safety: get() re-reads the files each call; safe from several threads.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"
#include "aws/endpoints.hpp"

namespace aar::aws {

// section name (as written, trimmed, e.g. "profile dev") → key → value.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;

// Parses AWS shared-file INI text. origin names the file in error messages.
Result<IniSections> parseIni(std::string_view text, const std::string& origin);

class ProfileCredentialsProvider final : public CredentialsProvider {
 public:
  explicit ProfileCredentialsProvider(EnvLookup env);
  Result<Credentials> get() override;
  const char* name() const override { return "profile"; }

 private:
  EnvLookup env_;
};

}  // namespace aar::aws
