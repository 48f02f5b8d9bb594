#include "core/rules.hpp"

#include <re2/re2.h>
#include <re2/set.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <utility>

#include "core/libyaml_tree.hpp"
#include "core/username_template.hpp"
#include "core/yaml_util.hpp"

namespace aar::core {
namespace {

constexpr char kArnRegex[] = "arnRegex";
constexpr char kIamGroup[] = "iamGroup";
constexpr char kUsername[] = "username";
constexpr char kGroups[] = "groups";
constexpr char kAccessPolicies[] = "accessPolicies";
constexpr std::array<std::string_view, 5> kRuleKeys = {kArnRegex, kIamGroup, kUsername, kGroups,
                                                       kAccessPolicies};

// IAM's limit on a group name: [\w+=,.@-]{1,128}.
constexpr size_t kMaxIamGroupName = 128;

// The ConfigMap key the rules come from, for messages.
const char* keyName(RuleSet::Kind kind) { return kind == RuleSet::Kind::kRoles ? "mapRoles" : "mapUsers"; }

// Memory for the RE2::Set's DFA. Above it, Match() reports out-of-memory and we fall back to one RE2 per
// rule.
constexpr int64_t kSetMaxMemBytes = 64 << 20;

// Go's regexp defaults: UTF-8, leftmost-first (not longest) match, case-sensitive, `.` does not match \n,
// Perl classes (\d \w \s \b) allowed. RE2's defaults are these; we only silence its logging.
RE2::Options goCompatibleOptions() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_longest_match(false);
  options.set_log_errors(false);
  return options;
}

std::string where(const RuleSet::ParseOptions& o, size_t index, std::string_view field, int yaml_line) {
  std::string s = o.source + ": rule " + std::to_string(index);
  if (!field.empty()) s += ", field " + std::string(field);
  if (yaml_line > 0) s += ", line " + std::to_string(yaml_line + o.first_line - 1);
  return s + ": ";
}

Error invalid(std::string message) { return makeError(ErrorKind::kInvalidArgument, std::move(message)); }

// Reads a required or optional string field. Returns an error message, or empty on success.
std::string readString(const YAML::Node& value, std::string* out) {
  if (value.IsNull()) return "must be a string, not null (empty value or ~)";
  if (value.IsMap()) return "must be a string, not a map";
  if (value.IsSequence()) return "must be a string, not a list";
  if (!yaml::isStringScalar(value)) {
    return "must be a string, not \"" + value.Scalar() +
           "\" (YAML reads it as a boolean, number or null; quote it)";
  }
  // No rule field has a use for a control character, and aws-iam-authenticator's reading of one written into
  // aws-auth is not ours to guess: refuse them (a tab or a NUL in a username, say) outright.
  for (const char c : value.Scalar()) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      return std::string("must not contain control characters (byte 0x") + kHex[byte >> 4] + kHex[byte & 15] +
             ")";
    }
  }
  // Nor for a line break that YAML readers disagree on (written into aws-auth, it would read differently).
  if (std::string_view b = yaml::ambiguousLineBreak(value.Scalar()); !b.empty()) {
    return "must not contain " + std::string(b) + ", a line break YAML readers disagree on";
  }
  *out = value.Scalar();
  return {};
}

// The rules' YAML list: no aliases, valid YAML, not empty, a list. Errors: kInvalidArgument.
Result<YAML::Node> loadRuleList(std::string_view map_users_yaml, const RuleSet::ParseOptions& o) {
  if (const yaml::FoundAlias alias = yaml::findAlias(map_users_yaml); alias.line > 0) {
    return invalid(o.source + ": " + yaml::aliasNotAllowed(alias.name, alias.line + o.first_line - 1));
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(map_users_yaml));
  } catch (const YAML::Exception& e) {
    return invalid(o.source + ": YAML syntax error at line " + std::to_string(e.mark.line + o.first_line) +
                   ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) {
    return invalid(o.source + ": " + keyName(o.kind) + " is empty; write [] to manage nothing");
  }
  if (!root.IsSequence()) {
    return invalid(o.source + ": line " + std::to_string(yaml::lineOf(root) + o.first_line - 1) + ": " +
                   keyName(o.kind) + " must be a YAML list of rules ({arnRegex, username, groups})");
  }
  return root;
}

