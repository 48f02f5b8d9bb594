// Property test of reconcile() against the model of aws-iam-authenticator (authenticator_model.hpp): for
// random aws-auth contents (hand-written entries with randomly-cased keys and ARNs, several entries for one
// ARN, unknown fields, entries we wrote earlier with their record), random rules and random IAM users, what
// the authenticator reads after reconcile is:
//   - for every ARN that has a hand-written entry: exactly what the hand-written entries alone give;
//   - for every other ARN: exactly what the first matching rule gives for an IAM user that exists, and
//   nothing
//     for any other ARN.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/authenticator_model.hpp"
#include "core/ownership.hpp"
#include "core/reconcile.hpp"

namespace aar::core {
namespace {

using testmodel::AuthenticatorView;
using testmodel::Mapping;
using testmodel::readAwsAuth;

constexpr uint32_t kSeed = 20261130;
constexpr int kScenarios = 400;
constexpr char kPrefix[] = "arn:aws:iam::1234567890:user/";
constexpr char kUid[] = "d2a4c6e8-0000-4000-8000-123456789abc";

// IAM user names as IAM spells them; each is unique regardless of case.
const std::vector<std::string> kIamNames = {"dave", "Admin", "erin", "ops/Frank", "tmp-a", "tmp-B", "zed"};
const std::vector<std::string> kArnKeys = {"userarn", "UserArn", "USERARN", "uSeRaRn", "userArn"};
const std::vector<std::string> kUsernameKeys = {"username", "UserName", "USERNAME", "UsErNaMe"};
const std::vector<std::string> kGroupsKeys = {"groups", "Groups", "GROUPS", "gRoUpS"};
const std::vector<std::string> kGroups = {"view", "system:masters", "dev", "viewers"};
const std::vector<std::string> kPatterns = {
    "user/", "^arn:aws:iam::1234567890:user/(?i)d", "(?i)admin", "tmp-",
    "ops/",  "^arn:aws:iam::1234567890:user/zed$",  "nomatch"};

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}
bool coin(std::mt19937& rng, double p) { return std::bernoulli_distribution(p)(rng); }
int upTo(std::mt19937& rng, int n) { return std::uniform_int_distribution<int>(0, n)(rng); }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The name with each letter's case flipped at random (how a person might spell it in aws-auth).
std::string randomCase(std::mt19937& rng, const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (std::isalpha(static_cast<unsigned char>(c)) && coin(rng, 0.3)) {
      c = static_cast<char>(std::isupper(static_cast<unsigned char>(c)) ? std::tolower(c) : std::toupper(c));
    }
  }
  return out;
}

std::vector<std::string> randomGroups(std::mt19937& rng) {
  std::vector<std::string> g;
  for (int i = upTo(rng, 2); i > 0; --i) g.push_back(pick(rng, kGroups));
  return g;
}

std::string groupsYaml(const std::string& key, const std::vector<std::string>& groups) {
  std::string out = "  " + key + ":";
  if (groups.empty()) return out + " []\n";
  out += "\n";
  for (const auto& g : groups) out += "  - " + g + "\n";
  return out;
}

// One hand-written entry: randomly-cased keys and ARN, sometimes a second spelling of a key, an unknown
// field, a number where a string belongs, or flow style.
std::string handWritten(std::mt19937& rng, int n) {
  const std::string arn = coin(rng, 0.7) ? kPrefix + randomCase(rng, pick(rng, kIamNames))
                                         : kPrefix + std::string("nobody") + std::to_string(n);
  const std::string username = "hand-" + std::to_string(n);
  const std::vector<std::string> groups = randomGroups(rng);
  if (coin(rng, 0.1)) {
    return "- {" + pick(rng, kArnKeys) + ": " + arn + ", " + pick(rng, kUsernameKeys) + ": " + username +
           "}\n";
  }
  std::string e = "- " + pick(rng, kArnKeys) + ": " + arn + "\n";
  e += "  " + pick(rng, kUsernameKeys) + ": " + (coin(rng, 0.05) ? std::string("123") : username) + "\n";
  if (coin(rng, 0.2)) e += "  " + pick(rng, kUsernameKeys) + ": other-" + std::to_string(n) + "\n";
  if (!groups.empty() || coin(rng, 0.3)) e += groupsYaml(pick(rng, kGroupsKeys), groups);
  if (coin(rng, 0.15)) e += "  extra: {note: " + std::to_string(n) + "}\n";
  return e;
}

