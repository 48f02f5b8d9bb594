#include "core/authenticator_model.hpp"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>

namespace aar::testmodel {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// configmap.go isSkippable.
bool isSkippable(const std::string& data) {
  const std::string t = trim(data);
  return t.empty() || t == "``" || t == "\"\"";
}

// What go-yaml v2 makes of a plain scalar when decoding into interface{}: null, bool, int or float are not
// strings; everything else (timestamps included: v2 keeps them as strings for interface{}) is.
bool plainIsString(const std::string& v) {
  static const std::vector<std::string> kNonString = {
      "",      "~",     "null",  "Null",  "NULL",  "y",     "Y",    "yes",  "Yes",   "YES",
      "n",     "N",     "no",    "No",    "NO",    "true",  "True", "TRUE", "false", "False",
      "FALSE", "on",    "On",    "ON",    "off",   "Off",   "OFF",  ".inf", ".Inf",  ".INF",
      "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"};
  if (std::find(kNonString.begin(), kNonString.end(), v) != kNonString.end()) return false;
  std::string digits;
  for (char c : v) {
    if (c != '_') digits.push_back(c);
  }
  // RE2, not std::regex: GCC 12 warns maybe-uninitialized inside std::regex in the sanitizer build.
  static const RE2 kInt("[-+]?(0b[01]+|0o?[0-7]*|0x[0-9a-fA-F]+|[1-9][0-9]*)");
  static const RE2 kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  return !RE2::FullMatch(digits, kInt) && !RE2::FullMatch(v, kFloat);
}

enum class Json { kNull, kString, kOther };

// The JSON type sigs.k8s.io/yaml gives a YAML node.
Json jsonType(const YAML::Node& n) {
  if (n.IsNull()) return Json::kNull;
  if (!n.IsScalar()) return Json::kOther;
  const std::string& tag = n.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return Json::kString;
  if (tag == "?") {
    if (n.Scalar().empty() || n.Scalar() == "~" || lower(n.Scalar()) == "null") return Json::kNull;
    return plainIsString(n.Scalar()) ? Json::kString : Json::kOther;
  }
  return Json::kOther;
}

struct Fields {
  std::string arn;
  std::string username;
  std::vector<std::string> groups;
};

// One list element decoded by encoding/json into a struct with fields `arn_field`, username, groups.
// Returns false if the element makes the whole value unreadable (a key that cannot be a JSON key).
bool decodeEntry(const YAML::Node& entry, const std::string& arn_field, Fields* out,
                 std::vector<std::string>* errors) {
  if (entry.IsNull()) return true;  // JSON null: the zero value
  if (!entry.IsMap()) {
    errors->push_back("cannot unmarshal a non-object into a mapping");
    return true;
  }
  // go-yaml: a repeated key keeps its last value; json.Marshal: keys sorted by bytes.
  std::map<std::string, YAML::Node> object;
  for (const auto& kv : entry) {
    if (!kv.first.IsScalar() && !kv.first.IsNull()) return false;
    object[kv.first.IsNull() ? "null" : kv.first.Scalar()] = kv.second;
  }
  for (const auto& [key, value] : object) {
    const Json type = jsonType(value);
    if (jsonFieldMatches(key, arn_field) || jsonFieldMatches(key, "username")) {
      std::string& field = jsonFieldMatches(key, arn_field) ? out->arn : out->username;
      if (type == Json::kString) {
        field = value.Scalar();
      } else if (type == Json::kOther) {
        errors->push_back("cannot unmarshal into string field " + key);
      }
    } else if (jsonFieldMatches(key, "groups")) {
      if (type == Json::kNull) {
        out->groups.clear();
      } else if (!value.IsSequence()) {
        errors->push_back("cannot unmarshal into []string field " + key);
      } else {
        out->groups.clear();
        for (const auto& g : value) {
          const Json gt = jsonType(g);
          if (gt == Json::kOther) errors->push_back("cannot unmarshal a group into string");
          out->groups.push_back(gt == Json::kString ? g.Scalar() : std::string());
        }
      }
    }
  }
  return true;
}

// ParseMap for one key, then saveMap into `into`.
void readList(const std::map<std::string, std::string>& data, const char* key, const std::string& arn_field,
              std::map<std::string, Mapping>* into, std::vector<std::string>* errors) {
  auto it = data.find(key);
  if (it == data.end() || isSkippable(it->second)) return;
  YAML::Node root;
  try {
    root = YAML::Load(it->second);
  } catch (const YAML::Exception& e) {
    errors->push_back(std::string(key) + ": " + e.what());
    return;
  }
  if (root.IsNull()) return;
  if (!root.IsSequence()) {
    errors->push_back(std::string(key) + ": cannot unmarshal a non-array");
    return;
  }
  std::vector<Fields> decoded;
  for (const auto& entry : root) {
    Fields f;
    if (!decodeEntry(entry, arn_field, &f, errors)) {
      errors->push_back(std::string(key) + ": a key that cannot be a JSON key");
      return;  // ToJSON failed: nothing of this value
    }
    decoded.push_back(std::move(f));
  }
  for (auto& f : decoded) {
    (*into)[lower(f.arn)] = Mapping{f.arn, std::move(f.username), std::move(f.groups)};
  }
}

}  // namespace

bool jsonFieldMatches(const std::string& key, const std::string& field) {
  size_t i = 0;
  for (const char want : field) {
    if (i >= key.size()) return false;
    const std::string_view rest(key.data() + i, key.size() - i);
    if (static_cast<unsigned char>(key[i]) < 0x80) {
      if (std::tolower(static_cast<unsigned char>(key[i])) != want) return false;
      ++i;
    } else if (want == 's' && rest.substr(0, 2) == "\u017f") {
      i += 2;
    } else if (want == 'k' && rest.substr(0, 3) == "\u212a") {
      i += 3;
    } else {
      return false;
    }
  }
  return i == key.size();
}

AuthenticatorView readAwsAuth(const std::map<std::string, std::string>& data) {
  AuthenticatorView view;
  readList(data, "mapUsers", "userarn", &view.users, &view.errors);
  readList(data, "mapRoles", "rolearn", &view.roles, &view.errors);
  return view;
}

}  // namespace aar::testmodel
