// Benchmarks of the pure core (issue 2, Performance): matching, reconcile + emit, parsing a large aws-auth.
// Run a Release-ish build: `cmake -B build-bench -DCMAKE_BUILD_TYPE=Release && build-bench/bench/core_bench`.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/aws_auth_codec.hpp"
#include "core/reconcile.hpp"
#include "core/rules.hpp"

namespace {

using aar::core::ConfigMapContent;
using aar::core::RuleSet;

constexpr size_t kUsers = 10000;
constexpr size_t kRules = 200;

// 200 rules, one per team, each anchored like the seed README's; users spread over the teams. ARNs are kept
// around 46 characters so that 10,000 entries fit the 1 MiB ConfigMap limit (see docs/core.md for the sizes).
std::string rulesYaml(size_t n) {
  std::string yaml;
  for (size_t i = 0; i < n; ++i) {
    yaml += "- arnRegex: ^arn:aws:iam::123456789012:user/tmp-t" + std::to_string(i) +
            "-.*$\n  username: team" + std::to_string(i) + "\n  groups:\n  - dev\n";
  }
  return yaml;
}

std::vector<std::string> userArns(size_t n, size_t teams) {
  std::vector<std::string> arns;
  arns.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "arn:aws:iam::123456789012:user/tmp-t%zu-%08zx", i % teams,
                  (i * 2654435761u) & 0xffffffffu);
    arns.emplace_back(buf);
  }
  return arns;
}

RuleSet parsedRules() {
  auto rules = RuleSet::parse(rulesYaml(kRules));
  if (!rules.ok()) std::abort();
  return *rules;
}

ConfigMapContent baseAwsAuth() {
  ConfigMapContent c;
  c.data["mapRoles"] =
      "- rolearn: arn:aws:iam::123456789012:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n"
      "  groups:\n  - system:bootstrappers\n  - system:nodes\n";
  c.data["mapUsers"] =
      "- userarn: arn:aws:iam::123456789012:user/admin\n  username: admin\n  groups:\n  - system:masters\n";
  return c;
}

void BM_Match10kArnsAgainst200Rules(benchmark::State& state) {
  const RuleSet rules = parsedRules();
  const auto arns = userArns(kUsers, kRules);
  for (auto _ : state) {
    size_t matched = 0;
    for (const auto& arn : arns) matched += rules.firstMatch(arn).has_value();
    benchmark::DoNotOptimize(matched);
  }
  state.SetItemsProcessed(state.iterations() * arns.size());
}
BENCHMARK(BM_Match10kArnsAgainst200Rules)->Unit(benchmark::kMillisecond);

// Rules v2 (issue #12): match(Principal) when every rule expands a capture into the username, and one
// group-only rule comes first (so membership is checked for every principal, and the winning rule pays for
// one capturing match).
void BM_MatchPrincipal10kArnsAgainst200ExpandingRules(benchmark::State& state) {
  std::string yaml = "- iamGroup: admins\n  username: admin\n";
  for (size_t i = 0; i < kRules; ++i) {
    yaml += "- arnRegex: ^arn:aws:iam::123456789012:user/tmp-t" + std::to_string(i) +
            "-(?P<who>[0-9a-f]+)$\n  username: \"team" + std::to_string(i) + ":${who}\"\n";
  }
  auto rules = RuleSet::parse(yaml);
  if (!rules.ok()) std::abort();
  std::vector<aar::core::Principal> principals;
  for (auto& arn : userArns(kUsers, kRules)) principals.push_back({std::move(arn), "AIDA", {"devs"}});
  for (auto _ : state) {
    size_t named = 0;
    for (const auto& p : principals) {
      const auto m = rules->match(p);
      named += m.has_value() && !m->username.empty();
    }
    if (named != principals.size()) std::abort();
    benchmark::DoNotOptimize(named);
  }
  state.SetItemsProcessed(state.iterations() * principals.size());
}
BENCHMARK(BM_MatchPrincipal10kArnsAgainst200ExpandingRules)->Unit(benchmark::kMillisecond);

