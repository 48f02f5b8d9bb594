#include "aws/credentials_profile.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aws/credentials_util.hpp"

namespace aar::aws {
namespace {

constexpr char kProfileVar[] = "AWS_PROFILE";
constexpr char kCredentialsFileVar[] = "AWS_SHARED_CREDENTIALS_FILE";
constexpr char kConfigFileVar[] = "AWS_CONFIG_FILE";
constexpr char kHomeVar[] = "HOME";
constexpr char kDefaultProfile[] = "default";
constexpr char kDefaultCredentialsFile[] = "~/.aws/credentials";
constexpr char kDefaultConfigFile[] = "~/.aws/config";
constexpr char kAccessKeyIdKey[] = "aws_access_key_id";
constexpr char kSecretAccessKeyKey[] = "aws_secret_access_key";
constexpr char kSessionTokenKey[] = "aws_session_token";
constexpr const char* kUnsupportedSourceKeys[] = {
    "role_arn",      "credential_process",      "sso_session",
    "sso_start_url", "web_identity_token_file", "credential_source"};
constexpr char kName[] = "profile";

std::string trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

// Drops a trailing comment that whitespace introduces: "v ;note" → "v".
std::string stripValueComment(std::string_view value) {
  for (size_t i = 1; i < value.size(); ++i) {
    if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
      return trim(value.substr(0, i));
    }
  }
  return trim(value);
}

struct LoadedFile {
  bool exists = false;
  IniSections sections;
};

Result<LoadedFile> loadIni(const std::string& path) {
  LoadedFile out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return out;
  out.exists = true;
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorKind::kParse, std::string(kName) + ": " + path + " cannot be read");
  std::ostringstream buf;
  buf << in.rdbuf();
  auto parsed = parseIni(buf.str(), path);
  if (!parsed.ok()) return parsed.error();
  out.sections = std::move(parsed.value());
  return out;
}

std::string expandHome(const std::string& path, const EnvLookup& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    const std::string home = envOr(env, kHomeVar);
    if (home.empty()) return "";
    return home + path.substr(1);
  }
  return path;
}

}  // namespace

Result<IniSections> parseIni(std::string_view text, const std::string& origin) {
  IniSections sections;
  std::map<std::string, std::string>* current = nullptr;
  std::string* last_value = nullptr;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') {
      if (end == text.size()) break;
      continue;
    }
    auto fail = [&](const char* why) {
      return makeError(ErrorKind::kParse,
                       std::string(kName) + ": " + origin + " line " + std::to_string(line_no) + ": " + why);
    };
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    if (line[0] == '[') {
      const auto close = line.find(']');
      if (close == std::string::npos) return fail("section header without ']'");
      const std::string name = trim(std::string_view(line).substr(1, close - 1));
      if (name.empty()) return fail("empty section name");
      current = &sections[name];
      last_value = nullptr;
    } else if (indented && last_value != nullptr) {
      // Continuation or sub-property of the previous property.
      if (!last_value->empty()) last_value->push_back('\n');
      last_value->append(line);
    } else {
      const auto eq = line.find('=');
      if (eq == std::string::npos) return fail("expected 'key = value'");
      if (current == nullptr) return fail("property outside any section");
      const std::string key = trim(std::string_view(line).substr(0, eq));
      if (key.empty()) return fail("empty property name");
      std::string& slot = (*current)[key];
      slot = stripValueComment(std::string_view(line).substr(eq + 1));
      last_value = &slot;
    }
    if (end == text.size()) break;
  }
  return sections;
}

ProfileCredentialsProvider::ProfileCredentialsProvider(EnvLookup env) : env_(std::move(env)) {}

Result<Credentials> ProfileCredentialsProvider::get() {
  const std::string explicit_profile = envOr(env_, kProfileVar);
  const std::string profile = explicit_profile.empty() ? kDefaultProfile : explicit_profile;
  const std::string credentials_path =
      expandHome(envOr(env_, kCredentialsFileVar, kDefaultCredentialsFile), env_);
  const std::string config_path = expandHome(envOr(env_, kConfigFileVar, kDefaultConfigFile), env_);

  LoadedFile credentials_file, config_file;
  if (!credentials_path.empty()) {
    auto r = loadIni(credentials_path);
    if (!r.ok()) return r.error();
    credentials_file = std::move(r.value());
  }
  if (!config_path.empty()) {
    auto r = loadIni(config_path);
    if (!r.ok()) return r.error();
    config_file = std::move(r.value());
  }
  if (!credentials_file.exists && !config_file.exists) {
    return makeError(ErrorKind::kUnavailable,
                     std::string(kName) + ": no shared credentials file (" +
                         (credentials_path.empty() ? "HOME not set" : credentials_path) + ") or config file");
  }

  const std::map<std::string, std::string>* from_credentials = nullptr;
  const std::map<std::string, std::string>* from_config = nullptr;
  if (auto it = credentials_file.sections.find(profile); it != credentials_file.sections.end()) {
    from_credentials = &it->second;
  }
  if (auto it = config_file.sections.find("profile " + profile); it != config_file.sections.end()) {
    from_config = &it->second;
  } else if (profile == kDefaultProfile) {
    if (auto d = config_file.sections.find(kDefaultProfile); d != config_file.sections.end())
      from_config = &d->second;
  }
  if (from_credentials == nullptr && from_config == nullptr) {
    const std::string msg = std::string(kName) + ": profile '" + profile + "' not found in the shared files";
    return makeError(explicit_profile.empty() ? ErrorKind::kUnavailable : ErrorKind::kInvalidArgument, msg);
  }

  auto lookup = [&](const char* key) -> std::string {
    for (const auto* section : {from_credentials, from_config}) {
      if (section == nullptr) continue;
      if (auto it = section->find(key); it != section->end() && !it->second.empty()) return it->second;
    }
    return "";
  };
  Credentials c;
  c.access_key_id = lookup(kAccessKeyIdKey);
  c.secret_access_key = lookup(kSecretAccessKeyKey);
  c.session_token = lookup(kSessionTokenKey);
  c.provider = kName;
  if (c.access_key_id.empty() && c.secret_access_key.empty()) {
    for (const char* key : kUnsupportedSourceKeys) {
      if (!lookup(key).empty()) {
        return makeError(ErrorKind::kInvalidArgument, std::string(kName) + ": profile '" + profile +
                                                          "' uses " + key +
                                                          ", which is not supported (static keys only)");
      }
    }
    return makeError(ErrorKind::kUnavailable,
                     std::string(kName) + ": profile '" + profile + "' has no " + kAccessKeyIdKey);
  }
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return makeError(ErrorKind::kInvalidArgument,
                     std::string(kName) + ": profile '" + profile + "' has " +
                         (c.access_key_id.empty() ? kSecretAccessKeyKey : kAccessKeyIdKey) + " but not " +
                         (c.access_key_id.empty() ? kAccessKeyIdKey : kSecretAccessKeyKey));
  }
  return c;
}

}  // namespace aar::aws
