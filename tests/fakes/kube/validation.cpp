#include "fakes/kube/validation.hpp"

#include <re2/re2.h>

#include "fakes/kube/object_store.hpp"

namespace aar::testing::kube {
namespace {

const char kSubdomainMessage[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const char kConfigKeyMessage[] =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

// RE2, as the product uses: std::regex recurses per character, and GCC 12 warns maybe-uninitialized inside
// it under -fsanitize=address with -Werror.
bool isSubdomain(const std::string& name) {
  static const RE2 kPattern("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  return name.size() <= 253 && RE2::FullMatch(name, kPattern);
}

bool isConfigKey(const std::string& key) {
  static const RE2 kPattern("[-._a-zA-Z0-9]+");
  return key.size() <= 253 && RE2::FullMatch(key, kPattern);
}

StatusCause invalid(const std::string& field, const std::string& value, const std::string& why) {
  return {"FieldValueInvalid", "Invalid value: \"" + value + "\": " + why, field};
}

StatusCause tooLong(const std::string& field, size_t limit) {
  return {"FieldValueTooLong", "Too long: must have at most " + std::to_string(limit) + " bytes", field};
}

void validateConfigMap(const nlohmann::json& object, const nlohmann::json* existing,
                       std::vector<StatusCause>* causes) {
  size_t total = 0;
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& data = object.contains("data") && !object["data"].is_null() ? object["data"] : empty;
  const nlohmann::json& binary =
      object.contains("binaryData") && !object["binaryData"].is_null() ? object["binaryData"] : empty;
  if (!data.is_object()) causes->push_back(invalid("data", data.dump(), "must be a map of strings"));
  if (!binary.is_object()) causes->push_back(invalid("binaryData", binary.dump(), "must be a map of base64"));
  if (!data.is_object() || !binary.is_object()) return;
  for (const auto& [key, value] : data.items()) {
    if (!isConfigKey(key)) causes->push_back(invalid("data[" + key + "]", key, kConfigKeyMessage));
    if (binary.contains(key)) {
      causes->push_back(invalid("data[" + key + "]", key, "duplicate of key present in binaryData"));
    }
    if (!value.is_string()) {
      causes->push_back(invalid("data[" + key + "]", value.dump(), "must be a string"));
      continue;
    }
    total += value.get_ref<const std::string&>().size();
  }
  for (const auto& [key, value] : binary.items()) {
    if (!isConfigKey(key)) causes->push_back(invalid("binaryData[" + key + "]", key, kConfigKeyMessage));
    long long size = value.is_string() ? base64DecodedSize(value.get<std::string>()) : -1;
    if (size < 0) {
      causes->push_back(invalid("binaryData[" + key + "]", "", "must be base64"));
      continue;
    }
    total += static_cast<size_t>(size);
  }
  if (total > kMaxConfigMapBytes) causes->push_back(tooLong("[]", kMaxConfigMapBytes));

  if (existing != nullptr && existing->value("immutable", false)) {
    auto field = [](const nlohmann::json& o, const char* name) {
      return o.contains(name) ? o[name] : nlohmann::json();
    };
    if (field(object, "data") != field(*existing, "data") ||
        field(object, "binaryData") != field(*existing, "binaryData")) {
      causes->push_back(
          {"FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", "data"});
    }
    if (!object.value("immutable", false)) {
      causes->push_back(
          {"FieldValueForbidden", "Forbidden: field is immutable when `immutable` is set", "immutable"});
    }
  }
}

}  // namespace

long long base64DecodedSize(const std::string& text) {
  if (text.size() % 4 != 0) return -1;
  // A loop, not std::regex: libstdc++'s regex recurses per character and overflows the stack on 1 MiB.
  long long padding = 0;
  if (!text.empty() && text.back() == '=') ++padding;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
  for (size_t i = 0; i + static_cast<size_t>(padding) < text.size(); ++i) {
    char c = text[i];
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok) return -1;
  }
  return static_cast<long long>(text.size() / 4 * 3) - padding;
}

std::vector<StatusCause> validateObject(const ResourceType& type, const nlohmann::json& object,
                                        const nlohmann::json* existing) {
  std::vector<StatusCause> causes;
  const nlohmann::json& metadata = object["metadata"];
  std::string name = metadata.value("name", "");
  if (name.empty()) {
    causes.push_back(
        {"FieldValueRequired", "Required value: name or generateName is required", "metadata.name"});
  } else if (!isSubdomain(name)) {
    causes.push_back(invalid("metadata.name", name, kSubdomainMessage));
  }
  if (metadata.contains("annotations") && !metadata["annotations"].is_null()) {
    const nlohmann::json& annotations = metadata["annotations"];
    size_t total = 0;
    if (!annotations.is_object()) {
      causes.push_back(invalid("metadata.annotations", annotations.dump(), "must be a map of strings"));
    } else {
      for (const auto& [key, value] : annotations.items()) {
        total += key.size() +
                 (value.is_string() ? value.get_ref<const std::string&>().size() : value.dump().size());
      }
      if (total > kMaxAnnotationsBytes)
        causes.push_back(tooLong("metadata.annotations", kMaxAnnotationsBytes));
    }
  }
  if (type.group.empty() && type.plural == "configmaps") validateConfigMap(object, existing, &causes);
  return causes;
}

}  // namespace aar::testing::kube
