// Rules: the `mapUsers` and `mapRoles` values of ConfigMap kube-system/aws-auth-refresher, parsed strictly
// and compiled once (one RuleSet per key; RulesConfig holds both and the `accounts` list). docs/core.md has
// the full format.
//
// Format (the 2019 Go tool's, plus the additive keys of issue #12): a YAML list of
//   - arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
//     username: foo
//     groups:
//     - system:masters
//
// Strictness (each failure is an Error of kind kInvalidArgument whose message names the rule's index, the
// field and, where yaml-cpp gives one, the line):
//   - the value must be a YAML list; `[]` is valid and means "manage nothing"; an empty value is an error;
//   - each rule is a map with the keys arnRegex, iamGroup (mapUsers only), username (required, non-empty),
//     groups (optional; a list of strings, may be empty) and accessPolicies (optional); at least one of
//     arnRegex and iamGroup; any other key (`arnregex`, `arn_regex`, ...) is an error, and so is a key that
//     appears twice (yaml-cpp silently keeps one; we walk the keys ourselves);
//   - values must be strings: a map, a list, a null or a plain scalar that YAML would read as a boolean, a
//     number or a null (`yes`, `123`, `~`) is an error (quote it);
//   - arnRegex must compile with RE2; patterns RE2 rejects (backreferences, lookaround) are errors;
//   - username may hold ${name} / ${N} references to arnRegex's capture groups and $$ (see UsernameTemplate);
//     a reference the pattern cannot satisfy is an error.
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

// One IAM principal as listed, which is what a rule is matched against.
struct Principal {
  std::string arn;  // as IAM returns it; a role's ARN includes its path (role/aws-reserved/.../Name).
  std::string id;   // IAM's unique id (UserId "AIDA...", RoleId "AROA..."); empty when unknown (plan).
  // Users: the names of the IAM groups the user is a member of, among those the rules name (iamGroup); any
  // order. Empty for roles.
  std::vector<std::string> iam_groups;
};

// An EKS access policy a rule associates (access-entries backend; the aws-auth backend ignores it).
struct AccessScope {
  enum class Type { kCluster, kNamespace };
  Type type = Type::kCluster;
  std::vector<std::string> namespaces;  // non-empty iff type == kNamespace.
  bool operator==(const AccessScope&) const = default;
};
struct AccessPolicy {
  std::string policy_arn;
  AccessScope scope;
  bool operator==(const AccessPolicy&) const = default;
};

struct Rule {
  std::string arn_regex;  // empty only when iam_group is set.
  std::string iam_group;  // mapUsers rules only: the rule matches members of this IAM group. Empty: none.
  // May hold ${name}, ${N} (the pattern's capture groups) and $$ (a literal $); see RuleSet::match.
  std::string username;
  std::vector<std::string> groups;
  std::vector<AccessPolicy> access_policies;
  int line =
      0;  // 1-based line of the rule in the parsed text (plus ParseOptions::first_line - 1); 0 if unknown.
};

// The rule that decides a principal, and the username it gets.
struct RuleMatch {
  size_t rule_index = 0;
  std::string username;  // the rule's username with ${...} expanded; empty when expansion_error is set.
  // Non-empty when the expansion failed for this principal (a captured text with characters IAM does not
  // allow in names, or an empty result): the principal gets no entry and is reported with this reason.
  std::string expansion_error;
};

class RuleSet {
 public:
  enum class Kind { kUsers, kRoles };  // the mapUsers or the mapRoles key; iamGroup is for kUsers only.

  struct ParseOptions {
    // Line number of the first line of the text, so that errors and Rule::line point into the file the text
    // came from (e.g. the line after `mapUsers: |` in a manifest). Default: 1.
    int first_line = 1;
    // Prefix of every error message, e.g. the file name. Default: "rules".
    std::string source = "rules";
    Kind kind = Kind::kUsers;
  };

  // A RuleSet that manages nothing (the same as parsing "[]").
  RuleSet();

  // Parses and compiles a mapUsers value. On failure returns kInvalidArgument with a message such as
  //   "rules: rule 2 (line 7): unknown key \"arnregex\" (allowed: arnRegex, username, groups)".
  // Rule indexes in messages are 0-based, like RuleSet::rules().
  static Result<RuleSet> parse(std::string_view map_users_yaml);
  static Result<RuleSet> parse(std::string_view map_users_yaml, const ParseOptions& options);

