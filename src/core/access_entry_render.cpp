#include "core/access_entry_render.hpp"

#include <cctype>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace aar::core {
namespace {

using Op = AccessEntryOperation;

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += ch;  // UTF-8 passes through.
    }
  }
  out += '"';
  return out;
}

bool plainTextSafe(unsigned char c) {
  return std::isalnum(c) != 0 ||
         std::string_view(":/._@+-$%{}").find(static_cast<char>(c)) != std::string_view::npos;
}

// A value as it appears in a text line: itself when it cannot be misread, else a JSON string.
std::string textValue(std::string_view s) {
  bool plain = !s.empty();
  for (const char c : s) plain = plain && plainTextSafe(static_cast<unsigned char>(c));
  return plain ? std::string(s) : jsonString(s);
}

std::string textList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + textValue(items[i]);
  return out + "]";
}

std::string textScope(const AccessScope& scope) {
  return scope.type == AccessScope::Type::kCluster ? "cluster" : "namespace:" + textList(scope.namespaces);
}

std::string textLine(const Op& op) {
  std::string line = std::string(accessEntryOperationName(op.kind)) + " " + textValue(op.principal_arn);
  switch (op.kind) {
    case Op::Kind::kCreateAccessEntry: {
      line += std::string(" type=") + kStandardAccessEntryType + " username=" + textValue(op.username) +
              " groups=" + textList(op.kubernetes_groups) + " tags={";
      bool first = true;
      for (const auto& [k, v] : op.tags) {
        line += (first ? "" : ",") + textValue(k) + "=" + textValue(v);
        first = false;
      }
      line += "}";
      break;
    }
    case Op::Kind::kAssociateAccessPolicy:
      line += " policy=" + textValue(op.policy.policy_arn) + " scope=" + textScope(op.policy.scope);
      break;
    case Op::Kind::kUpdateAccessEntry:
      line += " username=" + textValue(op.username) + " groups=" + textList(op.kubernetes_groups);
      break;
    case Op::Kind::kDisassociateAccessPolicy:
      line += " policy=" + textValue(op.policy.policy_arn);
      break;
    case Op::Kind::kDeleteAccessEntry:
      line += std::string(" reason=") + deleteReasonName(op.reason);
      break;
  }
  return line;
}

std::string ruleName(PrincipalKind kind, size_t index) {
  return std::string(kind == PrincipalKind::kRole ? "mapRoles" : "mapUsers") + " rule " +
         std::to_string(index);
}

std::string jsonList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + jsonString(items[i]);
  return out + "]";
}

std::string jsonOperation(const Op& op) {
  std::string out = "{\"operation\":" + jsonString(accessEntryOperationName(op.kind)) +
                    ",\"principalArn\":" + jsonString(op.principal_arn);
  switch (op.kind) {
    case Op::Kind::kCreateAccessEntry: {
      out += ",\"type\":" + jsonString(kStandardAccessEntryType) +
             ",\"username\":" + jsonString(op.username) +
             ",\"kubernetesGroups\":" + jsonList(op.kubernetes_groups) + ",\"tags\":{";
      bool first = true;
      for (const auto& [k, v] : op.tags) {
        out += (first ? "" : ",") + jsonString(k) + ":" + jsonString(v);
        first = false;
      }
      out += "}";
      break;
    }
    case Op::Kind::kAssociateAccessPolicy:
      out += ",\"policyArn\":" + jsonString(op.policy.policy_arn) + ",\"accessScope\":{\"type\":";
      if (op.policy.scope.type == AccessScope::Type::kCluster) {
        out += "\"cluster\"}";
      } else {
        out += "\"namespace\",\"namespaces\":" + jsonList(op.policy.scope.namespaces) + "}";
      }
      break;
    case Op::Kind::kUpdateAccessEntry:
      out += ",\"username\":" + jsonString(op.username) +
             ",\"kubernetesGroups\":" + jsonList(op.kubernetes_groups);
      break;
    case Op::Kind::kDisassociateAccessPolicy:
      out += ",\"policyArn\":" + jsonString(op.policy.policy_arn);
      break;
    case Op::Kind::kDeleteAccessEntry:
      out += ",\"reason\":" + jsonString(deleteReasonName(op.reason));
      break;
  }
  return out + "}";
}

}  // namespace

std::string renderAccessEntryPlanText(const AccessEntryPlan& plan) {
  std::string out;
  for (const Op& op : plan.operations) out += textLine(op) + "\n";
  if (plan.operations.empty()) out += "# no calls: every access entry is as it should be\n";
  for (const SkippedPrincipal& s : plan.skipped) {
    out += "# skipped " + textValue(s.principal_arn) + " (" + ruleName(s.principal, s.rule_index) +
           "): " + skipReasonName(s.reason) + "\n";
  }
  for (const ExpansionFailure& f : plan.expansion_failures) {
    out += "# no entry for " + textValue(f.arn) + " (" + ruleName(f.principal, f.rule_index) +
           "): " + f.reason + "\n";
  }
  if (plan.not_created_over_limit > 0) {
    out +=
        "# not created (the cluster's access entry limit): " + std::to_string(plan.not_created_over_limit) +
        "\n";
  }
  return out;
}

std::string renderAccessEntryPlanJson(const AccessEntryPlan& plan) {
  std::string out = "{\"operations\":[";
  for (size_t i = 0; i < plan.operations.size(); ++i)
    out += (i ? "," : "") + jsonOperation(plan.operations[i]);
  out += "],\"skipped\":[";
  for (size_t i = 0; i < plan.skipped.size(); ++i) {
    const SkippedPrincipal& s = plan.skipped[i];
    out += std::string(i ? "," : "") + "{\"principalArn\":" + jsonString(s.principal_arn) +
           ",\"kind\":" + jsonString(principalKindName(s.principal)) +
           ",\"rule\":" + std::to_string(s.rule_index) +
           ",\"reason\":" + jsonString(skipReasonName(s.reason)) + "}";
  }
  out += "],\"shadowed\":[";
  for (size_t i = 0; i < plan.shadowed.size(); ++i) {
    const ShadowedMatch& s = plan.shadowed[i];
    std::string rules = "[";
    for (size_t j = 0; j < s.shadowed_rules.size(); ++j)
      rules += (j ? "," : "") + std::to_string(s.shadowed_rules[j]);
    out += std::string(i ? "," : "") + "{\"principalArn\":" + jsonString(s.arn) +
           ",\"kind\":" + jsonString(principalKindName(s.principal)) +
           ",\"rule\":" + std::to_string(s.rule_index) + ",\"shadowedRules\":" + rules + "]}";
  }
  out += "],\"expansionFailures\":[";
  for (size_t i = 0; i < plan.expansion_failures.size(); ++i) {
    const ExpansionFailure& f = plan.expansion_failures[i];
    out += std::string(i ? "," : "") + "{\"principalArn\":" + jsonString(f.arn) +
           ",\"kind\":" + jsonString(principalKindName(f.principal)) +
           ",\"rule\":" + std::to_string(f.rule_index) + ",\"reason\":" + jsonString(f.reason) + "}";
  }
  out += "],\"notCreatedOverLimit\":" + std::to_string(plan.not_created_over_limit) +
         ",\"foreignEntries\":" + std::to_string(plan.foreign_count) +
         ",\"frozenKept\":" + std::to_string(plan.frozen_kept) +
         ",\"managedEntries\":" + std::to_string(plan.managed_count) + "}";
  return out;
}

}  // namespace aar::core
