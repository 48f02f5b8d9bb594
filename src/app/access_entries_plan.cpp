#include "app/access_entries_plan.hpp"

#include <nlohmann/json.hpp>

#include "app/eks_access_entry_store.hpp"
#include "aws/eks_json.hpp"
#include "core/access_entry_render.hpp"
#include "core/rules.hpp"

namespace aar::app {
namespace {

Error itemError(const std::string& path, size_t index, const std::string& why) {
  return makeError(ErrorKind::kInvalidArgument,
                   path + ": item " + std::to_string(index) + ": " + why + " (see `plan --help`)");
}

}  // namespace

Result<std::vector<core::ExistingAccessEntry>> parseAccessEntriesFile(std::string_view text,
                                                                      const std::string& path) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) {
    return makeError(ErrorKind::kInvalidArgument,
                     path + ": not a JSON list of access entries (see `plan --help` for the shape)");
  }
  std::vector<core::ExistingAccessEntry> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    const auto& item = doc[i];
    if (!item.is_object() || !item.contains("accessEntry")) {
      return itemError(path, i, "an object with \"accessEntry\" is expected");
    }
    // EKS's own parsers, so that the file is read exactly as the API's answers are.
    auto entry =
        aws::parseEksAccessEntryResponse(nlohmann::json{{"accessEntry", item["accessEntry"]}}.dump());
    if (!entry.ok()) return itemError(path, i, entry.error().message);
    if (entry->principal_arn.empty()) return itemError(path, i, "accessEntry.principalArn is missing");
    if (entry->type.empty()) return itemError(path, i, "accessEntry.type is missing");
    core::ExistingAccessEntry e;
    e.principal_arn = entry->principal_arn;
    e.type = entry->type;
    e.username = entry->username;
    e.kubernetes_groups = entry->kubernetes_groups;
    e.tags = entry->tags;
    if (auto tags = item.find("tags"); tags != item.end()) {
      if (!tags->is_object()) return itemError(path, i, "\"tags\" must be a map of strings");
      e.tags.clear();
      for (const auto& [k, v] : tags->items()) {
        if (!v.is_string()) return itemError(path, i, "tag \"" + k + "\" is not a string");
        e.tags[k] = v.get<std::string>();
      }
    }
    if (auto policies = item.find("associatedAccessPolicies"); policies != item.end()) {
      auto page = aws::parseEksListAssociatedAccessPolicies(
          nlohmann::json{{"associatedAccessPolicies", *policies}}.dump());
      if (!page.ok()) return itemError(path, i, page.error().message);
      for (const auto& p : page->items) {
        auto policy = toCorePolicy(p);
        if (!policy.ok()) return itemError(path, i, policy.error().message);
        e.policies.push_back(std::move(*policy));
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::string> planAccessEntriesOffline(const AccessEntriesPlanInput& in) {
  auto text = core::extractRulesText(in.rules_text);
  if (!text.ok()) return makeError(ErrorKind::kInvalidArgument, in.rules_path + ": " + text.error().message);
  auto rules = core::parseRulesConfig(*text, in.rules_path);
  if (!rules.ok()) return rules.error();
  auto existing = parseAccessEntriesFile(in.entries_text, in.entries_path);
  if (!existing.ok()) return existing.error();

  core::IamSnapshot iam;
  for (const auto& arn : in.arns) {
    if (arn.find(":user/") != std::string::npos) {
      iam.users.push_back(core::Principal{arn, "", {}});
    } else if (arn.find(":role/") != std::string::npos) {
      iam.roles.push_back(core::Principal{arn, "", {}});
    } else {
      return makeError(ErrorKind::kInvalidArgument, "--arns: " + arn + " is neither an IAM user nor a role");
    }
  }
  core::AccessEntryOptions options;
  options.owner_id = in.owner_id;
  options.allow_cluster_admin_policy = in.allow_cluster_admin_policy;
  options.mode = core::AuthenticationMode::kApi;
  auto plan = core::planAccessEntries(*rules, iam, *existing, options);
  if (!plan.ok()) {
    Error e = plan.error();
    e.message = in.rules_path + ": " + e.message;
    return e;
  }
  return in.json ? core::renderAccessEntryPlanJson(*plan) : core::renderAccessEntryPlanText(*plan);
}

}  // namespace aar::app