  const std::vector<Rule>& rules() const;
  // The key the rules were parsed for (ParseOptions::kind); kUsers for RuleSet().
  Kind kind() const;
  bool empty() const { return rules().empty(); }

  // Index of the first rule whose pattern matches `arn` anywhere (RE2::PartialMatch), or nullopt.
  std::optional<size_t> firstMatch(std::string_view arn) const;
  // Indexes of every rule that matches `arn`, ascending. The first is firstMatch(arn); the rest are shadowed.
  std::vector<size_t> matches(std::string_view arn) const;

  // The first rule that matches `principal` (its pattern matches the ARN, and the principal is a member of
  // its iamGroup when it names one), with the username expanded from that pattern's captures; nullopt when
  // none matches.
  std::optional<RuleMatch> match(const Principal& principal) const;
  // Indexes of every rule that matches `principal`, ascending (the first is match()'s).
  std::vector<size_t> matches(const Principal& principal) const;
  // The distinct IAM group names the rules name (iamGroup), sorted. Empty: no GetGroup call is needed.
  std::vector<std::string> iamGroups() const;

 private:
  struct Compiled;
  std::shared_ptr<const Compiled> compiled_;
};

// Warnings about rules that are valid but risky, in rule order (mapUsers and mapRoles rule sets alike; a
// mapRoles message starts "mapRoles rule N"):
//   - a rule without iamGroup that grants `system:masters` with an arnRegex not anchored at both ends (^ or
//     \\A ... $ or \\z) matches any ARN that merely contains the pattern, so whoever can create such an IAM
//     user or role gets cluster-admin;
//   - a username that starts with a ${...} reference lets whoever names a matching IAM principal choose its
//     Kubernetes username (e.g. "alice"), inheriting RoleBindings made for that name; a literal prefix
//     ("vault:${who}") avoids it. Expansion itself cannot produce `system:` or a template ({{...}}).
// Empty when there is nothing to say.
std::vector<std::string> ruleWarnings(const RuleSet& rules);

// A second AWS account whose principals are listed with credentials from STS AssumeRole.
struct AccountSpec {
  std::string role_arn;     // arn:<partition>:iam::<account>:role/<name>
  std::string external_id;  // empty: none.
  std::string account_id;   // the 12 digits of role_arn.
  int line = 0;
};

// The whole rules ConfigMap's data, each key optional.
struct RulesText {
  std::optional<std::string> map_users;
  std::optional<std::string> map_roles;
  std::optional<std::string> accounts;
  int map_users_first_line = 1;  // where each value starts in its file (for `plan`); 1 otherwise.
  int map_roles_first_line = 1;
  int accounts_first_line = 1;
};

// Everything the rules ConfigMap configures.
struct RulesConfig {
  RuleSet users;                      // mapUsers rules (empty when the key is absent).
  RuleSet roles;                      // mapRoles rules (empty when the key is absent).
  std::vector<AccountSpec> accounts;  // further accounts; empty: only the controller's own.
};

// Parses each present key strictly (errors name the key, the rule or item, the field and the line; messages
// start with `source`). kInvalidArgument when any key is invalid, or when neither mapUsers nor mapRoles is
// present.
Result<RulesConfig> parseRulesConfig(const RulesText& text, std::string_view source = "rules");

// The mapUsers text of a rules file, and where it starts in that file.
struct RulesSource {
  std::string map_users;
  int first_line = 1;
};

// Accepts either a whole aws-auth-refresher ConfigMap manifest (a YAML map with kind: ConfigMap and
// data.mapUsers) or just the mapUsers value (a YAML list), and returns the mapUsers text. A manifest without
// data.mapUsers, or a document that is neither, is kInvalidArgument.
Result<RulesSource> extractRulesMapUsers(std::string_view text);

// Like extractRulesMapUsers, for every key of the rules ConfigMap (for `plan`): a manifest's data.mapUsers,
// data.mapRoles and data.accounts, each optional, with the line each value starts on (a block scalar's
// content starts on the line after `|`); a bare YAML list is the mapUsers value. kInvalidArgument when the
// text is neither, when a present key is not a string, or when neither mapUsers nor mapRoles is present.
// The values are not parsed: pass the result to parseRulesConfig.
Result<RulesText> extractRulesText(std::string_view text);

}  // namespace aar::core