struct Scenario {
  RuleSet rules;
  std::vector<std::string> iam_arns;
  ConfigMapContent current;
  std::string hand_written_only;  // mapUsers holding only the hand-written entries, in their order
  bool other_object = false;      // the record names another object: the entries it lists are hand-written
};

Scenario randomScenario(std::mt19937& rng) {
  Scenario s;
  std::string rules_yaml;
  std::vector<std::pair<std::string, std::vector<std::string>>> rule_values;
  for (int i = upTo(rng, 4); i > 0; --i) {
    const std::string username = "r" + std::to_string(rule_values.size());
    std::vector<std::string> groups = randomGroups(rng);
    rules_yaml += "- arnRegex: '" + pick(rng, kPatterns) + "'\n  username: " + username + "\n";
    rules_yaml += groupsYaml("groups", groups);
    rule_values.emplace_back(username, groups);
  }
  auto rules = RuleSet::parse(rules_yaml.empty() ? "[]" : rules_yaml);
  EXPECT_TRUE(rules.ok()) << rules_yaml;
  if (rules.ok()) s.rules = *rules;

  for (const auto& name : kIamNames) {
    if (coin(rng, 0.6)) s.iam_arns.push_back(kPrefix + name);
  }
  std::shuffle(s.iam_arns.begin(), s.iam_arns.end(), rng);

  // Entries we wrote earlier (a rule's values, or stale ones), with their fingerprints in the record.
  std::vector<std::string> ours, fingerprints;
  for (const auto& name : kIamNames) {
    if (!coin(rng, 0.35)) continue;
    const std::string arn = kPrefix + name;
    std::string username = "stale";
    std::vector<std::string> groups = {"old"};
    if (!rule_values.empty() && coin(rng, 0.7)) std::tie(username, groups) = pick(rng, rule_values);
    ours.push_back("- userarn: " + arn + "\n  username: " + username + "\n" +
                   (groups.empty() ? std::string() : groupsYaml("groups", groups)));
    fingerprints.push_back(entryFingerprint(arn, username, groups));
  }
  std::vector<std::string> hand;
  for (int i = upTo(rng, 5); i > 0; --i) hand.push_back(handWritten(rng, static_cast<int>(hand.size())));
  if (!hand.empty() && coin(rng, 0.3)) {  // a second hand-written entry for one ARN, spelled differently
    std::string dup = hand.front();
    if (const size_t at = dup.find("hand-"); at != std::string::npos) dup.replace(at, 5, "again-");
    hand.push_back(dup);
  }
  for (const auto& h : hand) s.hand_written_only += h;

  // Interleave ours among the hand-written entries at random (earlier versions sorted everything by ARN).
  std::vector<std::string> all = hand;
  for (const auto& o : ours) {
    all.insert(all.begin() + std::uniform_int_distribution<size_t>(0, all.size())(rng), o);
  }
  std::string map_users;
  for (const auto& e : all) map_users += e;
  if (!map_users.empty() || coin(rng, 0.5)) s.current.data[kMapUsersKey] = map_users;
  if (!fingerprints.empty() || coin(rng, 0.3)) {
    // Bound to this object, unbound (an earlier version's), or one whose entries are hand-written here.
    const int kind = upTo(rng, 3);
    s.current.annotations[kManagedUsersAnnotation] =
        kind == 0   ? formatOwnership(kUid, fingerprints)
        : kind == 1 ? formatOwnership("", fingerprints).replace(0, 4, "v1:")
        : kind == 2 ? formatOwnership("", fingerprints)
                    : formatOwnership("other", fingerprints);
    s.other_object = kind == 3;
  }
  if (coin(rng, 0.5)) {
    s.current.data[kMapRolesKey] = "- RoleArn: arn:aws:iam::1234567890:role/Node\n  username: node\n";
  }
  return s;
}

