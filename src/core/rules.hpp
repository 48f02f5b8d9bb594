// Rules: the `mapUsers` value of ConfigMap kube-system/aws-auth-refresher, parsed strictly and compiled once.
//
// Format (the 2019 Go tool's, unchanged): a YAML list of
//   - arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
//     username: foo
//     groups:
//     - system:masters
//
// Strictness (each failure is an Error of kind kInvalidArgument whose message names the rule's index, the
// field and, where yaml-cpp gives one, the line):
//   - the value must be a YAML list; `[]` is valid and means "manage nothing"; an empty value is an error;
//   - each rule is a map with exactly the keys arnRegex (required, non-empty), username (required, non-empty)
//     and groups (optional; a list of strings, may be empty); any other key (`arnregex`, `arn_regex`, ...) is
//     an error, and so is a key that appears twice (yaml-cpp silently keeps one; we walk the keys ourselves);
//   - values must be strings: a map, a list, a null or a plain scalar that YAML would read as a boolean, a
//     number or a null (`yes`, `123`, `~`) is an error (quote it);
//   - arnRegex must compile with RE2; patterns RE2 rejects (backreferences, lookaround) are errors.
//
// Dialect: RE2, which is the syntax of Go's regexp package that the old tool used. Matching is an unanchored
// search like Go's MatchString (RE2::PartialMatch): write ^...$ to match a whole ARN.
//
// Thread-safety: a RuleSet is immutable after parse(); const methods may be called from any number of
// threads. Copies are cheap (they share the compiled patterns).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace aar::core {

struct Rule {
  std::string arn_regex;
  std::string username;
  std::vector<std::string> groups;
  int line =
      0;  // 1-based line of the rule in the parsed text (plus ParseOptions::first_line - 1); 0 if unknown.
};

class RuleSet {
 public:
  struct ParseOptions {
    // Line number of the first line of the text, so that errors and Rule::line point into the file the text
    // came from (e.g. the line after `mapUsers: |` in a manifest). Default: 1.
    int first_line = 1;
    // Prefix of every error message, e.g. the file name. Default: "rules".
    std::string source = "rules";
  };

  // A RuleSet that manages nothing (the same as parsing "[]").
  RuleSet();

  // Parses and compiles a mapUsers value. On failure returns kInvalidArgument with a message such as
  //   "rules: rule 2 (line 7): unknown key \"arnregex\" (allowed: arnRegex, username, groups)".
  // Rule indexes in messages are 0-based, like RuleSet::rules().
  static Result<RuleSet> parse(std::string_view map_users_yaml);
  static Result<RuleSet> parse(std::string_view map_users_yaml, const ParseOptions& options);

  const std::vector<Rule>& rules() const;
  bool empty() const { return rules().empty(); }

  // Index of the first rule whose pattern matches `arn` anywhere (RE2::PartialMatch), or nullopt.
  std::optional<size_t> firstMatch(std::string_view arn) const;
  // Indexes of every rule that matches `arn`, ascending. The first is firstMatch(arn); the rest are shadowed.
  std::vector<size_t> matches(std::string_view arn) const;

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;
};

// Warnings about rules that are valid but risky, one message per rule, in rule order: a rule that grants
// `system:masters` with an arnRegex not anchored at both ends (^ or \\A ... $ or \\z) matches any ARN that
// merely contains the pattern, so whoever can create such an IAM user gets cluster-admin. Empty when there is
// nothing to say.
std::vector<std::string> ruleWarnings(const RuleSet& rules);

// The mapUsers text of a rules file, and where it starts in that file.
struct RulesSource {
  std::string map_users;
  int first_line = 1;
};

// Accepts either a whole aws-auth-refresher ConfigMap manifest (a YAML map with kind: ConfigMap and
// data.mapUsers) or just the mapUsers value (a YAML list), and returns the mapUsers text. A manifest without
// data.mapUsers, or a document that is neither, is kInvalidArgument.
Result<RulesSource> extractRulesMapUsers(std::string_view text);

}  // namespace aar::core