// A rule is a map of the known keys, each once (keys are case-sensitive: the old tool ignored typos such as
// `arnregex` and then matched every IAM user).
Status checkRuleKeys(const YAML::Node& item, size_t i, int line, const RuleSet::ParseOptions& o) {
  if (!item.IsMap()) {
    return invalid(where(o, i, "", line) + "a rule must be a map with keys arnRegex, username and groups");
  }
  for (const auto& kv : item) {
    if (!kv.first.IsScalar())
      return invalid(where(o, i, "", yaml::lineOf(kv.first)) + "a key must be a string");
    const std::string& key = kv.first.Scalar();
    if (key == kIamGroup && o.kind == RuleSet::Kind::kRoles) {
      return invalid(where(o, i, key, yaml::lineOf(kv.first)) +
                     "iamGroup is for mapUsers rules only (IAM roles are not members of IAM groups)");
    }
    if (std::find(kRuleKeys.begin(), kRuleKeys.end(), key) == kRuleKeys.end()) {
      return invalid(where(o, i, key, yaml::lineOf(kv.first)) + "unknown key \"" + key + "\" (allowed: " +
                     (o.kind == RuleSet::Kind::kRoles
                          ? "arnRegex, username, groups, accessPolicies"
                          : "arnRegex, iamGroup, username, groups, accessPolicies") +
                     "; keys are case-sensitive)");
    }
  }
  if (const auto dup = yaml::findDuplicateKey(item); !dup.key.empty()) {
    return invalid(where(o, i, dup.key, dup.line) + "duplicate key \"" + dup.key + "\"");
  }
  return {};
}

// A required, non-empty string field; `if_empty` says why empty is refused.
Status readRequiredString(const YAML::Node& item, const char* key, size_t i, int line,
                          const RuleSet::ParseOptions& o, const char* if_empty, std::string* out) {
  const YAML::Node value = item[key];
  if (!value.IsDefined()) return invalid(where(o, i, key, line) + "missing (required)");
  if (auto m = readString(value, out); !m.empty()) return invalid(where(o, i, key, yaml::lineOf(value)) + m);
  if (out->empty()) return invalid(where(o, i, key, yaml::lineOf(value)) + if_empty);
  return {};
}

// `groups`: absent, null or a list of non-empty strings.
Status readGroups(const YAML::Node& item, size_t i, const RuleSet::ParseOptions& o,
                  std::vector<std::string>* out) {
  const YAML::Node groups = item[kGroups];
  if (!groups.IsDefined() || groups.IsNull()) return {};
  if (!groups.IsSequence())
    return invalid(where(o, i, kGroups, yaml::lineOf(groups)) + "must be a list of strings");
  for (size_t g = 0; g < groups.size(); ++g) {
    std::string group;
    const std::string field = std::string(kGroups) + "[" + std::to_string(g) + "]";
    if (auto m = readString(groups[g], &group); !m.empty()) {
      return invalid(where(o, i, field, yaml::lineOf(groups[g])) + m);
    }
    if (group.empty()) return invalid(where(o, i, field, yaml::lineOf(groups[g])) + "must not be empty");
    out->push_back(std::move(group));
  }
  return {};
}

// The keys of a map that is not a rule (an access policy, its scope): each a known string key, once. Returns
// an error message and sets *line, or returns empty.
std::string checkKeys(const YAML::Node& map, std::initializer_list<std::string_view> allowed, int* line) {
  for (const auto& kv : map) {
    *line = yaml::lineOf(kv.first);
    if (!kv.first.IsScalar()) return "a key must be a string";
    const std::string& key = kv.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (const std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return "unknown key \"" + key + "\" (allowed: " + list + "; keys are case-sensitive)";
    }
  }
  if (const auto dup = yaml::findDuplicateKey(map); !dup.key.empty()) {
    *line = dup.line;
    return "duplicate key \"" + dup.key + "\"";
  }
  return {};
}

// True if `arn` is an EKS access policy ARN: arn:<partition>:eks::aws:cluster-access-policy/<Name>.
bool isAccessPolicyArn(std::string_view arn) {
  static const RE2 kPolicyArn("arn:aws(?:-[a-z]+)*:eks::aws:cluster-access-policy/[A-Za-z0-9_+=,.@-]{1,128}",
                              goCompatibleOptions());
  return RE2::FullMatch(arn, kPolicyArn);
}

