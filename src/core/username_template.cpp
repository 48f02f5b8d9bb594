#include "core/username_template.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <map>
#include <utility>

namespace aar::core {
namespace {

constexpr char kAllowedChars[] = "A-Z a-z 0-9 + = , . @ _ / -";

// `text` for a message: printable ASCII as is, anything else as \xNN, at most 128 bytes shown.
std::string quoted(std::string_view text) {
  constexpr size_t kMaxShown = 128;
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (text.size() > kMaxShown) out += "...";
  return out + "\"";
}

bool allDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Error invalidRef(std::string message) { return makeError(ErrorKind::kInvalidArgument, std::move(message)); }

// The group number `name` (digits or a group name) refers to in `pattern`, or an error.
Result<int> resolve(std::string_view name, const std::string& ref, const re2::RE2& pattern) {
  const int groups = pattern.NumberOfCapturingGroups();
  if (allDigits(name)) {
    // More than 4 digits cannot be a group (RE2 caps a pattern's size long before); avoids overflow.
    const int n = name.size() <= 4 ? std::stoi(std::string(name)) : groups + 1;
    if (n > groups) {
      return invalidRef("reference " + ref + ": the pattern has " + std::to_string(groups) +
                        " capture group(s), so there is no group " + std::string(name));
    }
    return n;
  }
  const std::map<std::string, int>& named = pattern.NamedCapturingGroups();
  const auto it = named.find(std::string(name));
  if (it == named.end()) {
    return invalidRef("reference " + ref + ": the pattern has no capture group named \"" + std::string(name) +
                      "\" (name one with (?P<" + std::string(name) + ">...))");
  }
  return it->second;
}

}  // namespace

bool isIamNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '=' ||
         c == ',' || c == '.' || c == '@' || c == '_' || c == '/' || c == '-';
}

Result<UsernameTemplate> UsernameTemplate::compile(std::string_view username, const re2::RE2* pattern) {
  UsernameTemplate t;
  std::string text;  // the literal run being collected.
  size_t i = 0;
  while (i < username.size()) {
    const char c = username[i];
    if (c != '$' || i + 1 >= username.size() || (username[i + 1] != '$' && username[i + 1] != '{')) {
      text += c;  // includes a `$` followed by anything else: literal, as in 2019 rules.
      ++i;
      continue;
    }
    if (username[i + 1] == '$') {
      text += '$';
      i += 2;
      continue;
    }
    const size_t close = username.find('}', i + 2);
    if (close == std::string_view::npos) {
      return invalidRef("unclosed \"${\" at " + quoted(username.substr(i)) +
                        " (write ${name} or ${N}, or $$ for a literal $)");
    }
    const std::string_view name = username.substr(i + 2, close - i - 2);
    const std::string ref(username.substr(i, close - i + 1));
    if (name.empty()) return invalidRef("empty reference ${} (write ${name} or ${N}, or $$ for a literal $)");
    if (pattern == nullptr) {
      return invalidRef("reference " + ref +
                        ": a rule without arnRegex has no capture groups to expand (only iamGroup)");
    }
    auto group = resolve(name, ref, *pattern);
    if (!group.ok()) return group.error();
    if (!text.empty()) t.pieces_.push_back(Piece{std::move(text), -1, {}});
    text.clear();
    t.pieces_.push_back(Piece{{}, *group, ref});
    t.max_group_ = std::max(t.max_group_, *group);
    i = close + 1;
  }
  if (!text.empty()) t.pieces_.push_back(Piece{text, -1, {}});
  if (t.max_group_ < 0) t.literal_ = std::move(text);
  return t;
}

bool UsernameTemplate::expand(const std::vector<std::string_view>& groups, std::string* out,
                              std::string* error) const {
  out->clear();
  if (max_group_ < 0) {
    *out = literal_;
    return true;
  }
  for (const Piece& p : pieces_) {
    if (p.group < 0) {
      *out += p.text;
      continue;
    }
    const std::string_view value =
        static_cast<size_t>(p.group) < groups.size() ? groups[p.group] : std::string_view();
    if (value.empty()) {
      out->clear();
      *error = "username reference " + p.ref +
               " is empty for this ARN (an entry with a part missing could be shared by several principals)";
      return false;
    }
    if (const auto bad = std::find_if_not(value.begin(), value.end(), isIamNameChar); bad != value.end()) {
      out->clear();
      *error = "username reference " + p.ref + " captured " + quoted(value) + ", whose character " +
               quoted(std::string_view(&*bad, 1)) +
               " IAM does not allow in names (allowed: " + kAllowedChars + ")";
      return false;
    }
    *out += value;
  }
  return true;
}

}  // namespace aar::core
