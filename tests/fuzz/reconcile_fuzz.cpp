// Fuzz target: reconcile() itself, with the model of aws-iam-authenticator
// (tests/core/authenticator_model.hpp) as its oracle. The input is three parts separated by lines holding
// only "%%": the rules (mapUsers of aws-auth-refresher), aws-auth's mapUsers (no ownership record, so every
// entry in it is hand-written) and the IAM user ARNs, one a line (at most 64). Properties, whenever the rules
// parse, reconcile succeeds and the authenticator can read mapUsers as given:
//   - every ARN with a hand-written entry maps to exactly the username and groups it mapped to before;
//   - every other ARN in force is an IAM user that exists and maps to what its first matching rule gives;
//   - the authenticator can read what we would write; a second reconcile changes nothing.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace aar::core;
  const std::vector<std::string_view> parts =
      split(std::string_view(reinterpret_cast<const char*>(data), size));
  if (parts.size() != 3) return 0;
  auto rules = RuleSet::parse(parts[0]);
  if (!rules.ok()) return 0;
  std::vector<std::string> arns;
  std::string_view rest = parts[2];
  while (!rest.empty() && arns.size() < kMaxArns) {
    const size_t nl = rest.find('\n');
    if (std::string_view line = rest.substr(0, nl); !line.empty()) arns.emplace_back(line);
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  ConfigMapContent current;
  current.data[kMapUsersKey] = std::string(parts[1]);
  const aar::testmodel::AuthenticatorView before = aar::testmodel::readAwsAuth(current.data);
  if (!before.parsed()) return 0;  // the authenticator itself cannot read it: nothing to preserve exactly

  const ReconcileOptions options{.adopt_matching_entries = false, .object_uid = "fuzz-uid"};
  auto r = reconcile(*rules, arns, current, options);
  if (!r.ok()) return 0;
  const aar::testmodel::AuthenticatorView after = aar::testmodel::readAwsAuth(r->desired.data);
  if (!after.parsed()) std::abort();  // we would write what the authenticator cannot read
  for (const auto& [key, mapping] : before.users) {
    const auto it = after.users.find(key);
    if (it == after.users.end() || !(it->second == mapping)) std::abort();  // a hand-written ARN changed
  }
  for (const auto& [key, mapping] : after.users) {
    if (before.users.count(key) > 0) continue;
    bool granted = false;
    for (const auto& arn : arns) {
      if (lower(arn) != key || arn != mapping.arn) continue;
      const auto rule = rules->firstMatch(arn);
      if (!rule) continue;
      const Rule& ru = rules->rules()[*rule];
      granted = ru.username == mapping.username && ru.groups == mapping.groups;
      if (granted) break;
    }
    if (!granted) std::abort();  // in force, but no rule grants it to an IAM user that exists
  }
  auto again = reconcile(*rules, arns, r->desired, options);
  if (!again.ok() || again->changed) std::abort();
  return 0;
}