// accessPolicies[p].accessScope: {type: cluster} or {type: namespace, namespaces: [non-empty strings]}.
Status readAccessScope(const YAML::Node& scope, size_t i, const std::string& field, int parent_line,
                       const RuleSet::ParseOptions& o, AccessScope* out) {
  if (!scope.IsDefined()) {
    return invalid(where(o, i, field, parent_line) +
                   "missing (required: {type: cluster} or {type: namespace, namespaces: [...]})");
  }
  if (!scope.IsMap()) {
    return invalid(where(o, i, field, yaml::lineOf(scope)) +
                   "must be a map {type: cluster} or {type: namespace, namespaces: [...]}");
  }
  int line = yaml::lineOf(scope);
  if (auto m = checkKeys(scope, {"type", "namespaces"}, &line); !m.empty()) {
    return invalid(where(o, i, field, line) + m);
  }
  const YAML::Node type = scope["type"];
  const std::string type_field = field + ".type";
  if (!type.IsDefined()) return invalid(where(o, i, type_field, yaml::lineOf(scope)) + "missing (required)");
  std::string type_text;
  if (auto m = readString(type, &type_text); !m.empty()) {
    return invalid(where(o, i, type_field, yaml::lineOf(type)) + m);
  }
  const YAML::Node namespaces = scope["namespaces"];
  const std::string ns_field = field + ".namespaces";
  if (type_text == "cluster") {
    out->type = AccessScope::Type::kCluster;
    if (namespaces.IsDefined()) {
      return invalid(where(o, i, ns_field, yaml::lineOf(namespaces)) +
                     "not allowed with type cluster (the policy applies to every namespace)");
    }
    return {};
  }
  if (type_text != "namespace") {
    return invalid(where(o, i, type_field, yaml::lineOf(type)) + "must be cluster or namespace, not \"" +
                   type_text + "\"");
  }
  out->type = AccessScope::Type::kNamespace;
  if (!namespaces.IsDefined()) {
    return invalid(where(o, i, ns_field, yaml::lineOf(scope)) + "missing (required with type namespace)");
  }
  if (!namespaces.IsSequence() || namespaces.size() == 0) {
    return invalid(where(o, i, ns_field, yaml::lineOf(namespaces)) +
                   "must be a non-empty list of namespace names");
  }
  for (size_t n = 0; n < namespaces.size(); ++n) {
    std::string ns;
    const std::string ns_item = ns_field + "[" + std::to_string(n) + "]";
    if (auto m = readString(namespaces[n], &ns); !m.empty()) {
      return invalid(where(o, i, ns_item, yaml::lineOf(namespaces[n])) + m);
    }
    if (ns.empty()) return invalid(where(o, i, ns_item, yaml::lineOf(namespaces[n])) + "must not be empty");
    out->namespaces.push_back(std::move(ns));
  }
  return {};
}

// `accessPolicies`: absent, null or a list of {policyArn, accessScope}; a policy at most once per rule.
Status readAccessPolicies(const YAML::Node& item, size_t i, const RuleSet::ParseOptions& o,
                          std::vector<AccessPolicy>* out) {
  const YAML::Node list = item[kAccessPolicies];
  if (!list.IsDefined() || list.IsNull()) return {};
  if (!list.IsSequence()) {
    return invalid(where(o, i, kAccessPolicies, yaml::lineOf(list)) +
                   "must be a list of {policyArn, accessScope}");
  }
  for (size_t p = 0; p < list.size(); ++p) {
    const YAML::Node policy = list[p];
    const std::string field = std::string(kAccessPolicies) + "[" + std::to_string(p) + "]";
    int line = yaml::lineOf(policy);
    if (!policy.IsMap()) {
      return invalid(where(o, i, field, line) + "must be a map with keys policyArn and accessScope");
    }
    if (auto m = checkKeys(policy, {"policyArn", "accessScope"}, &line); !m.empty()) {
      return invalid(where(o, i, field, line) + m);
    }
    AccessPolicy parsed;
    const YAML::Node arn = policy["policyArn"];
    const std::string arn_field = field + ".policyArn";
    if (!arn.IsDefined()) return invalid(where(o, i, arn_field, yaml::lineOf(policy)) + "missing (required)");
    if (auto m = readString(arn, &parsed.policy_arn); !m.empty()) {
      return invalid(where(o, i, arn_field, yaml::lineOf(arn)) + m);
    }
    if (!isAccessPolicyArn(parsed.policy_arn)) {
      return invalid(where(o, i, arn_field, yaml::lineOf(arn)) + "\"" + parsed.policy_arn +
                     "\" is not an EKS access policy ARN (arn:aws:eks::aws:cluster-access-policy/<Name>)");
    }
    for (const AccessPolicy& earlier : *out) {
      if (earlier.policy_arn == parsed.policy_arn) {
        return invalid(where(o, i, arn_field, yaml::lineOf(arn)) + "policy " + parsed.policy_arn +
                       " is listed twice in this rule (an entry has one scope per policy)");
      }
    }
    if (Status s = readAccessScope(policy["accessScope"], i, field + ".accessScope", yaml::lineOf(policy), o,
                                   &parsed.scope);
        !s.ok()) {
      return s;
    }
    out->push_back(std::move(parsed));
  }
  return {};
}