// What the hand-written entries alone say. With a record of another object every entry is hand-written, in
// the order it has.
AuthenticatorView handWritten(const Scenario& s) {
  if (s.other_object)
    return readAwsAuth(
        {{kMapUsersKey, s.current.data.count(kMapUsersKey) ? s.current.data.at(kMapUsersKey) : ""}});
  return readAwsAuth({{kMapUsersKey, s.hand_written_only}});
}

void checkAgainstModel(const Scenario& s, const ReconcileResult& r, const std::string& where) {
  const AuthenticatorView hand = handWritten(s);
  const AuthenticatorView before = readAwsAuth(s.current.data);
  const AuthenticatorView after = readAwsAuth(r.desired.data);
  EXPECT_EQ(after.roles, before.roles) << where;
  // Hand-written ARNs: exactly what the hand-written entries say.
  for (const auto& [key, mapping] : hand.users) {
    const auto it = after.users.find(key);
    ASSERT_NE(it, after.users.end()) << where << ": lost " << key;
    EXPECT_EQ(it->second, mapping) << where << ": hand-written " << key << " changed";
  }
  // Every other ARN: the first matching rule for an IAM user that exists, or nothing.
  std::set<std::string> expected_keys;
  for (const auto& arn : s.iam_arns) {
    const auto rule = s.rules.firstMatch(arn);
    if (!rule || hand.users.count(lower(arn)) > 0) continue;
    expected_keys.insert(lower(arn));
    const Rule& ru = s.rules.rules()[*rule];
    const auto it = after.users.find(lower(arn));
    ASSERT_NE(it, after.users.end()) << where << ": no entry for " << arn;
    EXPECT_EQ(it->second, (Mapping{arn, ru.username, ru.groups})) << where << ": " << arn;
  }
  for (const auto& [key, mapping] : after.users) {
    EXPECT_TRUE(hand.users.count(key) > 0 || expected_keys.count(key) > 0)
        << where << ": " << key << " -> " << mapping.username << " is in force but nothing grants it";
  }
}

TEST(ReconcileAuthenticatorPropertyTest, HandWrittenArnsKeepTheirMappingAndTheRestIsWhatTheRulesSay) {
  std::mt19937 rng(kSeed);
  int changed = 0, hand_written_overlaps = 0;
  for (int i = 0; i < kScenarios; ++i) {
    const std::string where = "scenario " + std::to_string(i);
    const Scenario s = randomScenario(rng);
    const ReconcileOptions options{.adopt_matching_entries = false, .object_uid = kUid};
    auto r = reconcile(s.rules, s.iam_arns, s.current, options);
    ASSERT_TRUE(r.ok()) << where << ": " << r.error().message;
    const auto users = s.current.data.find(kMapUsersKey);
    ASSERT_NO_FATAL_FAILURE(checkAgainstModel(s, *r, where))
        << (users == s.current.data.end() ? std::string("(no mapUsers)") : users->second);
    changed += r->changed;
    const AuthenticatorView hand = handWritten(s);
    for (const auto& arn : s.iam_arns) hand_written_overlaps += hand.users.count(lower(arn)) > 0;
    // A second pass changes nothing.
    auto again = reconcile(s.rules, s.iam_arns, r->desired, options);
    ASSERT_TRUE(again.ok()) << where << ": " << again.error().message;
    EXPECT_FALSE(again->changed) << where;
  }
  // The generator must exercise writes and hand-written entries for IAM users that exist.
  EXPECT_GT(changed, kScenarios / 2);
  EXPECT_GT(hand_written_overlaps, kScenarios / 2);
}

