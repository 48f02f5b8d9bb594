// Randomized property test of reconcile(): many random rule sets, IAM identities and current aws-auth states.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/aws_auth_codec.hpp"
#include "core/reconcile.hpp"
#include "core/yaml_util.hpp"

namespace aar::core {
namespace {

constexpr uint32_t kSeed = 20261128;
constexpr int kScenarios = 300;
constexpr int kStepsPerScenario = 5;

const std::vector<std::string> kArnPool = {
    "arn:aws:iam::111122223333:user/a",
    "arn:aws:iam::111122223333:user/ab",
    "arn:aws:iam::111122223333:user/abc",
    "arn:aws:iam::111122223333:user/tmp-foo-1",
    "arn:aws:iam::111122223333:user/tmp-foo-2",
    "arn:aws:iam::111122223333:user/tmp-bar-1",
    "arn:aws:iam::111122223333:user/admin",
    "arn:aws:iam::111122223333:user/x/y/z",
    "arn:aws:iam::444455556666:user/a",
    "arn:aws:iam::444455556666:user/ünï",
    "arn:aws:iam::111122223333:user/123",
    "arn:aws:iam::111122223333:user/vault-token-x-1700000000-abcd",
};
const std::vector<std::string> kPatterns = {"^arn:aws:iam::111122223333:user/a$",
                                            "user/a",
                                            "user/tmp-foo-.*$",
                                            "^arn:aws:iam::\\d+:user/tmp-",
                                            ".*",
                                            "b",
                                            "444455556666",
                                            "user/(admin|x/.*)$",
                                            "ünï",
                                            "vault-token-[a-z]+-\\d{10}-",
                                            "^$",
                                            "nomatch"};
const std::vector<std::string> kNames = {"foo",
                                         "bar",
                                         "a: b",
                                         "#hash",
                                         "{{SessionName}}",
                                         "admin:{{AccessKeyID}}",
                                         "123",
                                         "yes",
                                         " lead",
                                         "ünïcødé",
                                         "'q'",
                                         "\"dq\"",
                                         "null",
                                         "x #y",
                                         "-"};
// Entries someone wrote by hand, in odd formats; never ours.
const std::vector<std::string> kUnmanaged = {
    "- userarn: arn:aws:iam::111122223333:user/admin\n  username: admin\n  groups:\n  - system:masters\n",
    "-   userarn: 'arn:aws:iam::111122223333:user/a'\n    username: \"007\"\n    extra: {n: 1, s: \"2\"}\n",
    "- {userarn: arn:aws:iam::111122223333:user/tmp-foo-2, username: hand, groups: [ops, \"true\"]}\n",
    "- userid: AIDAEXAMPLE\n  username: by-id\n",
    "- userarn: arn:aws:iam::999999999999:user/gone   # comment\n  username: gone\n  groups: []\n",
};
const std::map<std::string, std::string> kOtherData = {
    {"mapRoles",
     "- rolearn: arn:aws:iam::111122223333:role/node\n  username: system:node:{{EC2PrivateDNSName}}\n"
     "  groups:\n  - system:bootstrappers\n  - system:nodes\n"},
    {"mapAccounts", "  - \"111122223333\"  # kept as is\n"},
    {"zzz-custom", "not yaml: [ at all\n\t"},
};

// Roles as ListRoles returns them: with their path.
const std::vector<std::string> kRolePool = {
    "arn:aws:iam::111122223333:role/node",
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
    "AWSReservedSSO_Admin_0123456789abcdef",
    "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_fedcba9876543210",
    "arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_00000000ffffffff",
    "arn:aws:iam::111122223333:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS",
    "arn:aws:iam::111122223333:role/team/ci",
    "arn:aws:iam::111122223333:role/hand",
};
const std::vector<std::string> kRolePatterns = {
    "role/",
    "AWSReservedSSO_Admin_",
    "^arn:aws:iam::\\d{12}:role/aws-reserved/sso\\.amazonaws\\.com/",
    "aws-service-role",
    "role/team/",
    "^arn:aws:iam::111122223333:role/node$",
    "444455556666",
    "nomatch"};
// Hand-written mapRoles entries (the node role above all); never ours.
const std::vector<std::string> kUnmanagedRoles = {
    "- rolearn: arn:aws:iam::111122223333:role/node\n  username: system:node:{{EC2PrivateDNSName}}\n"
    "  groups:\n  - system:bootstrappers\n  - system:nodes\n",
    "- RoleArn: arn:aws:iam::111122223333:role/hand   # by hand\n  username: \"{{SessionName}}\"\n",
    "- {rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_Dev_fedcba9876543210, username: mine, x: 1}\n",
    "- rolearn: arn:aws:iam::111122223333:role/other\n  username: other\n",
};

template <typename T>
const T& pick(std::mt19937& rng, const std::vector<T>& v) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

bool coin(std::mt19937& rng, double p) { return std::bernoulli_distribution(p)(rng); }

// Random rules as JSON (which is YAML): every value a quoted string.
RuleSet randomRules(std::mt19937& rng, const std::vector<std::string>& patterns = kPatterns,
                    RuleSet::Kind kind = RuleSet::Kind::kUsers) {
  nlohmann::json rules = nlohmann::json::array();
  const int n = std::uniform_int_distribution<int>(0, 6)(rng);
  for (int i = 0; i < n; ++i) {
    nlohmann::json groups = nlohmann::json::array();
    const int g = std::uniform_int_distribution<int>(0, 3)(rng);
    for (int k = 0; k < g; ++k) groups.push_back(pick(rng, kNames));
    nlohmann::json rule = {{"arnRegex", pick(rng, patterns)}, {"username", pick(rng, kNames)}};
    if (g > 0 || coin(rng, 0.5)) rule["groups"] = groups;
    rules.push_back(rule);
  }
  RuleSet::ParseOptions options;
  options.kind = kind;
  auto parsed = RuleSet::parse(rules.dump(), options);
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  return parsed.ok() ? *parsed : RuleSet();
}

std::vector<std::string> randomArns(std::mt19937& rng, const std::vector<std::string>& pool = kArnPool) {
  std::vector<std::string> arns;
  for (const auto& arn : pool) {
    if (coin(rng, 0.5)) arns.push_back(arn);
  }
  if (!arns.empty() && coin(rng, 0.3)) arns.push_back(arns.front());  // duplicates happen
  std::shuffle(arns.begin(), arns.end(), rng);
  return arns;
}

struct Start {
  ConfigMapContent content;
  std::vector<MapUsersEntry> unmanaged;
  std::vector<std::string> unmanaged_arns;
};

Start randomStart(std::mt19937& rng) {
  Start s;
  for (const auto& [k, v] : kOtherData) {
    if (coin(rng, 0.6)) s.content.data[k] = v;
  }
  if (coin(rng, 0.4)) s.content.annotations["kubectl.kubernetes.io/last-applied-configuration"] = "{\"a\":1}";
  std::string users;
  for (const auto& e : kUnmanaged) {
    if (!coin(rng, 0.5)) continue;
    users += e;
    auto parsed = parseMapUsers(e);
    EXPECT_TRUE(parsed.ok());
    s.unmanaged.push_back(parsed->front());
    if (parsed->front().has_user_arn) s.unmanaged_arns.push_back(parsed->front().mapping.user_arn);
  }
  if (!users.empty() || coin(rng, 0.3)) s.content.data[kMapUsersKey] = users;
  return s;
}

// What one list (mapUsers or mapRoles) must hold after a step.
struct ListExpectation {
  MapList list = MapList::kMapUsers;
  const char* key = kMapUsersKey;
  const std::vector<MapUsersEntry>* unmanaged = nullptr;  // hand-written entries of the start
  std::vector<UserMapping> managed;                       // the managed entries, sorted by ARN
};

void checkList(const ListExpectation& want, const ConfigMapContent& current, const ReconcileResult& r,
               const std::string& where) {
  if (!r.desired.data.count(want.key)) {
    EXPECT_TRUE(want.unmanaged->empty()) << where;
    EXPECT_TRUE(want.managed.empty()) << where;
    return;
  }
  // The output parses back.
  auto entries = parseMapEntries(r.desired.data.at(want.key), want.list);
  ASSERT_TRUE(entries.ok()) << where << ": " << entries.error().message;
  // Every unmanaged entry is still there, with its meaning.
  std::vector<bool> used(entries->size(), false);
  for (const auto& original : *want.unmanaged) {
    bool found = false;
    for (size_t i = 0; i < entries->size() && !found; ++i) {
      if (used[i]) continue;
      const MapUsersEntry& e = (*entries)[i];
      // Entries with extra fields come back as the same node; canonical ones as the same mapping.
      const bool same = original.node ? e.node && yaml::sameNode(*e.node, *original.node)
                                      : !e.node && e.mapping == original.mapping;
      if (same) found = used[i] = true;
    }
    EXPECT_TRUE(found) << where << ": lost unmanaged " << want.key << " entry at line " << original.line
                       << " " << original.mapping.user_arn;
  }
  // The rest are exactly the managed entries the rules call for.
  std::vector<UserMapping> managed;
  for (size_t i = 0; i < entries->size(); ++i) {
    if (!used[i]) managed.push_back((*entries)[i].mapping);
  }
  std::sort(managed.begin(), managed.end(),
            [](const UserMapping& a, const UserMapping& b) { return a.user_arn < b.user_arn; });
  EXPECT_EQ(managed, want.managed) << where << " " << want.key;
  // A rewritten list holds our entries first, sorted by ARN, then the hand-written ones in their original
  // order (an untouched one keeps its layout).
  const auto before = current.data.find(want.key);
  if (before != current.data.end() && before->second == r.desired.data.at(want.key)) return;
  const auto first_hand = std::find(used.begin(), used.end(), true);
  EXPECT_TRUE(std::all_of(first_hand, used.end(), [](bool u) { return u; })) << where;
  for (size_t i = 1; i < entries->size() && !used[i]; ++i) {
    EXPECT_LE((*entries)[i - 1].mapping.user_arn, (*entries)[i].mapping.user_arn) << where;
  }
}

// The managed entries `rules` call for: for each distinct listed ARN (its written form `written`), the first
// matching rule, unless the written ARN has a hand-written entry; sorted by ARN.
std::vector<UserMapping> expectedManaged(const RuleSet& rules, const std::vector<std::string>& arns,
                                         const std::vector<std::string>& unmanaged_arns,
                                         std::string (*written)(const std::string&)) {
  std::vector<UserMapping> expected;
  std::vector<std::string> unique_arns = arns;
  std::sort(unique_arns.begin(), unique_arns.end());
  unique_arns.erase(std::unique(unique_arns.begin(), unique_arns.end()), unique_arns.end());
  for (const auto& arn : unique_arns) {
    const auto rule = rules.firstMatch(arn);
    if (!rule) continue;
    const std::string out = written(arn);
    if (std::count(unmanaged_arns.begin(), unmanaged_arns.end(), out) > 0) continue;
    const Rule& ru = rules.rules()[*rule];
    expected.push_back(UserMapping{out, ru.username, ru.groups, std::nullopt});
  }
  std::sort(expected.begin(), expected.end(),
            [](const UserMapping& a, const UserMapping& b) { return a.user_arn < b.user_arn; });
  return expected;
}

std::string asListed(const std::string& arn) { return arn; }

void checkStep(const Start& start, const RuleSet& rules, const std::vector<std::string>& arns,
               const ConfigMapContent& current, const ReconcileResult& r, const std::string& where) {
  // Other keys and annotations survive byte-identical.
  for (const auto& [k, v] : start.content.data) {
    if (k == kMapUsersKey) continue;
    ASSERT_TRUE(r.desired.data.count(k)) << where << " lost " << k;
    EXPECT_EQ(r.desired.data.at(k), v) << where << " changed " << k;
  }
  for (const auto& [k, v] : start.content.annotations) EXPECT_EQ(r.desired.annotations.at(k), v) << where;
  if (!r.changed) {
    EXPECT_EQ(r.desired, current) << where;
  }
  ListExpectation users{MapList::kMapUsers, kMapUsersKey, &start.unmanaged,
                        expectedManaged(rules, arns, start.unmanaged_arns, &asListed)};
  EXPECT_EQ(r.managed_count, users.managed.size()) << where;
  ASSERT_NO_FATAL_FAILURE(checkList(users, current, r, where));
}

TEST(ReconcilePropertyTest, UnmanagedEntriesAndOtherKeysSurviveAndASecondPassChangesNothing) {
  std::mt19937 rng(kSeed);
  int changed_steps = 0;
  for (int scenario = 0; scenario < kScenarios; ++scenario) {
    const Start start = randomStart(rng);
    ConfigMapContent current = start.content;
    for (int step = 0; step < kStepsPerScenario; ++step) {
      const std::string where = "scenario " + std::to_string(scenario) + " step " + std::to_string(step);
      const RuleSet rules = randomRules(rng);
      const std::vector<std::string> arns = randomArns(rng);
      auto r = reconcile(rules, arns, current);
      ASSERT_TRUE(r.ok()) << where << ": " << r.error().message;
      ASSERT_NO_FATAL_FAILURE(checkStep(start, rules, arns, current, *r, where));
      changed_steps += r->changed;
      // A second pass over the result with the same inputs finds nothing to do.
      auto again = reconcile(rules, arns, r->desired);
      ASSERT_TRUE(again.ok()) << where << ": " << again.error().message;
      EXPECT_FALSE(again->changed) << where;
      EXPECT_TRUE(again->changes.empty()) << where;
      EXPECT_EQ(again->desired, r->desired) << where;
      current = r->desired;
    }
  }
  // The generator must exercise real changes, not just no-ops.
  EXPECT_GT(changed_steps, kScenarios);
}

// The role written for a listed role: without its path; a service-linked role is never written.
std::string writtenRole(const std::string& arn) {
  const size_t role = arn.find(":role/");
  return arn.substr(0, role + 6) + arn.substr(arn.rfind('/') + 1);
}

std::vector<Principal> principals(const std::vector<std::string>& arns) {
  std::vector<Principal> out;
  for (const auto& arn : arns) out.push_back(Principal{arn, {}, {}});
  return out;
}

TEST(ReconcilePropertyTest, BothListsFollowTheirRulesKeepHandWrittenEntriesAndUsersOnlyIsUnchanged) {
  std::mt19937 rng(kSeed + 1);
  int role_changes = 0;
  int users_only_compared = 0;
  for (int scenario = 0; scenario < kScenarios; ++scenario) {
    Start start = randomStart(rng);
    start.content.data.erase(kMapRolesKey);
    std::vector<MapUsersEntry> unmanaged_roles;
    std::vector<std::string> unmanaged_role_arns;
    std::string roles_text;
    for (const auto& e : kUnmanagedRoles) {
      if (!coin(rng, 0.5)) continue;
      roles_text += e;
      auto parsed = parseMapEntries(e, MapList::kMapRoles);
      ASSERT_TRUE(parsed.ok()) << parsed.error().message;
      unmanaged_roles.push_back(parsed->front());
      unmanaged_role_arns.push_back(parsed->front().mapping.user_arn);
    }
    ConfigMapContent current = start.content;
    if (!roles_text.empty() || coin(rng, 0.3)) current.data[kMapRolesKey] = roles_text;
    size_t managed_roles = 0;  // in `current`
    for (int step = 0; step < kStepsPerScenario; ++step) {
      const std::string where = "scenario " + std::to_string(scenario) + " step " + std::to_string(step);
      RulesConfig rules;
      rules.users = randomRules(rng);
      if (coin(rng, 0.7)) rules.roles = randomRules(rng, kRolePatterns, RuleSet::Kind::kRoles);
      const std::vector<std::string> user_arns = randomArns(rng);
      const std::vector<std::string> role_arns = randomArns(rng, kRolePool);
      IamSnapshot iam{principals(user_arns), principals(role_arns), {}};
      auto r = reconcile(rules, iam, current);
      ASSERT_TRUE(r.ok()) << where << ": " << r.error().message;

      for (const auto& [k, v] : start.content.data) {
        if (k != kMapUsersKey) {
          EXPECT_EQ(r->desired.data.at(k), v) << where << " changed " << k;
        }
      }
      ListExpectation users{MapList::kMapUsers, kMapUsersKey, &start.unmanaged,
                            expectedManaged(rules.users, user_arns, start.unmanaged_arns, &asListed)};
      std::vector<std::string> eligible_roles;
      for (const auto& arn : role_arns) {
        if (arn.find(":role/aws-service-role/") == std::string::npos) eligible_roles.push_back(arn);
      }
      ListExpectation roles{MapList::kMapRoles, kMapRolesKey, &unmanaged_roles,
                            expectedManaged(rules.roles, eligible_roles, unmanaged_role_arns, &writtenRole)};
      ASSERT_NO_FATAL_FAILURE(checkList(users, current, *r, where));
      ASSERT_NO_FATAL_FAILURE(checkList(roles, current, *r, where));
      EXPECT_EQ(r->users.managed_count, users.managed.size()) << where;
      EXPECT_EQ(r->roles.managed_count, roles.managed.size()) << where;
      EXPECT_EQ(r->managed_count, users.managed.size() + roles.managed.size()) << where;
      for (const Change& c : r->changes) {
        role_changes += c.principal == PrincipalKind::kRole;
        EXPECT_EQ(c.principal == PrincipalKind::kRole, c.arn.find(":role/") != std::string::npos) << where;
      }

      // No role rules and no managed role entry: exactly what the users-only entry point gives, with
      // mapRoles and its annotation untouched.
      if (rules.roles.empty() && managed_roles == 0) {
        ++users_only_compared;
        auto old = reconcile(rules.users, user_arns, current);
        ASSERT_TRUE(old.ok()) << where;
        EXPECT_EQ(r->desired, old->desired) << where;
        EXPECT_EQ(r->changed, old->changed) << where;
        EXPECT_EQ(r->managed_count, old->managed_count) << where;
        EXPECT_EQ(r->changes.size(), old->changes.size()) << where;
        EXPECT_EQ(r->skipped_unmanaged, old->skipped_unmanaged) << where;
        EXPECT_EQ(r->desired.data.count(kMapRolesKey), current.data.count(kMapRolesKey)) << where;
        if (current.data.count(kMapRolesKey)) {
          EXPECT_EQ(r->desired.data.at(kMapRolesKey), current.data.at(kMapRolesKey)) << where;
        }
        EXPECT_EQ(r->desired.annotations.count(kManagedRolesAnnotation),
                  current.annotations.count(kManagedRolesAnnotation))
            << where;
      }
      // A second pass changes nothing; a user-only change leaves mapRoles byte-identical.
      auto again = reconcile(rules, iam, r->desired);
      ASSERT_TRUE(again.ok()) << where << ": " << again.error().message;
      EXPECT_FALSE(again->changed) << where;
      EXPECT_EQ(again->desired, r->desired) << where;
      if (std::none_of(r->changes.begin(), r->changes.end(),
                       [](const Change& c) { return c.principal == PrincipalKind::kRole; }) &&
          current.data.count(kMapRolesKey)) {
        EXPECT_EQ(r->desired.data.at(kMapRolesKey), current.data.at(kMapRolesKey)) << where;
      }
      managed_roles = r->roles.managed_count;
      current = r->desired;
    }
  }
  EXPECT_GT(role_changes, kScenarios);
  EXPECT_GT(users_only_compared, kScenarios / 4);
}

}  // namespace
}  // namespace aar::core