// `iamGroup`: absent, or a valid IAM group name.
Status readIamGroup(const YAML::Node& item, size_t i, const RuleSet::ParseOptions& o, std::string* out) {
  const YAML::Node value = item[kIamGroup];
  if (!value.IsDefined()) return {};
  const int line = yaml::lineOf(value);
  if (auto m = readString(value, out); !m.empty()) return invalid(where(o, i, kIamGroup, line) + m);
  const bool valid =
      !out->empty() && out->size() <= kMaxIamGroupName && std::all_of(out->begin(), out->end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               std::string_view("_+=,.@-").find(c) != std::string_view::npos;
      });
  if (!valid) {
    return invalid(where(o, i, kIamGroup, line) + "\"" + *out +
                   "\" is not an IAM group name (1-128 characters of A-Z a-z 0-9 _ + = , . @ -)");
  }
  return {};
}

// Rule `i` of the list, validated field by field (not yet compiled).
Result<Rule> parseRule(const YAML::Node& item, size_t i, const RuleSet::ParseOptions& o) {
  const int line = yaml::lineOf(item);
  if (Status s = checkRuleKeys(item, i, line, o); !s.ok()) return s.error();
  Rule rule;
  rule.line = line > 0 ? line + o.first_line - 1 : 0;
  if (Status s = readIamGroup(item, i, o, &rule.iam_group); !s.ok()) return s.error();
  // arnRegex is required unless the rule names an iamGroup (then it is optional but, when given, non-empty).
  if (rule.iam_group.empty() || item[kArnRegex].IsDefined()) {
    if (Status s = readRequiredString(item, kArnRegex, i, line, o,
                                      "must not be empty (an empty pattern would match every IAM user)",
                                      &rule.arn_regex);
        !s.ok()) {
      if (o.kind == RuleSet::Kind::kUsers && !item[kArnRegex].IsDefined()) {
        return invalid(where(o, i, kArnRegex, line) + "missing (required unless the rule names an iamGroup)");
      }
      return s.error();
    }
  }
  if (Status s = readRequiredString(item, kUsername, i, line, o, "must not be empty", &rule.username);
      !s.ok()) {
    return s.error();
  }
  if (Status s = readGroups(item, i, o, &rule.groups); !s.ok()) return s.error();
  if (Status s = readAccessPolicies(item, i, o, &rule.access_policies); !s.ok()) return s.error();
  return rule;
}

// Compiles rule `i`'s pattern (its arnRegex at `yaml_line`) in the RE2/Go dialect; null for a rule without
// arnRegex (it names an iamGroup and matches every ARN).
Result<std::unique_ptr<RE2>> compilePattern(const Rule& rule, size_t i, int yaml_line,
                                            const RuleSet::ParseOptions& o, const RE2::Options& options) {
  if (rule.arn_regex.empty()) return std::unique_ptr<RE2>();
  auto re = std::make_unique<RE2>(rule.arn_regex, options);
  if (!re->ok()) {
    return invalid(where(o, i, kArnRegex, yaml_line) + "RE2 rejects the pattern \"" + rule.arn_regex +
                   "\": " + re->error() + " (the dialect is RE2/Go: no backreferences, no lookaround)");
  }
  return re;
}

// One RE2::Set of every pattern, to find all matching rules in one pass; null when there are no rules or the
// automaton would be too big (then matching goes rule by rule: correct, slower).
Result<std::unique_ptr<RE2::Set>> compileSet(const std::vector<Rule>& rules, const RuleSet::ParseOptions& o,
                                             const RE2::Options& options) {
  if (rules.empty()) return std::unique_ptr<RE2::Set>();
  RE2::Options set_options = options;
  set_options.set_max_mem(kSetMaxMemBytes);
  auto set = std::make_unique<RE2::Set>(set_options, RE2::UNANCHORED);
  for (size_t i = 0; i < rules.size(); ++i) {
    std::string error;
    // A rule without arnRegex matches every ARN pattern-wise (the empty pattern); its iamGroup decides.
    if (set->Add(rules[i].arn_regex, &error) != static_cast<int>(i)) {
      return invalid(where(o, i, kArnRegex, rules[i].line - o.first_line + 1) +
                     "RE2 rejects the pattern: " + error);
    }
  }
  if (!set->Compile()) set.reset();
  return set;
}

}  // namespace

