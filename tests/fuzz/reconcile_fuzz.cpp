// Fuzz target: reconcile() itself, with the model of aws-iam-authenticator
// (tests/core/authenticator_model.hpp) as its oracle. The input is three or six parts separated by lines
// holding only "%%": the rules (mapUsers of aws-auth-refresher), aws-auth's mapUsers (no ownership record, so
// every entry in it is hand-written) and the IAM user ARNs, one a line (at most 64); then, optionally, the
// role rules (mapRoles of aws-auth-refresher), aws-auth's mapRoles and the IAM role ARNs with their path.
// Properties, whenever the rules parse, reconcile succeeds and the authenticator can read aws-auth as given,
// for mapUsers and mapRoles alike:
//   - every ARN with a hand-written entry maps to exactly the username and groups it mapped to before;
//   - every other ARN in force is a listed principal's (for a role: its ARN without the path, never a
//     service-linked role) and maps to what its first matching rule gives (its username expanded);
//   - the authenticator can read what we would write; a second reconcile changes nothing.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/authenticator_model.hpp"
#include "core/reconcile.hpp"

namespace {

constexpr std::string_view kSeparator = "\n%%\n";
constexpr size_t kMaxArns = 64;

std::vector<std::string_view> split(std::string_view text) {
  std::vector<std::string_view> parts;
  for (;;) {
    const size_t at = text.find(kSeparator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + kSeparator.size());
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> lines(std::string_view rest) {
  std::vector<std::string> out;
  while (!rest.empty() && out.size() < kMaxArns) {
    const size_t nl = rest.find('\n');
    if (std::string_view line = rest.substr(0, nl); !line.empty()) out.emplace_back(line);
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return out;
}

// The ARN a listed principal's entry has: a role's without its path (written independently of src/core).
std::string writtenArn(const std::string& arn, bool role) {
  if (!role) return arn;
  const size_t at = arn.find(":role/");
  if (at == std::string::npos) return arn;
  return arn.substr(0, at + 6) + arn.substr(arn.rfind('/') + 1);
}

// A role under the path /aws-service-role/: the resource part starts at the first ":role/" (what follows may
// hold anything a fuzzer writes, another ":role/" too).
bool serviceLinked(const std::string& arn) {
  const size_t at = arn.find(":role/");
  return at != std::string::npos && arn.compare(at + 6, 17, "aws-service-role/") == 0;
}

// The properties above for one list.
void checkList(const std::map<std::string, aar::testmodel::Mapping>& before,
               const std::map<std::string, aar::testmodel::Mapping>& after, const aar::core::RuleSet& rules,
               const std::vector<std::string>& listed, bool role) {
  for (const auto& [key, mapping] : before) {
    const auto it = after.find(key);
    if (it == after.end() || !(it->second == mapping)) std::abort();  // a hand-written ARN changed
  }
  for (const auto& [key, mapping] : after) {
    if (before.count(key) > 0) continue;
    bool granted = false;
    for (const auto& arn : listed) {
      const std::string written = writtenArn(arn, role);
      if (lower(written) != key || written != mapping.arn || (role && serviceLinked(arn))) continue;
      // The rule is the first that matches (RuleSet::match: pattern and group membership; the listed
      // principals are in no group); a username with ${...} or $$ is expanded as match() does
      // (tests/core/rules_v2_test.cpp checks that expansion), any other is written as it is.
      const auto m = rules.match(aar::core::Principal{arn, {}, {}});
      if (!m || !m->expansion_error.empty()) continue;
      const aar::core::Rule& ru = rules.rules()[m->rule_index];
      const std::string& username = ru.username.find('$') == std::string::npos ? ru.username : m->username;
      granted = username == mapping.username && ru.groups == mapping.groups;
      if (granted) break;
    }
    if (!granted) std::abort();  // in force, but no rule grants it to a principal that exists
  }
}

// Text the model cannot read as aws-iam-authenticator does: a YAML anchor. go-yaml (and libyaml, which
// src/core reads with) ends an anchor's name at the first character that is not alphanumeric, '-' or '_';
// yaml-cpp, under the model, at a blank. So `userarn: &arn:aws:...` is ":aws:..." to the authenticator and
// null to the model (found by fuzzing). Inputs with an '&' are skipped rather than judged by a wrong model.
bool outsideTheModel(std::string_view aws_auth_text) {
  return aws_auth_text.find('&') != std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aar::core;
  const std::vector<std::string_view> parts =
      split(std::string_view(reinterpret_cast<const char*>(data), size));
  if (parts.size() != 3 && parts.size() != 6) return 0;
  if (outsideTheModel(parts[1]) || (parts.size() == 6 && outsideTheModel(parts[4]))) return 0;
  RulesConfig config;
  auto rules = RuleSet::parse(parts[0]);
  if (!rules.ok()) return 0;
  config.users = *rules;
  IamSnapshot iam;
  for (auto& arn : lines(parts[2])) iam.users.push_back(Principal{std::move(arn), {}, {}});
  ConfigMapContent current;
  current.data[kMapUsersKey] = std::string(parts[1]);
  if (parts.size() == 6) {
    RuleSet::ParseOptions role_options;
    role_options.kind = RuleSet::Kind::kRoles;
    auto role_rules = RuleSet::parse(parts[3], role_options);
    if (!role_rules.ok()) return 0;
    config.roles = *role_rules;
    current.data[kMapRolesKey] = std::string(parts[4]);
    for (auto& arn : lines(parts[5])) iam.roles.push_back(Principal{std::move(arn), {}, {}});
  }
  const aar::testmodel::AuthenticatorView before = aar::testmodel::readAwsAuth(current.data);
  if (!before.parsed()) return 0;  // the authenticator itself cannot read it: nothing to preserve exactly

  const ReconcileOptions options{.adopt_matching_entries = false, .object_uid = "fuzz-uid"};
  auto r = reconcile(config, iam, current, options);
  if (!r.ok()) return 0;
  const aar::testmodel::AuthenticatorView after = aar::testmodel::readAwsAuth(r->desired.data);
  if (!after.parsed()) std::abort();  // we would write what the authenticator cannot read
  std::vector<std::string> user_arns, role_arns;
  for (const auto& p : iam.users) user_arns.push_back(p.arn);
  for (const auto& p : iam.roles) role_arns.push_back(p.arn);
  checkList(before.users, after.users, config.users, user_arns, false);
  checkList(before.roles, after.roles, config.roles, role_arns, true);
  auto again = reconcile(config, iam, r->desired, options);
  if (!again.ok() || again->changed) std::abort();
  return 0;
}
