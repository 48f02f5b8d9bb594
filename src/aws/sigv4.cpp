#include "aws/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "net/url_encode.hpp"

namespace aar::aws::sigv4 {
namespace {

constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kDateHeader = "X-Amz-Date";
constexpr std::string_view kTokenHeader = "X-Amz-Security-Token";
constexpr std::string_view kContentShaHeader = "X-Amz-Content-Sha256";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trims and collapses inner whitespace runs (including folded header lines) to one space.
std::string canonicalHeaderValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (isSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hexValue(s[i + 1]);
      int lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string formatUtc(std::chrono::system_clock::time_point time, const char* format) {
  std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

void setHeader(std::vector<Header>& headers, std::string_view name, std::string value) {
  std::string lname = lower(name);
  for (auto& [k, v] : headers) {
    if (lower(k) == lname) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::move(value));
}

}  // namespace

std::string amzDate(std::chrono::system_clock::time_point time) { return formatUtc(time, "%Y%m%dT%H%M%SZ"); }
std::string dateStamp(std::chrono::system_clock::time_point time) { return formatUtc(time, "%Y%m%d"); }

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string hmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string canonicalUri(std::string_view path, bool normalize) {
  if (path.empty()) return "/";
  if (!normalize) return net::urlEncode(path, true);
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i) out.push_back('/');
    out += net::urlEncode(segments[i]);
  }
  if (!segments.empty() && path.back() == '/') out.push_back('/');
  return out;
}

std::string canonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view part = query.substr(start, end - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string_view k = part.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
      params.emplace_back(net::urlEncode(percentDecode(k)), net::urlEncode(percentDecode(v)));
    }
    start = end + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

CanonicalRequest canonicalRequest(const Request& request, std::string_view payload_hash,
                                  bool normalize_path) {
  // Stable sort keeps repeated names in the order they appeared, which is the order their values are joined.
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(request.headers.size());
  for (const auto& [k, v] : request.headers)
    headers.emplace_back(lower(canonicalHeaderValue(k)), canonicalHeaderValue(v));
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  CanonicalRequest out;
  std::string& t = out.text;
  t.reserve(256 + request.path.size() + request.query.size());
  t += request.method;
  t += '\n';
  t += canonicalUri(request.path, normalize_path);
  t += '\n';
  t += canonicalQuery(request.query);
  t += '\n';
  for (size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      t.pop_back();  // the '\n' of the previous value
      t += ',';
    } else {
      t += headers[i].first;
      t += ':';
      if (!out.signed_headers.empty()) out.signed_headers += ';';
      out.signed_headers += headers[i].first;
    }
    t += headers[i].second;
    t += '\n';
  }
  t += '\n';
  t += out.signed_headers;
  t += '\n';
  t += payload_hash;
  return out;
}

std::string credentialScope(std::chrono::system_clock::time_point time, std::string_view region,
                            std::string_view service) {
  std::string out = dateStamp(time);
  out += '/';
  out += region;
  out += '/';
  out += service;
  out += '/';
  out += kTerminator;
  return out;
}

std::string stringToSign(std::string_view canonical_request, std::chrono::system_clock::time_point time,
                         std::string_view region, std::string_view service) {
  std::string out(kAlgorithm);
  out += '\n';
  out += amzDate(time);
  out += '\n';
  out += credentialScope(time, region, service);
  out += '\n';
  out += sha256Hex(canonical_request);
  return out;
}

std::string signingKey(std::string_view secret_access_key, std::string_view date_stamp,
                       std::string_view region, std::string_view service) {
  std::string k = "AWS4";
  k += secret_access_key;
  std::string key = hmacSha256(k, date_stamp);
  std::fill(k.begin(), k.end(), '\0');
  key = hmacSha256(key, region);
  key = hmacSha256(key, service);
  return hmacSha256(key, kTerminator);
}

std::string signature(std::string_view signing_key, std::string_view string_to_sign) {
  return hex(hmacSha256(signing_key, string_to_sign));
}

Request withSigningHeaders(const Request& request, const Credentials& credentials,
                           const SigningParams& params) {
  Request out = request;
  setHeader(out.headers, kDateHeader, amzDate(params.time));
  if (!credentials.session_token.empty() && !params.omit_session_token) {
    setHeader(out.headers, kTokenHeader, credentials.session_token);
  }
  if (params.sign_body) setHeader(out.headers, kContentShaHeader, sha256Hex(request.body));
  return out;
}

std::vector<Header> sign(const Request& request, const Credentials& credentials,
                         const SigningParams& params) {
  Request prepared = withSigningHeaders(request, credentials, params);
  std::string payload_hash = sha256Hex(request.body);
  CanonicalRequest creq = canonicalRequest(prepared, payload_hash, params.normalize_path);
  std::string sts = stringToSign(creq.text, params.time, params.region, params.service);
  std::string key =
      signingKey(credentials.secret_access_key, dateStamp(params.time), params.region, params.service);
  std::string sig = signature(key, sts);

  std::vector<Header> out;
  out.emplace_back(std::string(kDateHeader), amzDate(params.time));
  if (!credentials.session_token.empty())
    out.emplace_back(std::string(kTokenHeader), credentials.session_token);
  if (params.sign_body) out.emplace_back(std::string(kContentShaHeader), payload_hash);
  std::string authz(kAlgorithm);
  authz += " Credential=";
  authz += credentials.access_key_id;
  authz += '/';
  authz += credentialScope(params.time, params.region, params.service);
  authz += ", SignedHeaders=";
  authz += creq.signed_headers;
  authz += ", Signature=";
  authz += sig;
  out.emplace_back("Authorization", std::move(authz));
  return out;
}

Result<Authorization> parseAuthorization(std::string_view header) {
  auto bad = [](const std::string& why) {
    return makeError(ErrorKind::kInvalidArgument, "malformed SigV4 Authorization header: " + why);
  };
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm || header.size() == kAlgorithm.size() ||
      header[kAlgorithm.size()] != ' ') {
    return bad("algorithm is not AWS4-HMAC-SHA256");
  }
  std::string_view rest = header.substr(kAlgorithm.size() + 1);
  Authorization out;
  bool have_credential = false, have_headers = false, have_signature = false;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view part = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!part.empty() && isSpace(part.front())) part.remove_prefix(1);
    while (!part.empty() && isSpace(part.back())) part.remove_suffix(1);
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) return bad("component without '='");
    std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
    if (key == "Credential") {
      std::vector<std::string_view> fields;
      size_t s = 0;
      while (true) {
        size_t slash = value.find('/', s);
        fields.push_back(
            value.substr(s, slash == std::string_view::npos ? std::string_view::npos : slash - s));
        if (slash == std::string_view::npos) break;
        s = slash + 1;
      }
      if (fields.size() != 5 || fields[4] != kTerminator || fields[0].empty())
        return bad("bad Credential scope");
      out.access_key_id = fields[0];
      out.date = fields[1];
      out.region = fields[2];
      out.service = fields[3];
      have_credential = true;
    } else if (key == "SignedHeaders") {
      size_t s = 0;
      while (s <= value.size()) {
        size_t semi = value.find(';', s);
        if (semi == std::string_view::npos) semi = value.size();
        if (semi == s) return bad("empty signed header name");
        out.signed_headers.emplace_back(value.substr(s, semi - s));
        s = semi + 1;
      }
      have_headers = true;
    } else if (key == "Signature") {
      out.signature = value;
      have_signature = true;
    } else {
      return bad("unknown component");
    }
  }
  if (!have_credential || !have_headers || !have_signature) return bad("missing component");
  return out;
}

}  // namespace aar::aws::sigv4