struct RuleSet::Compiled {
  std::vector<Rule> rules;
  std::vector<std::unique_ptr<RE2>> regexes;  // per rule; null for a rule without arnRegex.
  std::vector<UsernameTemplate> usernames;    // per rule.
  std::unique_ptr<RE2::Set> set;              // null when there are no rules.
  std::vector<std::string> iam_groups;        // distinct iamGroup values, sorted.
  Kind kind = Kind::kUsers;

  // True when rule `i` matches the principal's groups (always, for a rule without iamGroup).
  bool inGroup(size_t i, const Principal& p) const {
    const std::string& group = rules[i].iam_group;
    return group.empty() || std::find(p.iam_groups.begin(), p.iam_groups.end(), group) != p.iam_groups.end();
  }
};

RuleSet::RuleSet() : compiled_(std::make_shared<Compiled>()) {}

Result<RuleSet> RuleSet::parse(std::string_view map_users_yaml) {
  return parse(map_users_yaml, ParseOptions{});
}

Result<RuleSet> RuleSet::parse(std::string_view map_users_yaml, const ParseOptions& o) {
  auto root = loadRuleList(map_users_yaml, o);
  if (!root.ok()) return root.error();
  auto compiled = std::make_shared<Compiled>();
  compiled->rules.reserve(root->size());
  compiled->kind = o.kind;
  const RE2::Options re_options = goCompatibleOptions();
  for (size_t i = 0; i < root->size(); ++i) {
    const YAML::Node item = (*root)[i];
    auto rule = parseRule(item, i, o);
    if (!rule.ok()) return rule.error();
    auto re = compilePattern(*rule, i, yaml::lineOf(item[kArnRegex]), o, re_options);
    if (!re.ok()) return re.error();
    auto username = UsernameTemplate::compile(rule->username, re->get());
    if (!username.ok()) {
      return invalid(where(o, i, kUsername, yaml::lineOf(item[kUsername])) + username.error().message);
    }
    if (!rule->iam_group.empty()) compiled->iam_groups.push_back(rule->iam_group);
    compiled->regexes.push_back(std::move(*re));
    compiled->usernames.push_back(std::move(*username));
    compiled->rules.push_back(std::move(*rule));
  }
  auto set = compileSet(compiled->rules, o, re_options);
  if (!set.ok()) return set.error();
  compiled->set = std::move(*set);
  std::sort(compiled->iam_groups.begin(), compiled->iam_groups.end());
  compiled->iam_groups.erase(std::unique(compiled->iam_groups.begin(), compiled->iam_groups.end()),
                             compiled->iam_groups.end());

  RuleSet result;
  result.compiled_ = std::move(compiled);
  return result;
}

const std::vector<Rule>& RuleSet::rules() const { return compiled_->rules; }

RuleSet::Kind RuleSet::kind() const { return compiled_->kind; }

namespace {

// True if `pattern` can only match from the start of the text: it opens with ^ or \A, after any flag groups
// such as (?i).
bool anchoredAtStart(std::string_view pattern) {
  while (pattern.starts_with("(?")) {
    const size_t close = pattern.find(')');
    if (close == std::string_view::npos || pattern.find(':') < close)
      break;  // (?i:...) is a group, not flags.
    pattern.remove_prefix(close + 1);
  }
  return pattern.starts_with('^') || pattern.starts_with("\\A");
}

// True if `pattern` can only match up to the end of the text: it closes with an unescaped $ or with \z.
bool anchoredAtEnd(std::string_view pattern) {
  if (pattern.ends_with("\\z")) {
    size_t slashes = 0;
    for (size_t i = pattern.size() - 1; i-- > 0 && pattern[i] == '\\';) ++slashes;
    return slashes % 2 == 1;  // the backslash of \z is itself not escaped.
  }
  if (!pattern.ends_with('$')) return false;
  size_t slashes = 0;
  for (size_t i = pattern.size() - 1; i-- > 0 && pattern[i] == '\\';) ++slashes;
  return slashes % 2 == 0;
}

}  // namespace

