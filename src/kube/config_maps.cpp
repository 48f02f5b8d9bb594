#include "kube/config_maps.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "net/http_client.hpp"

namespace aar::kube {
namespace {

std::string metaString(const nlohmann::json& object, const char* field) {
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return "";
  auto it = m->find(field);
  return it != m->end() && it->is_string() ? it->get<std::string>() : "";
}

std::map<std::string, std::string> stringMap(const nlohmann::json* node) {
  std::map<std::string, std::string> out;
  if (node == nullptr || !node->is_object()) return out;
  for (auto it = node->begin(); it != node->end(); ++it) {
    if (it->is_string()) out.emplace(it.key(), it->get<std::string>());
  }
  return out;
}

const nlohmann::json* child(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

bool isStringMapOrNull(const nlohmann::json* node) {
  if (node == nullptr || node->is_null()) return true;
  if (!node->is_object()) return false;
  return std::all_of(node->begin(), node->end(), [](const nlohmann::json& v) { return v.is_string(); });
}

// Makes object[key] hold exactly `values`, keeping the order of keys that stay; an absent map stays absent
// when `values` is empty.
void setStringMap(nlohmann::json& object, const char* key, const std::map<std::string, std::string>& values) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_object()) {
    if (values.empty()) return;
    object[key] = nlohmann::json::object();
    it = object.find(key);
  }
  std::vector<std::string> gone;
  for (auto e = it->begin(); e != it->end(); ++e) {
    if (!values.count(e.key())) gone.push_back(e.key());
  }
  for (const auto& k : gone) it->erase(k);
  for (const auto& [k, v] : values) (*it)[k] = v;
}

Result<ConfigMap> toConfigMap(Result<nlohmann::json> r) {
  if (!r) return r.error();
  return ConfigMap::fromJson(std::move(*r));
}

}  // namespace

