// Fuzz target: the rules parser (mapUsers of ConfigMap aws-auth-refresher) and the rules-file extractor.
// Properties: never crash or hang; a parsed RuleSet can be matched against; re-parsing is deterministic.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rules = aar::core::RuleSet::parse(text);
  if (rules.ok()) {
    (void)rules->firstMatch("arn:aws:iam::123456789012:user/tmp-foo-1");
    (void)rules->matches(text.substr(0, 256));
    auto again = aar::core::RuleSet::parse(text);
    if (!again.ok() || again->rules().size() != rules->rules().size()) std::abort();
  }
  auto source = aar::core::extractRulesMapUsers(text);
  if (source.ok()) (void)aar::core::RuleSet::parse(source->map_users);
  return 0;
}