std::vector<std::string> ruleWarnings(const RuleSet& rules) {
  std::vector<std::string> out;
  const std::vector<Rule>& list = rules.rules();
  // mapUsers messages are unchanged since 2019; mapRoles ones say so.
  const bool roles = rules.kind() == RuleSet::Kind::kRoles;
  const std::string principal = roles ? "IAM role" : "IAM user";
  for (size_t i = 0; i < list.size(); ++i) {
    const Rule& r = list[i];
    const std::string rule = std::string(roles ? "mapRoles rule " : "rule ") + std::to_string(i) +
                             (r.line > 0 ? " (line " + std::to_string(r.line) + ")" : "");
    const bool masters = std::find(r.groups.begin(), r.groups.end(), "system:masters") != r.groups.end();
    // A rule with iamGroup is decided by membership; its pattern can only narrow it.
    if (masters && r.iam_group.empty() && !(anchoredAtStart(r.arn_regex) && anchoredAtEnd(r.arn_regex))) {
      out.push_back(rule + " grants system:masters but its arnRegex " + r.arn_regex +
                    " is not anchored with ^...$: any " + principal +
                    " whose ARN merely contains a match gets cluster-admin");
    }
    // The template compiled, so a leading "${" is a reference: the principal's own name is the whole start
    // of its Kubernetes username, and RoleBindings written for another user of that name would apply to it.
    if (r.username.starts_with("${")) {
      out.push_back(rule + " username " + r.username + " starts with a capture: whoever may name an " +
                    principal +
                    " that matches chooses its Kubernetes username and gets every RoleBinding "
                    "made for that name; start it with a literal prefix such as \"user:" +
                    r.username + "\"");
    }
  }
  return out;
}

std::vector<size_t> RuleSet::matches(std::string_view arn) const {
  std::vector<size_t> out;
  const Compiled& c = *compiled_;
  if (c.rules.empty()) return out;
  if (c.set) {
    std::vector<int> hits;
    RE2::Set::ErrorInfo info{};
    if (c.set->Match(arn, &hits, &info)) {
      out.assign(hits.begin(), hits.end());
      std::sort(out.begin(), out.end());
      return out;
    }
    if (info.kind == RE2::Set::kNoError) return out;  // no rule matches.
    // kOutOfMemory (the DFA hit its budget): fall through to one RE2 per rule.
  }
  for (size_t i = 0; i < c.regexes.size(); ++i) {
    if (!c.regexes[i] || RE2::PartialMatch(arn, *c.regexes[i])) out.push_back(i);
  }
  return out;
}

std::optional<size_t> RuleSet::firstMatch(std::string_view arn) const {
  const Compiled& c = *compiled_;
  if (c.rules.empty()) return std::nullopt;
  if (!c.set) {
    for (size_t i = 0; i < c.regexes.size(); ++i) {
      if (!c.regexes[i] || RE2::PartialMatch(arn, *c.regexes[i])) return i;
    }
    return std::nullopt;
  }
  const std::vector<size_t> all = matches(arn);
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::optional<RuleMatch> RuleSet::match(const Principal& principal) const {
  const Compiled& c = *compiled_;
  std::optional<size_t> index;
  if (c.iam_groups.empty()) {
    index = firstMatch(principal.arn);  // no rule names a group: the pattern alone decides.
  } else {
    for (const size_t i : matches(principal.arn)) {
      if (c.inGroup(i, principal)) {
        index = i;
        break;
      }
    }
  }
  if (!index) return std::nullopt;
  RuleMatch m;
  m.rule_index = *index;
  const UsernameTemplate& username = c.usernames[*index];
  if (!username.hasReferences()) {
    m.username = username.literal();
    return m;
  }
  // Only rules whose username references a capture pay for a capturing match. The pattern matched (the
  // RE2::Set said so), and a template with references always has a pattern (compile() refuses otherwise).
  const RE2& re = *c.regexes[*index];
  const auto groups = static_cast<size_t>(username.maxGroup()) + 1;
  std::vector<re2::StringPiece> pieces(groups);
  if (!re.Match(principal.arn, 0, principal.arn.size(), RE2::UNANCHORED, pieces.data(),
                static_cast<int>(groups))) {
    m.expansion_error = "the arnRegex did not match on the second, capturing pass";  // not expected.
    return m;
  }
  std::vector<std::string_view> captures;
  captures.reserve(groups);
  for (const re2::StringPiece& p : pieces) captures.emplace_back(p.data(), p.size());
  if (!username.expand(captures, &m.username, &m.expansion_error)) m.username.clear();
  return m;
}

std::vector<size_t> RuleSet::matches(const Principal& principal) const {
  std::vector<size_t> out = matches(principal.arn);
  const Compiled& c = *compiled_;
  if (c.iam_groups.empty()) return out;
  out.erase(std::remove_if(out.begin(), out.end(), [&](size_t i) { return !c.inGroup(i, principal); }),
            out.end());
  return out;
}

std::vector<std::string> RuleSet::iamGroups() const { return compiled_->iam_groups; }

namespace {

// The 12-digit account id of a role ARN arn:<partition>:iam::<account>:role/<path/>name, or empty when `arn`
// is not one.
std::string roleArnAccount(std::string_view arn) {
  static const RE2 kRoleArn(R"(arn:aws(?:-[a-z]+)*:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64})",
                            goCompatibleOptions());
  std::string account;
  if (!RE2::FullMatch(arn, kRoleArn, &account)) return {};
  return account;
}

// STS's ExternalId: 2 to 1224 characters of [\w+=,.@:/-].
bool isExternalId(std::string_view id) {
  return id.size() >= 2 && id.size() <= 1224 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  std::string_view("_+=,.@:/-").find(c) != std::string_view::npos;
         });
}