ConfigMap::ConfigMap(const std::string& namespace_name, const std::string& name)
    : object_({{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", name}, {"namespace", namespace_name}}}}) {}

Result<ConfigMap> ConfigMap::fromJson(nlohmann::json object) {
  if (!object.is_object()) return makeError(ErrorKind::kParse, "ConfigMap: not a JSON object");
  const nlohmann::json* meta = child(object, "metadata");
  if (meta == nullptr || !meta->is_object()) return makeError(ErrorKind::kParse, "ConfigMap: no metadata");
  auto name = meta->find("name");
  if (name == meta->end() || !name->is_string() || name->get<std::string>().empty()) {
    return makeError(ErrorKind::kParse, "ConfigMap: no metadata.name");
  }
  const std::string where = "ConfigMap " + metaString(object, "namespace") + "/" + name->get<std::string>();
  if (!isStringMapOrNull(child(object, "data"))) {
    return makeError(ErrorKind::kParse, where + ": data is not a map of strings");
  }
  if (!isStringMapOrNull(child(*meta, "annotations"))) {
    return makeError(ErrorKind::kParse, where + ": metadata.annotations is not a map of strings");
  }
  return ConfigMap(std::move(object));
}

std::string ConfigMap::name() const { return metaString(object_, "name"); }
std::string ConfigMap::namespaceName() const { return metaString(object_, "namespace"); }
std::string ConfigMap::resourceVersion() const { return metaString(object_, "resourceVersion"); }
std::string ConfigMap::uid() const { return metaString(object_, "uid"); }
std::map<std::string, std::string> ConfigMap::data() const { return stringMap(child(object_, "data")); }

std::map<std::string, std::string> ConfigMap::annotations() const {
  const nlohmann::json* meta = child(object_, "metadata");
  return meta == nullptr ? std::map<std::string, std::string>{} : stringMap(child(*meta, "annotations"));
}

std::optional<std::string> ConfigMap::dataValue(const std::string& key) const {
  const nlohmann::json* data = child(object_, "data");
  if (data == nullptr || !data->is_object()) return std::nullopt;
  auto it = data->find(key);
  if (it == data->end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

core::ConfigMapContent ConfigMap::content() const { return {data(), annotations()}; }

void ConfigMap::setDataValue(const std::string& key, const std::string& value) {
  if (!object_.contains("data") || !object_["data"].is_object()) object_["data"] = nlohmann::json::object();
  object_["data"][key] = value;
}

void ConfigMap::setAnnotation(const std::string& key, const std::string& value) {
  nlohmann::json& meta = object_["metadata"];
  if (!meta.contains("annotations") || !meta["annotations"].is_object()) {
    meta["annotations"] = nlohmann::json::object();
  }
  meta["annotations"][key] = value;
}

void ConfigMap::setContent(const core::ConfigMapContent& content) {
  setStringMap(object_, "data", content.data);
  setStringMap(object_["metadata"], "annotations", content.annotations);
}

void ConfigMap::setResourceVersion(const std::string& resource_version) {
  object_["metadata"]["resourceVersion"] = resource_version;
}

std::string configMapPath(const std::string& namespace_name, const std::string& name) {
  std::string path = "/api/v1/namespaces/" + net::urlEncode(namespace_name) + "/configmaps";
  if (!name.empty()) path += "/" + net::urlEncode(name);
  return path;
}

Result<ConfigMap> ConfigMapClient::get(const std::string& namespace_name, const std::string& name) {
  return toConfigMap(rest_.get(configMapPath(namespace_name, name)));
}

Result<std::optional<ConfigMap>> ConfigMapClient::find(const std::string& namespace_name,
                                                       const std::string& name) {
  auto r = get(namespace_name, name);
  if (r) return std::optional<ConfigMap>(std::move(*r));
  if (r.error().kind == ErrorKind::kNotFound) return std::optional<ConfigMap>();
  return r.error();
}

Result<ConfigMapList> ConfigMapClient::list(const std::string& namespace_name,
                                            const std::string& field_selector) {
  std::string path = configMapPath(namespace_name);
  if (!field_selector.empty()) path += "?fieldSelector=" + net::urlEncode(field_selector);
  // A list holds whole ConfigMaps (each up to kMaxObjectResponseBytes in the worst case, ~1.3 MiB typically);
  // ours are filtered to one name, but an unfiltered list of a namespace can hold several. 32 MiB bounds it
  // inside the pod's 64 MiB while leaving room for a namespace of many ordinary ConfigMaps.
  constexpr size_t kMaxConfigMapListBytes = 32 << 20;
  auto r = rest_.get(path, kMaxConfigMapListBytes);
  if (!r) return r.error();
  ConfigMapList out;
  const nlohmann::json& doc = *r;
  if (!doc.is_object() || !doc.contains("items") || !(doc["items"].is_array() || doc["items"].is_null())) {
    return makeError(ErrorKind::kParse, "GET " + configMapPath(namespace_name) + ": not a ConfigMapList");
  }
  out.resource_version = metaString(doc, "resourceVersion");
  if (doc["items"].is_array()) {
    for (const auto& item : doc["items"]) {
      nlohmann::json obj = item;
      // Items of a list may omit apiVersion/kind; an update needs them.
      if (!obj.contains("apiVersion")) obj["apiVersion"] = "v1";
      if (!obj.contains("kind")) obj["kind"] = "ConfigMap";
      auto cm = ConfigMap::fromJson(std::move(obj));
      if (!cm) return cm.error();
      out.items.push_back(std::move(*cm));
    }
  }
  return out;
}

Result<ConfigMap> ConfigMapClient::create(const ConfigMap& config_map) {
  return toConfigMap(rest_.post(configMapPath(config_map.namespaceName()), config_map.object()));
}

Result<ConfigMap> ConfigMapClient::update(const ConfigMap& config_map) {
  return toConfigMap(
      rest_.put(configMapPath(config_map.namespaceName(), config_map.name()), config_map.object()));
}

}  // namespace aar::kube
