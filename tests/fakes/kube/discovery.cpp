#include "fakes/kube/discovery.hpp"

#include <cctype>
#include <set>

#include "fakes/kube/object_store.hpp"

namespace aar::testing::kube {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

json resourceList(const std::string& group, const std::string& version) {
  json resources = json::array();
  for (const ResourceType& type : builtinResourceTypes()) {
    if (type.group != group || type.version != version) continue;
    json resource = {{"name", type.plural},
                     {"singularName", lower(type.kind)},
                     {"namespaced", true},
                     {"kind", type.kind},
                     {"verbs", {"create", "delete", "get", "list", "patch", "update", "watch"}}};
    if (!type.short_names.empty()) resource["shortNames"] = {type.short_names};
    resources.push_back(resource);
  }
  if (group.empty()) {
    resources.push_back({{"name", "namespaces"},
                         {"singularName", "namespace"},
                         {"namespaced", false},
                         {"kind", "Namespace"},
                         {"verbs", {"get"}},
                         {"shortNames", {"ns"}}});
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", resources}};
}

json groupDocument(const std::string& group) {
  std::string gv = group + "/v1";
  json version = {{"groupVersion", gv}, {"version", "v1"}};
  return {{"kind", "APIGroup"},
          {"apiVersion", "v1"},
          {"name", group},
          {"versions", {version}},
          {"preferredVersion", version}};
}

// The smallest OpenAPI v3 document kubectl accepts for a group-version: for each resource, the PATCH
// operation of /…/namespaces/{namespace}/<plural>/{name} with its x-kubernetes-group-version-kind and the
// fieldValidation query parameter. kubectl then leaves validation to the server (fieldValidation=Strict,
// which the fake ignores) and computes apply patches from its compiled-in types.
json openapiGroupVersion(const std::string& group, const std::string& version) {
  json paths = json::object();
  for (const ResourceType& type : builtinResourceTypes()) {
    if (type.group != group || type.version != version) continue;
    std::string prefix = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
    json gvk = {{"group", group}, {"version", version}, {"kind", type.kind}};
    json parameters = json::array();
    for (const char* name : {"dryRun", "fieldManager", "fieldValidation", "force"}) {
      parameters.push_back({{"name", name}, {"in", "query"}, {"schema", {{"type", "string"}}}});
    }
    json patch = {{"operationId", "patch" + type.kind},
                  {"parameters", parameters},
                  {"responses", {{"200", {{"description", "OK"}}}}},
                  {"x-kubernetes-action", "patch"},
                  {"x-kubernetes-group-version-kind", gvk}};
    paths[prefix + "/namespaces/{namespace}/" + type.plural + "/{name}"] = {{"patch", patch}};
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.30.0-fake"}}},
          {"paths", paths},
          {"components", {{"schemas", json::object()}}}};
}

}  // namespace

std::optional<json> discoveryDocument(const std::string& path, const std::string& server_address) {
  std::set<std::string> groups;
  for (const ResourceType& type : builtinResourceTypes()) {
    if (!type.group.empty()) groups.insert(type.group);
  }
  if (path == "/version") {
    return json{{"major", "1"},
                {"minor", "30"},
                {"gitVersion", "v1.30.0-fake"},
                {"gitCommit", "0000000000000000000000000000000000000000"},
                {"gitTreeState", "clean"},
                {"buildDate", "2026-01-01T00:00:00Z"},
                {"goVersion", "go1.22.0"},
                {"compiler", "gc"},
                {"platform", "linux/amd64"}};
  }
  if (path == "/api") {
    return json{
        {"kind", "APIVersions"},
        {"versions", {"v1"}},
        {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
  }
  if (path == "/api/v1") return resourceList("", "v1");
  if (path == "/apis") {
    json list = json::array();
    for (const std::string& group : groups) {
      json doc = groupDocument(group);
      doc.erase("kind");
      doc.erase("apiVersion");
      list.push_back(doc);
    }
    return json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", list}};
  }
  if (path == "/openapi/v3") {
    json paths = {{"api/v1", {{"serverRelativeURL", "/openapi/v3/api/v1?hash=fake"}}}};
    for (const std::string& group : groups) {
      paths["apis/" + group + "/v1"] = {{"serverRelativeURL", "/openapi/v3/apis/" + group + "/v1?hash=fake"}};
    }
    return json{{"paths", paths}};
  }
  if (path == "/openapi/v3/api/v1") return openapiGroupVersion("", "v1");
  for (const std::string& group : groups) {
    if (path == "/openapi/v3/apis/" + group + "/v1") return openapiGroupVersion(group, "v1");
    if (path == "/apis/" + group) return groupDocument(group);
    if (path == "/apis/" + group + "/v1") return resourceList(group, "v1");
  }
  return std::nullopt;
}

}  // namespace aar::testing::kube