// Parses the `accounts` value: a YAML list of {roleArn, externalId}. `prefix` is "<source>: accounts".
Result<std::vector<AccountSpec>> parseAccounts(std::string_view text, int first_line,
                                               const std::string& prefix) {
  const auto at = [&](size_t index, std::string_view field, int yaml_line) {
    std::string s = prefix + ": item " + std::to_string(index);
    if (!field.empty()) s += ", field " + std::string(field);
    if (yaml_line > 0) s += ", line " + std::to_string(yaml_line + first_line - 1);
    return s + ": ";
  };
  if (const yaml::FoundAlias alias = yaml::findAlias(text); alias.line > 0) {
    return invalid(prefix + ": " + yaml::aliasNotAllowed(alias.name, alias.line + first_line - 1));
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return invalid(prefix + ": YAML syntax error at line " + std::to_string(e.mark.line + first_line) +
                   ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull())
    return invalid(prefix + ": empty; write [] for no further accounts");
  if (!root.IsSequence()) {
    return invalid(prefix + ": line " + std::to_string(yaml::lineOf(root) + first_line - 1) +
                   ": accounts must be a YAML list of {roleArn, externalId}");
  }
  std::vector<AccountSpec> out;
  for (size_t i = 0; i < root.size(); ++i) {
    const YAML::Node item = root[i];
    int line = yaml::lineOf(item);
    if (!item.IsMap())
      return invalid(at(i, "", line) + "an account must be a map with keys roleArn and externalId");
    if (auto m = checkKeys(item, {"roleArn", "externalId"}, &line); !m.empty()) {
      return invalid(at(i, "", line) + m);
    }
    AccountSpec account;
    account.line = yaml::lineOf(item) > 0 ? yaml::lineOf(item) + first_line - 1 : 0;
    const YAML::Node arn = item["roleArn"];
    if (!arn.IsDefined()) return invalid(at(i, "roleArn", yaml::lineOf(item)) + "missing (required)");
    if (auto m = readString(arn, &account.role_arn); !m.empty()) {
      return invalid(at(i, "roleArn", yaml::lineOf(arn)) + m);
    }
    account.account_id = roleArnAccount(account.role_arn);
    if (account.account_id.empty()) {
      return invalid(at(i, "roleArn", yaml::lineOf(arn)) + "\"" + account.role_arn +
                     "\" is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name or path/name>)");
    }
    for (const AccountSpec& earlier : out) {
      if (earlier.account_id == account.account_id) {
        return invalid(at(i, "roleArn", yaml::lineOf(arn)) + "account " + account.account_id +
                       " is listed twice (also by the item at line " + std::to_string(earlier.line) + ")");
      }
    }
    if (const YAML::Node id = item["externalId"]; id.IsDefined()) {
      if (auto m = readString(id, &account.external_id); !m.empty()) {
        return invalid(at(i, "externalId", yaml::lineOf(id)) + m);
      }
      if (!isExternalId(account.external_id)) {
        return invalid(at(i, "externalId", yaml::lineOf(id)) +
                       "must be 2 to 1224 characters of A-Z a-z 0-9 _ + = , . @ : / -");
      }
    }
    out.push_back(std::move(account));
  }
  return out;
}

}  // namespace

Result<RulesConfig> parseRulesConfig(const RulesText& text, std::string_view source) {
  if (!text.map_users && !text.map_roles) {
    return invalid(std::string(source) +
                   ": neither mapUsers nor mapRoles is present (write mapUsers: [] to "
                   "manage nothing)");
  }
  RulesConfig config;
  const auto parseKind = [&](const std::optional<std::string>& value, int first_line, RuleSet::Kind kind,
                             RuleSet* out) -> Status {
    if (!value) return {};
    RuleSet::ParseOptions options;
    options.first_line = first_line;
    options.source = std::string(source) + ": " + keyName(kind);
    options.kind = kind;
    auto parsed = RuleSet::parse(*value, options);
    if (!parsed.ok()) return parsed.error();
    *out = std::move(*parsed);
    return {};
  };
  if (Status s = parseKind(text.map_users, text.map_users_first_line, RuleSet::Kind::kUsers, &config.users);
      !s.ok()) {
    return s.error();
  }
  if (Status s = parseKind(text.map_roles, text.map_roles_first_line, RuleSet::Kind::kRoles, &config.roles);
      !s.ok()) {
    return s.error();
  }
  if (text.accounts) {
    auto accounts =
        parseAccounts(*text.accounts, text.accounts_first_line, std::string(source) + ": accounts");
    if (!accounts.ok()) return accounts.error();
    config.accounts = std::move(*accounts);
  }
  return config;
}