// The same property for mapRoles: random hand-written role entries (node roles, randomly-cased keys and
// ARNs), entries we wrote earlier with the managed-roles record, random role rules and roles listed with
// their path. What the authenticator reads after reconcile: hand-written rolearns keep exactly their mapping;
// every other rolearn is what the first rule matching the listed (path) ARN gives, under the ARN without its
// path; a service-linked role never gets one; and mapUsers is what the users' rules alone give.
constexpr char kRolePrefix[] = "arn:aws:iam::1234567890:role/";
// Listed roles: path + name. Names are unique (IAM), paths vary.
const std::vector<std::pair<std::string, std::string>> kIamRoles = {
    {"", "node"},
    {"aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_Admin_0123456789abcdef"},
    {"aws-reserved/sso.amazonaws.com/eu-west-1/", "AWSReservedSSO_Dev_fedcba9876543210"},
    {"aws-service-role/eks.amazonaws.com/", "AWSServiceRoleForAmazonEKS"},
    {"team/", "Ci"},
    {"", "deploy"},
};
const std::vector<std::string> kRoleArnKeys = {"rolearn", "RoleArn", "ROLEARN", "rOlEaRn"};
const std::vector<std::string> kRolePatterns = {
    "role/",        "(?i)sso",    "AWSReservedSSO_Admin_",
    "service-role", "role/team/", "^arn:aws:iam::1234567890:role/deploy$",
    "nomatch"};

struct RoleScenario {
  RulesConfig rules;
  std::vector<std::string> listed;  // with their path
  ConfigMapContent current;
  std::string hand_written_only;
};

RoleScenario randomRoleScenario(std::mt19937& rng) {
  RoleScenario s;
  std::string rules_yaml;
  std::vector<std::pair<std::string, std::vector<std::string>>> rule_values;
  for (int i = upTo(rng, 4); i > 0; --i) {
    const std::string username =
        coin(rng, 0.5) ? "r" + std::to_string(rule_values.size()) : "\"r{{SessionName}}\"";
    std::vector<std::string> groups = randomGroups(rng);
    rules_yaml += "- arnRegex: '" + pick(rng, kRolePatterns) + "'\n  username: " + username + "\n";
    rules_yaml += groupsYaml("groups", groups);
    rule_values.emplace_back(username[0] == '"' ? "r{{SessionName}}" : username, groups);
  }
  RuleSet::ParseOptions options;
  options.kind = RuleSet::Kind::kRoles;
  auto rules = RuleSet::parse(rules_yaml.empty() ? "[]" : rules_yaml, options);
  EXPECT_TRUE(rules.ok()) << rules_yaml;
  if (rules.ok()) s.rules.roles = *rules;
  for (const auto& [path, name] : kIamRoles) {
    if (coin(rng, 0.6)) s.listed.push_back(kRolePrefix + path + name);
  }
  std::shuffle(s.listed.begin(), s.listed.end(), rng);

  std::vector<std::string> ours, fingerprints;
  for (const auto& [path, name] : kIamRoles) {
    if (!coin(rng, 0.35)) continue;
    const std::string arn = kRolePrefix + name;
    std::string username = "stale";
    std::vector<std::string> groups = {"old"};
    if (!rule_values.empty() && coin(rng, 0.7)) std::tie(username, groups) = pick(rng, rule_values);
    ours.push_back("- rolearn: " + arn + "\n  username: \"" + username + "\"\n" +
                   (groups.empty() ? std::string() : groupsYaml("groups", groups)));
    fingerprints.push_back(entryFingerprint(arn, username, groups));
  }
  std::vector<std::string> hand;
  for (int i = upTo(rng, 4); i > 0; --i) {
    const auto& role = pick(rng, kIamRoles);
    std::string e = "- " + pick(rng, kRoleArnKeys) + ": " + kRolePrefix + randomCase(rng, role.second) + "\n";
    e += "  " + pick(rng, kUsernameKeys) + ": hand-" + std::to_string(hand.size()) + "\n";
    e += groupsYaml(pick(rng, kGroupsKeys), randomGroups(rng));
    if (coin(rng, 0.2)) e += "  extra: {note: 1}\n";
    hand.push_back(e);
  }
  for (const auto& h : hand) s.hand_written_only += h;
  std::vector<std::string> all = hand;
  for (const auto& o : ours) {
    all.insert(all.begin() + std::uniform_int_distribution<size_t>(0, all.size())(rng), o);
  }
  std::string map_roles;
  for (const auto& e : all) map_roles += e;
  if (!map_roles.empty() || coin(rng, 0.5)) s.current.data[kMapRolesKey] = map_roles;
  if (!fingerprints.empty() || coin(rng, 0.3)) {
    s.current.annotations[kManagedRolesAnnotation] =
        formatOwnership(coin(rng, 0.5) ? kUid : "", fingerprints);
  }
  if (coin(rng, 0.5)) {
    s.current.data[kMapUsersKey] = "- UserArn: arn:aws:iam::1234567890:user/admin\n  username: admin\n";
  }
  return s;
}

