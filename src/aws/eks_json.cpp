#include "aws/eks_json.hpp"

#include <nlohmann/json.hpp>

namespace aar::aws {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<json> parseObject(std::string_view body, std::string_view what) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return makeError(ErrorKind::kParse, "EKS " + std::string(what) + ": the response is not a JSON object");
  }
  return doc;
}

std::string stringMember(const json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double timeMember(const json& obj, const char* name) {
  auto it = obj.find(name);
  return it != obj.end() && it->is_number() ? it->get<double>() : 0.0;
}

// A list of strings; an error names the member when it is present but not one.
Result<std::vector<std::string>> stringList(const json& obj, const char* name, std::string_view what) {
  std::vector<std::string> out;
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return makeError(ErrorKind::kParse, "EKS " + std::string(what) + ": " + name + " is not a list");
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return makeError(ErrorKind::kParse, "EKS " + std::string(what) + ": " + name + " holds a non-string");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<EksAccessScope> parseScope(const json& obj, std::string_view what) {
  if (!obj.is_object()) return makeError(ErrorKind::kParse, "EKS " + std::string(what) + ": no accessScope");
  EksAccessScope scope;
  scope.type = stringMember(obj, "type");
  if (scope.type != "cluster" && scope.type != "namespace") {
    return makeError(ErrorKind::kParse,
                     "EKS " + std::string(what) + ": unknown access scope type '" + scope.type + "'");
  }
  auto ns = stringList(obj, "namespaces", what);
  if (!ns.ok()) return ns.error();
  scope.namespaces = std::move(*ns);
  return scope;
}

Result<EksAssociatedAccessPolicy> parseAssociated(const json& obj, std::string_view what) {
  if (!obj.is_object())
    return makeError(ErrorKind::kParse, "EKS " + std::string(what) + ": not a policy object");
  EksAssociatedAccessPolicy out;
  out.policy_arn = stringMember(obj, "policyArn");
  if (out.policy_arn.empty())
    return makeError(ErrorKind::kParse, "EKS " + std::string(what) + ": no policyArn");
  auto scope = parseScope(obj.value("accessScope", json()), what);
  if (!scope.ok()) return scope.error();
  out.scope = std::move(*scope);
  out.associated_at = timeMember(obj, "associatedAt");
  out.modified_at = timeMember(obj, "modifiedAt");
  return out;
}

Result<std::string> nextToken(const json& doc, std::string_view what) {
  auto it = doc.find("nextToken");
  if (it == doc.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return makeError(ErrorKind::kParse, "EKS " + std::string(what) + ": nextToken is not a string");
  return it->get<std::string>();
}

}  // namespace

std::string_view toString(EksAuthenticationMode mode) {
  switch (mode) {
    case EksAuthenticationMode::kConfigMap:
      return "CONFIG_MAP";
    case EksAuthenticationMode::kApiAndConfigMap:
      return "API_AND_CONFIG_MAP";
    case EksAuthenticationMode::kApi:
      return "API";
  }
  return "CONFIG_MAP";
}

Result<EksAuthenticationMode> parseEksAuthenticationMode(std::string_view text) {
  for (auto mode : {EksAuthenticationMode::kConfigMap, EksAuthenticationMode::kApiAndConfigMap,
                    EksAuthenticationMode::kApi}) {
    if (text == toString(mode)) return mode;
  }
  return makeError(ErrorKind::kParse, "EKS: unknown authentication mode '" + std::string(text) + "'");
}

std::string eksCreateAccessEntryBody(const EksCreateAccessEntryInput& input) {
  json body = {{"principalArn", input.principal_arn}, {"type", input.type}};
  if (!input.kubernetes_groups.empty()) body["kubernetesGroups"] = input.kubernetes_groups;
  if (!input.username.empty()) body["username"] = input.username;
  if (!input.tags.empty()) body["tags"] = input.tags;
  if (!input.client_request_token.empty()) body["clientRequestToken"] = input.client_request_token;
  return dump(body);
}

std::string eksUpdateAccessEntryBody(const EksUpdateAccessEntryInput& input) {
  json body = json::object();
  if (input.kubernetes_groups) body["kubernetesGroups"] = *input.kubernetes_groups;
  if (input.username) body["username"] = *input.username;
  if (!input.client_request_token.empty()) body["clientRequestToken"] = input.client_request_token;
  return dump(body);
}

std::string eksAssociateAccessPolicyBody(const std::string& policy_arn, const EksAccessScope& scope) {
  json s = {{"type", scope.type}};
  if (!scope.namespaces.empty()) s["namespaces"] = scope.namespaces;
  return dump(json{{"policyArn", policy_arn}, {"accessScope", s}});
}

Result<EksCluster> parseEksDescribeCluster(std::string_view body) {
  auto doc = parseObject(body, "DescribeCluster");
  if (!doc.ok()) return doc.error();
  auto it = doc->find("cluster");
  if (it == doc->end() || !it->is_object()) {
    return makeError(ErrorKind::kParse, "EKS DescribeCluster: the response has no cluster");
  }
  EksCluster out;
  out.name = stringMember(*it, "name");
  out.arn = stringMember(*it, "arn");
  out.status = stringMember(*it, "status");
  auto access = it->find("accessConfig");
  if (access == it->end() || !access->is_object()) {
    return makeError(ErrorKind::kParse, "EKS DescribeCluster: the cluster has no accessConfig");
  }
  auto mode = parseEksAuthenticationMode(stringMember(*access, "authenticationMode"));
  if (!mode.ok()) return mode.error();
  out.authentication_mode = *mode;
  return out;
}

Result<EksAccessEntry> parseEksAccessEntryResponse(std::string_view body) {
  auto doc = parseObject(body, "access entry");
  if (!doc.ok()) return doc.error();
  auto it = doc->find("accessEntry");
  if (it == doc->end() || !it->is_object()) {
    return makeError(ErrorKind::kParse, "EKS: the response has no accessEntry");
  }
  const json& e = *it;
  EksAccessEntry out;
  out.principal_arn = stringMember(e, "principalArn");
  if (out.principal_arn.empty())
    return makeError(ErrorKind::kParse, "EKS: an access entry without principalArn");
  out.cluster_name = stringMember(e, "clusterName");
  out.access_entry_arn = stringMember(e, "accessEntryArn");
  out.type = stringMember(e, "type");
  out.username = stringMember(e, "username");
  auto groups = stringList(e, "kubernetesGroups", "access entry");
  if (!groups.ok()) return groups.error();
  out.kubernetes_groups = std::move(*groups);
  if (auto tags = e.find("tags"); tags != e.end() && !tags->is_null()) {
    if (!tags->is_object()) return makeError(ErrorKind::kParse, "EKS: an access entry's tags are not a map");
    for (const auto& [k, v] : tags->items()) {
      if (!v.is_string()) return makeError(ErrorKind::kParse, "EKS: the tag " + k + " is not a string");
      out.tags[k] = v.get<std::string>();
    }
  }
  out.created_at = timeMember(e, "createdAt");
  out.modified_at = timeMember(e, "modifiedAt");
  return out;
}

Result<EksPage<std::string>> parseEksListAccessEntries(std::string_view body) {
  auto doc = parseObject(body, "ListAccessEntries");
  if (!doc.ok()) return doc.error();
  EksPage<std::string> page;
  auto items = stringList(*doc, "accessEntries", "ListAccessEntries");
  if (!items.ok()) return items.error();
  page.items = std::move(*items);
  auto token = nextToken(*doc, "ListAccessEntries");
  if (!token.ok()) return token.error();
  page.next_token = std::move(*token);
  return page;
}

Result<EksAssociatedAccessPolicy> parseEksAssociateAccessPolicy(std::string_view body) {
  auto doc = parseObject(body, "AssociateAccessPolicy");
  if (!doc.ok()) return doc.error();
  return parseAssociated(doc->value("associatedAccessPolicy", json()), "AssociateAccessPolicy");
}

Result<EksPage<EksAssociatedAccessPolicy>> parseEksListAssociatedAccessPolicies(std::string_view body) {
  auto doc = parseObject(body, "ListAssociatedAccessPolicies");
  if (!doc.ok()) return doc.error();
  EksPage<EksAssociatedAccessPolicy> page;
  if (auto it = doc->find("associatedAccessPolicies"); it != doc->end() && !it->is_null()) {
    if (!it->is_array()) {
      return makeError(ErrorKind::kParse,
                       "EKS ListAssociatedAccessPolicies: associatedAccessPolicies is not a list");
    }
    for (const auto& p : *it) {
      auto parsed = parseAssociated(p, "ListAssociatedAccessPolicies");
      if (!parsed.ok()) return parsed.error();
      page.items.push_back(std::move(*parsed));
    }
  }
  auto token = nextToken(*doc, "ListAssociatedAccessPolicies");
  if (!token.ok()) return token.error();
  page.next_token = std::move(*token);
  return page;
}

std::optional<AwsError> parseEksError(std::optional<std::string> error_type_header, std::string_view body) {
  AwsError out;
  json doc = json::parse(body, nullptr, false);
  const bool object = !doc.is_discarded() && doc.is_object();
  if (error_type_header && !error_type_header->empty()) {
    out.code = error_type_header->substr(0, error_type_header->find(':'));
  } else if (object) {
    std::string type = stringMember(doc, "__type");
    if (type.empty()) type = stringMember(doc, "code");
    if (auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
    out.code = type.substr(0, type.find(':'));
  }
  if (object) {
    out.message = stringMember(doc, "message");
    if (out.message.empty()) out.message = stringMember(doc, "Message");
  }
  if (out.code.empty()) return std::nullopt;
  return out;
}

}  // namespace aar::aws