namespace {

// A rules file: either a bare list (`data` undefined, `bare` true) or a ConfigMap manifest's data map.
struct RulesFile {
  bool bare = false;
  YAML::Node data;
};

Result<RulesFile> loadRulesFile(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return invalid("YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) {
    return invalid(
        "the rules file is empty (expected the aws-auth-refresher ConfigMap or its mapUsers list)");
  }
  if (root.IsSequence()) return RulesFile{true, {}};
  if (!root.IsMap()) {
    return invalid("expected the aws-auth-refresher ConfigMap manifest or a YAML list of rules");
  }
  if (const auto dup = yaml::findDuplicateKey(root); !dup.key.empty()) {
    return invalid("line " + std::to_string(dup.line) + ": duplicate key \"" + dup.key + "\"");
  }
  const YAML::Node kind = root["kind"];
  if (kind.IsDefined() && (!kind.IsScalar() || kind.Scalar() != "ConfigMap")) {
    return invalid("line " + std::to_string(yaml::lineOf(kind)) + ": kind must be ConfigMap");
  }
  const YAML::Node data = root["data"];
  if (!data.IsDefined() || !data.IsMap()) {
    return invalid("the ConfigMap has no data map (expected data.mapUsers holding the rules)");
  }
  if (const auto dup = yaml::findDuplicateKey(data); !dup.key.empty()) {
    return invalid("line " + std::to_string(dup.line) + ": duplicate key \"" + dup.key + "\" in data");
  }
  return RulesFile{false, data};
}

// data.<key> as text and the line its content starts on; nullopt when absent; an error when not a string.
Result<std::optional<RulesSource>> dataValue(const YAML::Node& data, const char* key, std::string_view text) {
  const YAML::Node value = data[key];
  if (!value.IsDefined()) return std::optional<RulesSource>();
  if (!yaml::isStringScalar(value)) {
    return invalid("line " + std::to_string(yaml::lineOf(value)) + ": data." + key +
                   " must be a string (a `|` block holding the YAML list of " +
                   (std::string_view(key) == "accounts" ? "accounts)" : "rules)"));
  }
  const YAML::Mark mark = value.Mark();
  int first_line = yaml::lineOf(value);
  if (mark.pos >= 0 && static_cast<size_t>(mark.pos) < text.size() &&
      (text[mark.pos] == '|' || text[mark.pos] == '>')) {
    first_line += 1;  // a block scalar's content starts on the line after its indicator.
  }
  return std::optional<RulesSource>(RulesSource{value.Scalar(), first_line});
}

}  // namespace

Result<RulesSource> extractRulesMapUsers(std::string_view text) {
  auto file = loadRulesFile(text);
  if (!file.ok()) return file.error();
  if (file->bare) return RulesSource{std::string(text), 1};
  auto map_users = dataValue(file->data, "mapUsers", text);
  if (!map_users.ok()) return map_users.error();
  if (!*map_users) return invalid("the ConfigMap has no data.mapUsers (write [] to manage nothing)");
  return std::move(**map_users);
}

Result<RulesText> extractRulesText(std::string_view text) {
  auto file = loadRulesFile(text);
  if (!file.ok()) return file.error();
  RulesText out;
  if (file->bare) {
    out.map_users = std::string(text);
    return out;
  }
  const auto take = [&](const char* key, std::optional<std::string>* value, int* first_line) -> Status {
    auto v = dataValue(file->data, key, text);
    if (!v.ok()) return v.error();
    if (*v) {
      *value = std::move((*v)->map_users);
      *first_line = (*v)->first_line;
    }
    return {};
  };
  if (Status s = take("mapUsers", &out.map_users, &out.map_users_first_line); !s.ok()) return s.error();
  if (Status s = take("mapRoles", &out.map_roles, &out.map_roles_first_line); !s.ok()) return s.error();
  if (Status s = take("accounts", &out.accounts, &out.accounts_first_line); !s.ok()) return s.error();
  if (!out.map_users && !out.map_roles) {
    return invalid(
        "the ConfigMap has neither data.mapUsers nor data.mapRoles (write mapUsers: [] to manage nothing)");
  }
  return out;
}

}  // namespace aar::core
