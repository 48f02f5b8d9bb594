#include "app/duration.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

namespace aar::app {
namespace {

struct Unit {
  std::string_view name;
  int64_t ns;
};
// Longest names first so that "ms" is not read as "m" followed by "s".
constexpr Unit kUnits[] = {
    {"ns", 1},           {"us", 1000},        {"\xC2\xB5s", 1000},  // µ (U+00B5)
    {"\xCE\xBCs", 1000},                                            // μ (U+03BC)
    {"ms", 1000000},     {"s", 1000000000LL}, {"m", 60LL * 1000000000LL}, {"h", 3600LL * 1000000000LL}};

}  // namespace

Result<std::chrono::nanoseconds> parseGoDuration(std::string_view value) {
  auto bad = [&](const char* why) {
    return makeError(ErrorKind::kInvalidArgument,
                     "invalid duration \"" + std::string(value) + "\": " + why + " (e.g. 15s, 1m30s, 500ms)");
  };
  std::string_view s = value;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return bad("empty");
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double whole = 0;
    bool digits = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i] - '0');
      digits = true;
      ++i;
    }
    long double frac = 0, scale = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        frac = frac * 10 + (s[i] - '0');
        scale *= 10;
        digits = true;
        ++i;
      }
    }
    if (!digits) return bad("expected a number");
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.') ++u;
    std::string_view unit = s.substr(0, u);
    if (unit.empty()) return bad("missing unit");
    const Unit* found = nullptr;
    for (const auto& k : kUnits) {
      if (k.name == unit) found = &k;
    }
    if (found == nullptr) return bad("unknown unit");
    total += (whole + frac / scale) * static_cast<long double>(found->ns);
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) return bad("too large");
    s.remove_prefix(u);
  }
  auto ns = static_cast<int64_t>(std::llround(total));
  return std::chrono::nanoseconds(negative ? -ns : ns);
}

std::string formatGoDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000)
    return sign + std::to_string(u / 1000) + (u % 1000 ? "." + std::to_string(u % 1000) : "") + "us";
  if (u < 1000000000ULL) {
    uint64_t ms = u / 1000000, rest = u % 1000000;
    std::string frac;
    if (rest != 0) {
      frac = std::to_string(rest + 1000000).substr(1);
      while (!frac.empty() && frac.back() == '0') frac.pop_back();
      frac = "." + frac;
    }
    return sign + std::to_string(ms) + frac + "ms";
  }
  uint64_t total_s = u / 1000000000ULL, rest_ns = u % 1000000000ULL;
  uint64_t h = total_s / 3600, m = (total_s % 3600) / 60, sec = total_s % 60;
  std::string out = sign;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  out += std::to_string(sec);
  if (rest_ns != 0) {
    std::string frac = std::to_string(rest_ns + 1000000000ULL).substr(1);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + "s";
}

}  // namespace aar::app
