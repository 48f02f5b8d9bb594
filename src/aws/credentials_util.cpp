#include "aws/credentials_util.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace aar::aws {
namespace {

bool readInt(std::string_view text, size_t pos, size_t len, int& out) {
  if (pos + len > text.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    v = v * 10 + (text[i] - '0');
  }
  out = v;
  return true;
}

std::string trim(std::string_view s) {
  const char* ws = " \t\r\n\f\v";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

// The years whose every instant system_clock can hold (libstdc++: int64 nanoseconds, 1677-09-21 to
// 2262-04-11). A timestamp outside them would overflow the conversion to nanoseconds (undefined behaviour).
// The arithmetic before it is in seconds and cannot overflow; an offset of at most ±99:59 moves a time by
// less than 5 days.
constexpr int kMinYear = 1678;
constexpr int kMaxYear = 2261;
static_assert(std::chrono::sys_days{std::chrono::year{kMinYear} / 1 / 1} - std::chrono::days{5} >=
              std::chrono::floor<std::chrono::days>(std::chrono::system_clock::time_point::min()));
static_assert(std::chrono::sys_days{std::chrono::year{kMaxYear + 1} / 1 / 1} + std::chrono::days{5} <=
              std::chrono::floor<std::chrono::days>(std::chrono::system_clock::time_point::max()));

}  // namespace

std::optional<std::chrono::system_clock::time_point> parseIso8601(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+hh:mm|-hh:mm]
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20) return std::nullopt;
  if (!readInt(text, 0, 4, year) || text[4] != '-' || !readInt(text, 5, 2, month) || text[7] != '-' ||
      !readInt(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') || !readInt(text, 11, 2, hour) ||
      text[13] != ':' || !readInt(text, 14, 2, minute) || text[16] != ':' || !readInt(text, 17, 2, second)) {
    return std::nullopt;
  }
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
    if (pos == start) return std::nullopt;
  }
  int offset_seconds = 0;
  if (pos == text.size()) return std::nullopt;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh = 0, om = 0;
    if (!readInt(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !readInt(text, pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset_seconds = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  if (year < kMinYear || year > kMaxYear) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  const auto tp = sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second} - seconds{offset_seconds};
  // The instant itself, in UTC, must fall in those years too (an offset can carry 2261-12-31 into 2262): what
  // we accept is then exactly what formatIso8601 writes and we read back (found by fuzzing).
  if (tp < sys_days{std::chrono::year{kMinYear} / 1 / 1} ||
      tp >= sys_days{std::chrono::year{kMaxYear + 1} / 1 / 1})
    return std::nullopt;
  return time_point_cast<system_clock::duration>(tp);
}

std::string formatIso8601(std::chrono::system_clock::time_point time) {
  // floor, not to_time_t's truncation toward zero: before 1970 that would round a fraction up to the next
  // second, and parse(format(t)) must be t floored to the second.
  const auto t =
      static_cast<std::time_t>(std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool isCredentialText(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

Result<std::string> readSecretFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return makeError(ErrorKind::kInvalidArgument, std::string(what) + " file " + path + " cannot be read");
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    return makeError(ErrorKind::kInvalidArgument, std::string(what) + " file " + path + " cannot be read");
  }
  std::string content = trim(buf.str());
  if (content.empty()) {
    return makeError(ErrorKind::kInvalidArgument, std::string(what) + " file " + path + " is empty");
  }
  return content;
}

std::string envOr(const EnvLookup& env, const std::string& name, std::string fallback) {
  auto v = env(name);
  if (!v || v->empty()) return fallback;
  return *v;
}

bool envFlagTrue(const EnvLookup& env, const std::string& name) {
  std::string v = trim(envOr(env, name));
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "true";
}

Result<Credentials> parseCredentialsJson(std::string_view body, const char* provider) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return makeError(ErrorKind::kParse,
                     std::string(provider) + ": credentials response is not a JSON object");
  }
  auto field = [&](const char* key) -> std::optional<std::string> {
    auto it = doc.find(key);
    if (it == doc.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) return std::nullopt;
    return it->get<std::string>();
  };
  Credentials c;
  c.provider = provider;
  auto akid = field("AccessKeyId");
  auto secret = field("SecretAccessKey");
  if (!akid || !secret) {
    return makeError(ErrorKind::kParse,
                     std::string(provider) + ": credentials response lacks AccessKeyId or SecretAccessKey");
  }
  c.access_key_id = *akid;
  c.secret_access_key = *secret;
  c.session_token = field("Token").value_or("");
  if (!isCredentialText(c.access_key_id) || !isCredentialText(c.secret_access_key) ||
      (!c.session_token.empty() && !isCredentialText(c.session_token))) {
    return makeError(ErrorKind::kParse, std::string(provider) +
                                            ": credentials response has whitespace or a control character in "
                                            "AccessKeyId, SecretAccessKey or Token");
  }
  if (auto exp = field("Expiration")) {
    c.expiration = parseIso8601(*exp);
    if (!c.expiration) {
      return makeError(ErrorKind::kParse,
                       std::string(provider) + ": credentials response has a malformed Expiration");
    }
  }
  return c;
}

std::string redact(std::string text, std::initializer_list<std::string_view> secrets) {
  for (std::string_view secret : secrets) {
    if (secret.empty()) continue;
    size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
      text.replace(pos, secret.size(), "<redacted>");
      pos += 10;
    }
  }
  return text;
}

std::string describeTransportError(const Error& error) { return error.toString(); }

}  // namespace aar::aws
