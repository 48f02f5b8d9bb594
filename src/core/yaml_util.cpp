#include "core/yaml_util.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace aar::core::yaml {
namespace {

constexpr char kStrTag[] = "tag:yaml.org,2002:str";

// Plain scalars that YAML 1.1 (yaml.v2, which sigs.k8s.io/yaml uses) or 1.2 resolve to null, a boolean, a
// special float or a merge/value key. Compared case-insensitively, which is wider than either spec on
// purpose.
constexpr std::array<std::string_view, 18> kReserved = {"~",     "null",  "y",  "n",   "yes",  "no",
                                                        "true",  "false", "on", "off", ".inf", "-.inf",
                                                        "+.inf", ".nan",  "<<", "=",   "nan",  "inf"};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// True if no YAML 1.1 or 1.2 number or timestamp is written like this: it holds a character none of them has
// (only letters, digits, + - . _ : and spaces occur in them), ends with ':' or holds ": " or " #" (a plain
// scalar cannot end that way). Such text is a string to every reader, and libyaml quotes it when writing, so
// it must count as one when we compare what we wrote with what we meant (found by fuzzing: a key "2an:"; and
// "05onf<TAB>83640": a tab, which YAML 1.1 allows only inside a timestamp's separator, also makes a string
// here, since libyaml never writes a tab in a plain scalar).
bool cannotBeANumberOrTimestamp(std::string_view text) {
  if (text.back() == ':' || text.find(": ") != std::string_view::npos ||
      text.find(" #") != std::string_view::npos) {
    return true;
  }
  return std::any_of(text.begin(), text.end(), [](char c) {
    const bool allowed = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         c == '+' || c == '-' || c == '.' || c == '_' || c == ':' || c == ' ';
    return !allowed;
  });
}

}  // namespace

bool isExplicitTag(const std::string& tag) {
  return !tag.empty() && tag != "?" && tag != "!" && tag != kStrTag;
}

bool plainLooksNonString(std::string_view text) {
  if (text.empty()) return true;
  if (text.size() <= 5) {
    const std::string l = lower(text);
    if (std::find(kReserved.begin(), kReserved.end(), l) != kReserved.end()) return true;
  }
  // Integers (decimal, 0x, 0o, 0b, sexagesimal), floats and timestamps all start with a digit, or with a sign
  // or a dot followed by a digit or a dot.
  // (".." starts no number: ".5" and "-.5" do; found by fuzzing, "....--77ol" re-emitted quoted).
  const bool number_like =
      isDigit(text[0]) || (text[0] == '.' && text.size() > 1 && isDigit(text[1])) ||
      ((text[0] == '+' || text[0] == '-') && text.size() > 1 && (isDigit(text[1]) || text[1] == '.'));
  return number_like && !cannotBeANumberOrTimestamp(text);
}

bool isStringScalar(const YAML::Node& node) {
  // IsDefined() first: a missing key gives an invalid node whose Type() throws.
  if (!node.IsDefined() || !node.IsScalar()) return false;
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == kStrTag) return true;
  if (tag == "?" || tag.empty()) return !plainLooksNonString(node.Scalar());
  return false;
}

void emitString(YAML::Emitter& out, const std::string& value) {
  if (plainLooksNonString(value)) {
    out << YAML::DoubleQuoted << value;
  } else {
    out << value;
  }
}

void emitNode(YAML::Emitter& out, const YAML::Node& node) {
  if (!node.IsDefined()) {
    out << YAML::Null;
    return;
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out << YAML::Null;
      return;
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      if (isExplicitTag(tag)) {
        out << YAML::VerbatimTag(tag) << node.Scalar();
      } else if (isStringScalar(node)) {
        emitString(out, node.Scalar());
      } else {
        out << node.Scalar();  // a plain number or boolean: keep it plain so it keeps its type.
      }
      return;
    }
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& item : node) emitNode(out, item);
      out << YAML::EndSeq;
      return;
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (const auto& kv : node) {
        out << YAML::Key;
        emitNode(out, kv.first);
        out << YAML::Value;
        emitNode(out, kv.second);
      }
      out << YAML::EndMap;
      return;
  }
}

bool sameNode(const YAML::Node& a, const YAML::Node& b) {
  const bool a_null = !a.IsDefined() || a.IsNull();
  const bool b_null = !b.IsDefined() || b.IsNull();
  if (a_null || b_null) return a_null == b_null;
  if (a.Type() != b.Type()) return false;
  switch (a.Type()) {
    case YAML::NodeType::Scalar:
      if (a.Scalar() != b.Scalar()) return false;
      if (isStringScalar(a) != isStringScalar(b)) return false;
      if (isExplicitTag(a.Tag()) || isExplicitTag(b.Tag())) return a.Tag() == b.Tag();
      return true;
    case YAML::NodeType::Sequence: {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (!sameNode(a[i], b[i])) return false;
      }
      return true;
    }
    case YAML::NodeType::Map: {
      if (a.size() != b.size()) return false;
      auto ia = a.begin();
      auto ib = b.begin();
      for (; ia != a.end() && ib != b.end(); ++ia, ++ib) {
        if (!sameNode(ia->first, ib->first) || !sameNode(ia->second, ib->second)) return false;
      }
      return ia == a.end() && ib == b.end();
    }
    default:
      return true;
  }
}

int lineOf(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

DuplicateKey findDuplicateKey(const YAML::Node& map) {
  if (!map.IsMap()) return {};
  std::vector<std::string> seen;
  seen.reserve(map.size());
  for (const auto& kv : map) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string("<non-scalar key>");
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) return {key, lineOf(kv.first)};
    seen.push_back(key);
  }
  return {};
}

std::string_view ambiguousLineBreak(std::string_view text) {
  for (size_t i = text.find_first_of("\r\xC2\xE2"); i != std::string_view::npos;
       i = text.find_first_of("\r\xC2\xE2", i + 1)) {
    const std::string_view rest = text.substr(i);
    if (rest[0] == '\r' && (rest.size() == 1 || rest[1] != '\n'))
      return "a carriage return without a line feed";
    if (rest.starts_with("\xC2\x85")) return "NEL (U+0085)";
    if (rest.starts_with("\xE2\x80\xA8")) return "a line separator (U+2028)";
    if (rest.starts_with("\xE2\x80\xA9")) return "a paragraph separator (U+2029)";
  }
  return {};
}

}  // namespace aar::core::yaml