// First run: 10,000 users to add (reconcile, emit, parse the output back to check it).
void BM_ReconcileAndEmit10kUsers200RulesFromEmpty(benchmark::State& state) {
  const RuleSet rules = parsedRules();
  const auto arns = userArns(kUsers, kRules);
  const ConfigMapContent current = baseAwsAuth();
  for (auto _ : state) {
    auto result = aar::core::reconcile(rules, arns, current);
    if (!result.ok() || result->managed_count != kUsers) state.SkipWithError("reconcile failed");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_ReconcileAndEmit10kUsers200RulesFromEmpty)->Unit(benchmark::kMillisecond);

// Steady state with churn: 10,000 managed users, 100 leave and 100 arrive (re-emit everything).
void BM_ReconcileAndEmit10kUsers200RulesWithChurn(benchmark::State& state) {
  const RuleSet rules = parsedRules();
  auto arns = userArns(kUsers + 100, kRules);
  auto first = aar::core::reconcile(rules, std::vector<std::string>(arns.begin(), arns.begin() + kUsers),
                                    baseAwsAuth());
  if (!first.ok()) std::abort();
  const std::vector<std::string> next(arns.begin() + 100, arns.end());
  for (auto _ : state) {
    auto result = aar::core::reconcile(rules, next, first->desired);
    if (!result.ok() || !result->changed) state.SkipWithError("reconcile failed");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_ReconcileAndEmit10kUsers200RulesWithChurn)->Unit(benchmark::kMillisecond);

// Steady state, nothing changed: the common cycle (parse current, match, compare; no emit).
void BM_Reconcile10kUsers200RulesNoChange(benchmark::State& state) {
  const RuleSet rules = parsedRules();
  const auto arns = userArns(kUsers, kRules);
  auto first = aar::core::reconcile(rules, arns, baseAwsAuth());
  if (!first.ok()) std::abort();
  for (auto _ : state) {
    auto result = aar::core::reconcile(rules, arns, first->desired);
    if (!result.ok() || result->changed) state.SkipWithError("reconcile failed");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_Reconcile10kUsers200RulesNoChange)->Unit(benchmark::kMillisecond);

void BM_Parse10kEntryMapUsers(benchmark::State& state) {
  auto first = aar::core::reconcile(parsedRules(), userArns(kUsers, kRules), baseAwsAuth());
  if (!first.ok()) std::abort();
  const std::string text = first->desired.data.at("mapUsers");
  for (auto _ : state) {
    auto entries = aar::core::parseMapUsers(text);
    if (!entries.ok() || entries->size() != kUsers + 1) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(entries);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_Parse10kEntryMapUsers)->Unit(benchmark::kMillisecond);

// The part of a first run that the rules make mandatory: emit 10,000 entries with a YAML emitter
// (libyaml) and parse the text back to check it. The floor under
// BM_ReconcileAndEmit10kUsers200RulesFromEmpty.
void BM_EmitAndCheck10kEntryMapUsers(benchmark::State& state) {
  auto first = aar::core::reconcile(parsedRules(), userArns(kUsers, kRules), baseAwsAuth());
  if (!first.ok()) std::abort();
  auto entries = aar::core::parseMapUsers(first->desired.data.at("mapUsers"));
  if (!entries.ok()) std::abort();
  std::vector<aar::core::MapUsersItem> items;
  items.reserve(entries->size());
  for (auto& e : *entries) items.push_back({std::move(e.mapping), std::move(e.node)});
  size_t bytes = 0;
  for (auto _ : state) {
    auto text = aar::core::emitMapUsers(items);
    if (!text.ok()) state.SkipWithError("emit failed");
    bytes = text.ok() ? text->size() : 0;
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_EmitAndCheck10kEntryMapUsers)->Unit(benchmark::kMillisecond);

// Rules v2: 10,000 users and 2,000 SSO roles (with their path), 200 rules for each list. No groups, so that
// both lists fit the 1 MiB ConfigMap limit together (~800 KB of mapUsers and ~190 KB of mapRoles).
constexpr size_t kRoles = 2000;

aar::core::RulesConfig twoKindRules() {
  std::string users, roles;
  for (size_t i = 0; i < kRules; ++i) {
    users += "- arnRegex: ^arn:aws:iam::123456789012:user/tmp-t" + std::to_string(i) +
             "-.*$\n  username: team" + std::to_string(i) + "\n";
    roles +=
        "- arnRegex: ^arn:aws:iam::123456789012:role/aws-reserved/sso\\.amazonaws\\.com/.*/AWSReservedSSO_P" +
        std::to_string(i) + "_[0-9a-f]{16}$\n  username: \"sso" + std::to_string(i) + ":{{SessionName}}\"\n";
  }
  RuleSet::ParseOptions role_options;
  role_options.kind = RuleSet::Kind::kRoles;
  auto u = RuleSet::parse(users);
  auto r = RuleSet::parse(roles, role_options);
  if (!u.ok() || !r.ok()) std::abort();
  aar::core::RulesConfig config;
  config.users = *u;
  config.roles = *r;
  return config;
}

aar::core::IamSnapshot twoKindIam(size_t users, size_t roles) {
  aar::core::IamSnapshot iam;
  for (auto& arn : userArns(users, kRules)) iam.users.push_back(aar::core::Principal{std::move(arn), {}, {}});
  for (size_t i = 0; i < roles; ++i) {
    char buf[160];
    std::snprintf(
        buf, sizeof buf,
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_P%zu_%016zx",
        i % kRules, (i * 2654435761u) & 0xffffffffu);
    iam.roles.push_back(aar::core::Principal{buf, {}, {}});
  }
  return iam;
}

// First run: 10,000 user and 2,000 role entries to add, both lists emitted and checked.
void BM_ReconcileAndEmit10kUsers2kRoles200RulesFromEmpty(benchmark::State& state) {
  const aar::core::RulesConfig rules = twoKindRules();
  const aar::core::IamSnapshot iam = twoKindIam(kUsers, kRoles);
  const ConfigMapContent current = baseAwsAuth();
  for (auto _ : state) {
    auto result = aar::core::reconcile(rules, iam, current);
    if (!result.ok()) {
      state.SkipWithError(result.error().message.c_str());
      break;
    }
    if (result->users.managed_count != kUsers || result->roles.managed_count != kRoles) {
      state.SkipWithError("wrong entry count");
    }
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_ReconcileAndEmit10kUsers2kRoles200RulesFromEmpty)->Unit(benchmark::kMillisecond);

// Steady state, nothing changed, both lists.
void BM_Reconcile10kUsers2kRoles200RulesNoChange(benchmark::State& state) {
  const aar::core::RulesConfig rules = twoKindRules();
  const aar::core::IamSnapshot iam = twoKindIam(kUsers, kRoles);
  auto first = aar::core::reconcile(rules, iam, baseAwsAuth());
  if (!first.ok()) std::abort();
  for (auto _ : state) {
    auto result = aar::core::reconcile(rules, iam, first->desired);
    if (!result.ok() || result->changed) state.SkipWithError("reconcile failed");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_Reconcile10kUsers2kRoles200RulesNoChange)->Unit(benchmark::kMillisecond);

void BM_Parse200Rules(benchmark::State& state) {
  const std::string yaml = rulesYaml(kRules);
  for (auto _ : state) {
    auto rules = RuleSet::parse(yaml);
    benchmark::DoNotOptimize(rules);
  }
}
BENCHMARK(BM_Parse200Rules)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
