#include "app/plan_command.hpp"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "app/access_entries_plan.hpp"
#include "core/access_entries.hpp"
#include "core/config_map.hpp"
#include "core/result.hpp"
#include "core/rules.hpp"

namespace aar::app {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitBadInput = 2;
// Above this many cells the diff's LCS table is skipped and the changed middle is shown as removed + added.
constexpr size_t kMaxDiffCells = 4'000'000;

struct PlanOptions {
  std::string rules_file;
  std::string aws_auth_file;
  std::string arns_file;
  std::string group_members_file;  // "" when not given
  std::string output = "yaml";
  bool adopt_matching_entries = false;
  // --backend access-entries (access_entries_plan.hpp).
  std::string backend = "aws-auth";
  std::string access_entries_file;
  std::string owner_id = core::kDefaultAccessEntryOwnerId;
  bool allow_cluster_admin_policy = false;
};

Result<std::string> readFile(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError(ErrorKind::kInvalidArgument, std::string(flag) + " " + path + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return makeError(ErrorKind::kInvalidArgument, std::string(flag) + " " + path + ": read failed");
  return ss.str();
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

Result<std::vector<std::string>> parseArns(const std::string& text, const std::string& path) {
  std::vector<std::string> arns;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string arn = trim(line);
    if (arn.empty() || arn[0] == '#') continue;
    if (arn.rfind("arn:", 0) != 0 || arn.find_first_of(" \t") != std::string::npos) {
      return makeError(ErrorKind::kInvalidArgument, path + ": line " + std::to_string(n) +
                                                        ": not an ARN: \"" + arn + "\" (one ARN per line)");
    }
    arns.push_back(arn);
  }
  return arns;
}

// An ARN is a role's when its resource starts with "role/" (arn:<partition>:iam::<account>:role/...);
// everything else is taken as a user, as before rules v2.
bool isRoleArn(const std::string& arn) { return arn.find(":role/") != std::string::npos; }

// `--group-members`: lines "<group> <user ARN>"; blank lines and # comments ignored. user ARN -> groups.
Result<std::map<std::string, std::vector<std::string>>> parseGroupMembers(const std::string& text,
                                                                          const std::string& path) {
  std::map<std::string, std::vector<std::string>> groups_of;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    std::istringstream fields(t);
    std::string group, arn, extra;
    fields >> group >> arn >> extra;
    if (arn.rfind("arn:", 0) != 0 || !extra.empty() || isRoleArn(arn)) {
      return makeError(
          ErrorKind::kInvalidArgument,
          path + ": line " + std::to_string(n) + ": expected \"<group> <user ARN>\", got \"" + t + "\"");
    }
    groups_of[arn].push_back(group);
  }
  return groups_of;
}

std::vector<std::string> splitLines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string groupsText(const std::vector<std::string>& groups) {
  std::string s = "[";
  for (size_t i = 0; i < groups.size(); ++i) s += (i ? ", " : "") + groups[i];
  return s + "]";
}

// Role lines name their list; user lines read as they did before rules v2.
const char* listSuffix(core::PrincipalKind kind) {
  return kind == core::PrincipalKind::kRole ? " of mapRoles" : "";
}

std::string changesText(const core::ReconcileResult& r, bool with_roles) {
  std::ostringstream out;
  if (r.changes.empty())
    out << (with_roles ? "no changes to mapUsers or mapRoles\n" : "no changes to mapUsers\n");
  for (const auto& c : r.changes) {
    out << changeKindName(c.kind) << "  " << c.arn << "  username=" << c.username
        << " groups=" << groupsText(c.groups);
    if (c.rule_index) out << "  (rule " << *c.rule_index << listSuffix(c.principal) << ")";
    if (c.kind == core::Change::Kind::kUpdated) {
      out << "  was username=" << c.previous_username << " groups=" << groupsText(c.previous_groups);
    }
    out << "\n";
  }
  for (const auto& s : r.shadowed) {
    out << "shadowed  " << s.arn << "  uses rule " << s.rule_index << "; also matches rule";
    for (size_t i = 0; i < s.shadowed_rules.size(); ++i) out << (i ? ", " : " ") << s.shadowed_rules[i];
    out << listSuffix(s.principal) << "\n";
  }
  for (const auto& f : r.expansion_failures) {
    out << "no entry  " << f.arn << "  (rule " << f.rule_index << listSuffix(f.principal) << ": " << f.reason
        << ")\n";
  }
  for (const auto& arn : r.adopted)
    out << "adopted  " << arn << "  (exactly what its rule writes; ours from now on)\n";
  for (const auto& arn : r.skipped_unmanaged)
    out << "skipped  " << arn << "  (has an entry not written by us)\n";
  out << "managed entries: " << r.managed_count
      << (r.changed ? "" : " (aws-auth unchanged: nothing to write)") << "\n";
  return out.str();
}

nlohmann::json toJson(const core::ReconcileResult& r) {
  nlohmann::json j;
  j["changed"] = r.changed;
  j["managed_count"] = r.managed_count;
  j["changes"] = nlohmann::json::array();
  for (const auto& c : r.changes) {
    nlohmann::json jc{{"kind", changeKindName(c.kind)},
                      {"principal", core::principalKindName(c.principal)},
                      {"arn", c.arn},
                      {"username", c.username},
                      {"groups", c.groups}};
    jc["rule_index"] = c.rule_index ? nlohmann::json(*c.rule_index) : nlohmann::json(nullptr);
    if (c.kind == core::Change::Kind::kUpdated) {
      jc["previous_username"] = c.previous_username;
      jc["previous_groups"] = c.previous_groups;
    }
    j["changes"].push_back(std::move(jc));
  }
  j["shadowed"] = nlohmann::json::array();
  for (const auto& s : r.shadowed) {
    j["shadowed"].push_back({{"principal", core::principalKindName(s.principal)},
                             {"arn", s.arn},
                             {"rule_index", s.rule_index},
                             {"shadowed_rules", s.shadowed_rules}});
  }
  j["expansion_failures"] = nlohmann::json::array();
  for (const auto& f : r.expansion_failures) {
    j["expansion_failures"].push_back({{"principal", core::principalKindName(f.principal)},
                                       {"arn", f.arn},
                                       {"rule_index", f.rule_index},
                                       {"reason", f.reason}});
  }
  j["managed_users"] = r.users.managed_count;
  j["managed_roles"] = r.roles.managed_count;
  j["skipped_unmanaged"] = r.skipped_unmanaged;
  j["adopted"] = r.adopted;
  j["desired"] = {{"data", r.desired.data}, {"annotations", r.desired.annotations}};
  return j;
}

int exitCodeFor(const Error& e) {
  return e.kind == ErrorKind::kInvalidArgument || e.kind == ErrorKind::kParse ? kExitBadInput : kExitRuntime;
}

int fail(const Error& e) {
  std::cerr << "aws-auth-refresher plan: " << e.message << "\n";
  return exitCodeFor(e);
}

// --backend access-entries: the EKS calls, as text or JSON.
int runAccessEntriesPlan(const PlanOptions& o) {
  if (o.access_entries_file.empty()) {
    return fail(
        makeError(ErrorKind::kInvalidArgument, "--backend access-entries needs --access-entries FILE"));
  }
  if (o.arns_file.empty()) return fail(makeError(ErrorKind::kInvalidArgument, "--arns is required"));
  AccessEntriesPlanInput in;
  auto rules_text = readFile(o.rules_file, "--rules");
  if (!rules_text.ok()) return fail(rules_text.error());
  auto entries_text = readFile(o.access_entries_file, "--access-entries");
  if (!entries_text.ok()) return fail(entries_text.error());
  auto arns_text = readFile(o.arns_file, "--arns");
  if (!arns_text.ok()) return fail(arns_text.error());
  auto arns = parseArns(*arns_text, o.arns_file);
  if (!arns.ok()) return fail(arns.error());
  in.rules_text = std::move(*rules_text);
  in.rules_path = o.rules_file;
  in.entries_text = std::move(*entries_text);
  in.entries_path = o.access_entries_file;
  in.arns = std::move(*arns);
  in.owner_id = o.owner_id;
  in.allow_cluster_admin_policy = o.allow_cluster_admin_policy;
  in.json = o.output == "json";
  auto plan = planAccessEntriesOffline(in);
  if (!plan.ok()) return fail(plan.error());
  std::cout << *plan;
  return kExitOk;
}

// A 2019-shaped rules file (only mapUsers) is parsed as before rules v2, so that its error messages read
// exactly as they did ("FILE: rule i, field f, line n: ..."); anything else through parseRulesConfig, whose
// messages also name the key.
Result<core::RulesConfig> parseRules(const core::RulesText& text, const std::string& file) {
  if (text.map_users && !text.map_roles && !text.accounts) {
    core::RuleSet::ParseOptions options;
    options.first_line = text.map_users_first_line;
    options.source = file;
    auto users = core::RuleSet::parse(*text.map_users, options);
    if (!users.ok()) return users.error();
    core::RulesConfig config;
    config.users = std::move(users.value());
    return config;
  }
  return core::parseRulesConfig(text, file);
}

int runPlan(const PlanOptions& o) {
  if (o.backend == "access-entries") return runAccessEntriesPlan(o);
  // Checked here rather than by CLI11: --aws-auth is required for this backend only.
  if (o.aws_auth_file.empty()) {
    return fail(makeError(ErrorKind::kInvalidArgument, "--aws-auth is required (--backend aws-auth)"));
  }
  if (o.arns_file.empty()) return fail(makeError(ErrorKind::kInvalidArgument, "--arns is required"));
  auto rules_text = readFile(o.rules_file, "--rules");
  if (!rules_text.ok()) return fail(rules_text.error());
  auto aws_auth_text = readFile(o.aws_auth_file, "--aws-auth");
  if (!aws_auth_text.ok()) return fail(aws_auth_text.error());
  auto arns_text = readFile(o.arns_file, "--arns");
  if (!arns_text.ok()) return fail(arns_text.error());

  auto source = core::extractRulesText(*rules_text);
  if (!source.ok())
    return fail(makeError(ErrorKind::kInvalidArgument, o.rules_file + ": " + source.error().message));
  auto rules = parseRules(*source, o.rules_file);
  if (!rules.ok()) return fail(rules.error());
  std::map<std::string, std::vector<std::string>> groups_of;
  if (!o.group_members_file.empty()) {
    auto members_text = readFile(o.group_members_file, "--group-members");
    if (!members_text.ok()) return fail(members_text.error());
    auto members = parseGroupMembers(*members_text, o.group_members_file);
    if (!members.ok()) return fail(members.error());
    groups_of = std::move(members.value());
  }

  auto manifest = core::parseConfigMapManifest(*aws_auth_text, o.aws_auth_file);
  if (!manifest.ok()) return fail(manifest.error());
  auto arns = parseArns(*arns_text, o.arns_file);
  if (!arns.ok()) return fail(arns.error());

  core::ReconcileOptions reconcile_options;
  reconcile_options.adopt_matching_entries = o.adopt_matching_entries;
  // Offline: every listed ARN is taken as it is (no account is contacted, none is frozen).
  core::IamSnapshot snapshot;
  for (const auto& arn : *arns) {
    if (isRoleArn(arn)) {
      snapshot.roles.push_back(core::Principal{arn, {}, {}});
    } else {
      auto it = groups_of.find(arn);
      snapshot.users.push_back(
          core::Principal{arn, {}, it == groups_of.end() ? std::vector<std::string>{} : it->second});
    }
  }
  const bool with_roles = !rules->roles.empty();
  auto result = core::reconcile(*rules, snapshot, manifest->content, reconcile_options);
  if (!result.ok()) {
    Error e = result.error();
    e.message = o.aws_auth_file + ": " + e.message;
    return fail(e);
  }

  if (o.output == "json") {
    std::cout << toJson(*result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (o.output == "diff") {
    const auto& before = manifest->content.data;
    const auto& after = result->desired.data;
    auto value = [](const std::map<std::string, std::string>& data, const char* key) {
      const auto it = data.find(key);
      return it == data.end() ? std::string() : it->second;
    };
    std::cout << "--- " << o.aws_auth_file << " data.mapUsers (current)\n"
              << "+++ " << o.aws_auth_file << " data.mapUsers (planned)\n"
              << lineDiff(value(before, core::kMapUsersKey), value(after, core::kMapUsersKey)) << "\n";
    // mapRoles only when role rules exist or it changes, so users-only plans print what they always did.
    if (with_roles || value(before, core::kMapRolesKey) != value(after, core::kMapRolesKey)) {
      std::cout << "--- " << o.aws_auth_file << " data.mapRoles (current)\n"
                << "+++ " << o.aws_auth_file << " data.mapRoles (planned)\n"
                << lineDiff(value(before, core::kMapRolesKey), value(after, core::kMapRolesKey)) << "\n";
    }
    std::cout << changesText(*result, with_roles);
  } else {
    auto text = core::emitConfigMapManifest(*manifest, result->desired);
    if (!text.ok()) return fail(text.error());
    std::cout << *text;
    std::cerr << changesText(*result, with_roles);
  }
  return kExitOk;
}

}  // namespace

std::string lineDiff(const std::string& before, const std::string& after) {
  const std::vector<std::string> a = splitLines(before), b = splitLines(after);
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  const size_t n = a.size() - prefix - suffix, m = b.size() - prefix - suffix;
  std::ostringstream out;
  for (size_t i = 0; i < prefix; ++i) out << " " << a[i] << "\n";
  if (n * m <= kMaxDiffCells) {
    // Longest common subsequence of the changed middle; walk it to print kept, removed and added lines.
    std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
    for (size_t i = n; i-- > 0;) {
      for (size_t j = m; j-- > 0;) {
        lcs[i][j] =
            a[prefix + i] == b[prefix + j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    size_t i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[prefix + i] == b[prefix + j]) {
        out << " " << a[prefix + i++] << "\n";
        ++j;
      } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        out << "-" << a[prefix + i++] << "\n";
      } else {
        out << "+" << b[prefix + j++] << "\n";
      }
    }
  } else {
    for (size_t i = 0; i < n; ++i) out << "-" << a[prefix + i] << "\n";
    for (size_t j = 0; j < m; ++j) out << "+" << b[prefix + j] << "\n";
  }
  for (size_t i = a.size() - suffix; i < a.size(); ++i) out << " " << a[i] << "\n";
  return out.str();
}

void addPlanCommand(CLI::App& root, int* exit_code) {
  auto options = std::make_shared<PlanOptions>();
  auto* cmd = root.add_subcommand(
      "plan",
      "Offline: compute the aws-auth that `run` would write, from a rules file, an aws-auth manifest and a "
      "list of IAM user and role ARNs");
  cmd->add_option(
         "--rules", options->rules_file,
         "The aws-auth-refresher ConfigMap manifest (its mapUsers, mapRoles and accounts keys), or just its "
         "mapUsers value (a YAML list of rules)")
      ->required();
  cmd->add_option("--aws-auth", options->aws_auth_file,
                  "The kube-system/aws-auth ConfigMap manifest, as `kubectl get -o yaml` prints it (required "
                  "for --backend aws-auth)");
  cmd->add_option(
      "--arns", options->arns_file,
      "IAM user and role ARNs that exist, one per line (blank lines and # comments ignored); role "
      "ARNs (\":role/\") with their path, as ListRoles returns them, are matched against mapRoles "
      "rules. Listed as they are: no account of `accounts` is contacted (required)");
  cmd->add_option(
      "--group-members", options->group_members_file,
      "IAM group membership for iamGroup rules, offline: lines \"<group> <user ARN>\" (blank lines "
      "and # comments ignored). Without it no user is in any group");
  cmd->add_option("--output,-o", options->output,
                  "yaml: the new manifest; diff: a readable diff; json: the plan (access-entries: text, the "
                  "default, or json)")
      ->check(CLI::IsMember({"yaml", "diff", "json", "text"}))
      ->capture_default_str();
  cmd->add_flag("--adopt-matching-entries", options->adopt_matching_entries,
                "Take over mapUsers entries without an ownership record that are exactly what their rule "
                "writes (entries the 2019 tool wrote); see docs/deployment.md");
  cmd->add_option("--backend", options->backend,
                  "aws-auth: plan aws-auth (default); access-entries: print the EKS calls `run --backend "
                  "access-entries` would make")
      ->check(CLI::IsMember({"aws-auth", "access-entries"}))
      ->capture_default_str();
  cmd->add_option("--access-entries", options->access_entries_file,
                  "access-entries: the cluster's entries as JSON, a list of objects, each what `aws eks "
                  "describe-access-entry` prints plus the \"associatedAccessPolicies\" list of `aws eks "
                  "list-associated-access-policies`: [{\"accessEntry\": {\"principalArn\": ARN, \"type\": "
                  "\"STANDARD\", \"username\": U, \"kubernetesGroups\": [G], \"tags\": {K: V}}, "
                  "\"associatedAccessPolicies\": [{\"policyArn\": P, \"accessScope\": {\"type\": "
                  "\"cluster\"|\"namespace\", \"namespaces\": [N]}}]}]; principalArn and type required; a "
                  "top-level \"tags\" map replaces accessEntry.tags");
  cmd->add_option("--owner-id", options->owner_id, "access-entries: the owner tag value that marks ours")
      ->capture_default_str();
  cmd->add_flag(
      "--allow-cluster-admin-policy", options->allow_cluster_admin_policy,
      "access-entries: allow AmazonEKSClusterAdminPolicy (and AmazonEKSAdminPolicy at cluster scope)");
  cmd->callback([options, exit_code] { *exit_code = runPlan(*options); });
}

}  // namespace aar::app