std::string withoutPath(const std::string& arn) {
  return arn.substr(0, arn.find(":role/") + 6) + arn.substr(arn.rfind('/') + 1);
}

TEST(ReconcileAuthenticatorPropertyTest, HandWrittenRoleArnsKeepTheirMappingAndTheRestIsWhatTheRoleRulesSay) {
  std::mt19937 rng(kSeed + 7);
  int changed = 0, hand_written_overlaps = 0;
  for (int i = 0; i < kScenarios; ++i) {
    const std::string where = "role scenario " + std::to_string(i);
    const RoleScenario s = randomRoleScenario(rng);
    IamSnapshot iam;
    for (const auto& arn : s.listed) iam.roles.push_back(Principal{arn, {}, {}});
    const ReconcileOptions options{.adopt_matching_entries = false, .object_uid = kUid};
    auto r = reconcile(s.rules, iam, s.current, options);
    ASSERT_TRUE(r.ok()) << where << ": " << r.error().message;
    changed += r->changed;
    const AuthenticatorView hand = readAwsAuth({{kMapRolesKey, s.hand_written_only}});
    const AuthenticatorView before = readAwsAuth(s.current.data);
    const AuthenticatorView after = readAwsAuth(r->desired.data);
    ASSERT_TRUE(after.parsed()) << where;
    EXPECT_EQ(after.users, before.users) << where;  // no user rules: mapUsers as it was
    for (const auto& [key, mapping] : hand.roles) {
      const auto it = after.roles.find(key);
      ASSERT_NE(it, after.roles.end()) << where << ": lost " << key;
      EXPECT_EQ(it->second, mapping) << where << ": hand-written " << key << " changed";
    }
    std::set<std::string> expected_keys;
    for (const auto& arn : s.listed) {
      const auto rule = s.rules.roles.firstMatch(arn);
      const std::string written = withoutPath(arn);
      if (arn.find("/aws-service-role/") != std::string::npos) {
        EXPECT_EQ(after.roles.count(lower(written)) > 0, hand.roles.count(lower(written)) > 0) << where;
        continue;
      }
      if (hand.roles.count(lower(written)) > 0) ++hand_written_overlaps;
      if (!rule || hand.roles.count(lower(written)) > 0) continue;
      expected_keys.insert(lower(written));
      const Rule& ru = s.rules.roles.rules()[*rule];
      const auto it = after.roles.find(lower(written));
      ASSERT_NE(it, after.roles.end()) << where << ": no entry for " << arn;
      EXPECT_EQ(it->second, (Mapping{written, ru.username, ru.groups})) << where << ": " << arn;
    }
    for (const auto& [key, mapping] : after.roles) {
      EXPECT_TRUE(hand.roles.count(key) > 0 || expected_keys.count(key) > 0)
          << where << ": " << key << " -> " << mapping.username << " is in force but nothing grants it";
    }
    auto again = reconcile(s.rules, iam, r->desired, options);
    ASSERT_TRUE(again.ok()) << where << ": " << again.error().message;
    EXPECT_FALSE(again->changed) << where;
  }
  EXPECT_GT(changed, kScenarios / 2);
  EXPECT_GT(hand_written_overlaps, kScenarios / 4);
}

}  // namespace
}  // namespace aar::core
