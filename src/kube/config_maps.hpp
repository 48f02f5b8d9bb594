// ConfigMaps over the REST client, keeping every field we do not own.
//
// A ConfigMap holds the whole object exactly as the API server returned it (nlohmann::json). Mutators touch
// only the key they are given, so an update sends back labels, other annotations, binaryData,
// ownerReferences, managedFields, immutable, ... unchanged. metadata.resourceVersion travels with the object:
// update() is a PUT that fails with kConflict when someone wrote in between.
//
// Thread-safety: ConfigMap is a value. ConfigMapClient is safe from several threads (the RestClient is).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config_map.hpp"
#include "core/result.hpp"
#include "kube/rest_client.hpp"

namespace aar::kube {

class ConfigMap {
 public:
  // A new, empty ConfigMap (apiVersion v1, kind ConfigMap) to create().
  ConfigMap(const std::string& namespace_name, const std::string& name);

  // Wraps an object received from the server. kParse when it is not an object, lacks metadata.name, or its
  // data or metadata.annotations are not maps of strings (we never act on what we could not read).
  static Result<ConfigMap> fromJson(nlohmann::json object);

  const nlohmann::json& object() const { return object_; }

  std::string name() const;
  std::string namespaceName() const;
  std::string resourceVersion() const;
  std::string uid() const;
  std::map<std::string, std::string> data() const;
  std::map<std::string, std::string> annotations() const;
  std::optional<std::string> dataValue(const std::string& key) const;
  core::ConfigMapContent content() const;  // data and annotations

  void setDataValue(const std::string& key, const std::string& value);
  void setAnnotation(const std::string& key, const std::string& value);
  // Makes data and annotations equal `content`, key by key (untouched keys keep their place; an empty map is
  // not added where there was none). Everything else is kept.
  void setContent(const core::ConfigMapContent& content);
  void setResourceVersion(const std::string& resource_version);

 private:
  explicit ConfigMap(nlohmann::json object) : object_(std::move(object)) {}
  nlohmann::json object_;
};

// "/api/v1/namespaces/<ns>/configmaps[/<name>]" (segments percent-encoded).
std::string configMapPath(const std::string& namespace_name, const std::string& name = "");

struct ConfigMapList {
  std::vector<ConfigMap> items;
  std::string resource_version;  // of the list, where a watch starts
};

class ConfigMapClient {
 public:
  explicit ConfigMapClient(RestClient& rest) : rest_(rest) {}

  // kNotFound when absent.
  Result<ConfigMap> get(const std::string& namespace_name, const std::string& name);
  // nullopt when absent.
  Result<std::optional<ConfigMap>> find(const std::string& namespace_name, const std::string& name);
  // `field_selector` unencoded, e.g. "metadata.name=aws-auth"; may be empty.
  Result<ConfigMapList> list(const std::string& namespace_name, const std::string& field_selector);
  // kAlreadyExists when it exists; kInvalid when too large.
  Result<ConfigMap> create(const ConfigMap& config_map);
  // PUT carrying the object's resourceVersion. kConflict when it moved on; kNotFound when deleted.
  Result<ConfigMap> update(const ConfigMap& config_map);

 private:
  RestClient& rest_;
};

}  // namespace aar::kube
