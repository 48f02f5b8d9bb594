// Fuzz target: the rules parser (mapUsers and mapRoles of ConfigMap aws-auth-refresher), RuleSet::match with
// IAM groups and ${...} expansion, the accounts list, and the rules-file extractors.
// Properties: never crash or hang; a parsed RuleSet can be matched against; re-parsing is deterministic;
// match() agrees with matches(Principal) and never returns both a username and an expansion error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/rules.hpp"

namespace {

void checkMatch(const aar::core::RuleSet& rules, const aar::core::Principal& p) {
  const auto m = rules.match(p);
  const auto all = rules.matches(p);
  if (m.has_value() != !all.empty()) std::abort();
  if (!m) return;
  if (m->rule_index != all.front()) std::abort();
  if (m->expansion_error.empty() == m->username.empty()) std::abort();  // exactly one of the two.
}

void exercise(std::string_view text, aar::core::RuleSet::Kind kind, std::string_view arn) {
  aar::core::RuleSet::ParseOptions options;
  options.kind = kind;
  auto rules = aar::core::RuleSet::parse(text, options);
  if (!rules.ok()) return;
  (void)rules->firstMatch("arn:aws:iam::123456789012:user/tmp-foo-1");
  (void)rules->matches(arn);
  (void)aar::core::ruleWarnings(*rules);
  std::vector<std::string> groups = rules->iamGroups();
  checkMatch(*rules, aar::core::Principal{std::string(arn), "AIDA", {}});
  checkMatch(*rules, aar::core::Principal{std::string(arn), "AIDA", groups});
  auto again = aar::core::RuleSet::parse(text, options);
  if (!again.ok() || again->rules().size() != rules->rules().size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string_view arn = text.substr(0, 256);
  exercise(text, aar::core::RuleSet::Kind::kUsers, arn);
  exercise(text, aar::core::RuleSet::Kind::kRoles, arn);
  auto source = aar::core::extractRulesMapUsers(text);
  if (source.ok()) (void)aar::core::RuleSet::parse(source->map_users);
  auto rules_text = aar::core::extractRulesText(text);
  if (rules_text.ok()) (void)aar::core::parseRulesConfig(*rules_text);
  aar::core::RulesText accounts;
  accounts.map_users = "[]";
  accounts.accounts = std::string(text);
  (void)aar::core::parseRulesConfig(accounts);
  return 0;
}
