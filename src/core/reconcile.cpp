#include "core/reconcile.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/aws_auth_codec.hpp"
#include "core/ownership.hpp"

namespace aar::core {
namespace {

// What a rule says one ARN's managed entry must be.
struct DesiredEntry {
  size_t rule_index = 0;
  std::string fingerprint;
};

Error withContext(const Error& e, std::string_view context) {
  return makeError(e.kind, "aws-auth " + std::string(context) + ": " + e.message);
}

std::string_view valueOr(const std::map<std::string, std::string>& m, const char* key, bool* present) {
  auto it = m.find(key);
  *present = it != m.end();
  return *present ? std::string_view(it->second) : std::string_view();
}

// IAM names are unique regardless of case and aws-iam-authenticator keys its map by strings.ToLower(arn), so
// two ARNs that differ only in case name one entry.
std::string lowerArn(std::string_view arn) {
  std::string out(arn);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool changeLess(const Change& a, const Change& b) {
  if (a.arn != b.arn) return a.arn < b.arn;
  return static_cast<int>(a.kind) < static_cast<int>(b.kind);
}

}  // namespace

const char* changeKindName(Change::Kind kind) {
  switch (kind) {
    case Change::Kind::kAdded:
      return "added";
    case Change::Kind::kRemoved:
      return "removed";
    case Change::Kind::kUpdated:
      return "updated";
  }
  return "unknown";
}

Result<ReconcileResult> reconcile(const RuleSet& rules, const std::vector<std::string>& iam_user_arns,
                                  const ConfigMapContent& current, const ReconcileOptions& options) {
  // 1. Read everything we might carry over; refuse to go on if any of it does not parse.
  bool has_users = false, has_roles = false, has_accounts = false, has_record = false;
  const std::string_view users_text = valueOr(current.data, kMapUsersKey, &has_users);
  const std::string_view roles_text = valueOr(current.data, kMapRolesKey, &has_roles);
  const std::string_view accounts_text = valueOr(current.data, kMapAccountsKey, &has_accounts);
  const std::string_view record_text = valueOr(current.annotations, kManagedUsersAnnotation, &has_record);

  auto entries = parseMapUsers(users_text);
  if (!entries.ok()) return withContext(entries.error(), "data.mapUsers");
  if (has_roles) {
    if (auto roles = parseMapRoles(roles_text); !roles.ok())
      return withContext(roles.error(), "data.mapRoles");
  }
  if (has_accounts) {
    if (auto accounts = parseMapAccounts(accounts_text); !accounts.ok()) {
      return withContext(accounts.error(), "data.mapAccounts");
    }
  }
  if (!isValidObjectUid(options.object_uid)) {
    return makeError(ErrorKind::kInvalidArgument,
                     "aws-auth metadata.uid \"" + options.object_uid + "\" is not a Kubernetes uid");
  }
  std::vector<std::string> owned;
  RecordState record_state = RecordState::kAbsent;
  std::string bound_uid = options.object_uid;  // the uid the new record is bound to
  if (has_record) {
    auto parsed = parseOwnership(record_text);
    if (!parsed.ok()) {
      return withContext(parsed.error(), std::string("annotation ") + kManagedUsersAnnotation);
    }
    if (parsed->uid.empty()) {
      record_state = RecordState::kUnbound;  // an earlier version's, or written before the uid was known
      owned = std::move(parsed->fingerprints);
    } else if (options.object_uid.empty() || parsed->uid == options.object_uid) {
      // Bound to this object; or we do not know the object's uid (`plan` on a manifest without one), so the
      // record's own binding is kept as it is.
      record_state = RecordState::kBound;
      owned = std::move(parsed->fingerprints);
      bound_uid = parsed->uid;
    } else {
      // Copied from another object or cluster: none of it is ours here; replaced by our own record.
      record_state = RecordState::kOtherObject;
    }
  }
  const size_t recorded_count = owned.size();

  // 2. Classify current entries: managed (canonical shape and fingerprint in the record, or adopted) or not.
  ReconcileResult result;
  result.record_state = record_state;
  result.recorded_count = recorded_count;
  const std::vector<Rule>& rule_list = rules.rules();
  std::vector<std::string> fingerprint_of(entries->size());
  std::unordered_map<std::string_view, std::vector<size_t>> managed_by_arn;
  std::unordered_set<std::string> unmanaged_arns;  // lower-cased: any spelling of the ARN is the same key.
  std::vector<bool> is_managed(entries->size(), false);
  for (size_t i = 0; i < entries->size(); ++i) {
    const MapUsersEntry& e = (*entries)[i];
    if (e.canonical && !owned.empty()) {
      fingerprint_of[i] = entryFingerprint(e.mapping.user_arn, e.mapping.username, e.mapping.groups);
      is_managed[i] = std::binary_search(owned.begin(), owned.end(), fingerprint_of[i]);
    }
    if (!is_managed[i] && e.canonical && options.adopt_matching_entries) {
      const std::optional<size_t> rule = rules.firstMatch(e.mapping.user_arn);
      if (rule && rule_list[*rule].username == e.mapping.username &&
          rule_list[*rule].groups == e.mapping.groups) {
        if (fingerprint_of[i].empty()) {
          fingerprint_of[i] = entryFingerprint(e.mapping.user_arn, e.mapping.username, e.mapping.groups);
        }
        is_managed[i] = true;
        result.adopted.push_back(e.mapping.user_arn);
      }
    }
    if (is_managed[i]) {
      managed_by_arn[e.mapping.user_arn].push_back(i);
    } else if (e.has_user_arn) {
      unmanaged_arns.insert(lowerArn(e.mapping.user_arn));
    }
  }

  std::sort(result.adopted.begin(), result.adopted.end());

  // 3. What the rules want: first matching rule per existing IAM user, unless a human owns that ARN.
  std::vector<std::string> arns = iam_user_arns;
  if (!std::is_sorted(arns.begin(), arns.end())) std::sort(arns.begin(), arns.end());  // often sorted already
  arns.erase(std::unique(arns.begin(), arns.end()), arns.end());
  // Two listed ARNs that differ only in case would be one key to aws-iam-authenticator: keep the first.
  {
    std::unordered_set<std::string> seen;
    seen.reserve(arns.size());
    arns.erase(std::remove_if(arns.begin(), arns.end(),
                              [&](const std::string& arn) { return !seen.insert(lowerArn(arn)).second; }),
               arns.end());
  }
  std::unordered_map<std::string_view, DesiredEntry> desired;
  desired.reserve(arns.size());
  const bool many_rules_match_possible = rules.rules().size() > 1;
  for (const std::string& arn : arns) {
    std::optional<size_t> winner;
    if (many_rules_match_possible) {
      std::vector<size_t> hits = rules.matches(arn);
      if (hits.empty()) continue;
      winner = hits.front();
      if (hits.size() > 1) {
        result.shadowed.push_back(
            ShadowedMatch{arn, hits.front(), std::vector<size_t>(hits.begin() + 1, hits.end())});
      }
    } else {
      winner = rules.firstMatch(arn);
      if (!winner) continue;
    }
    if (unmanaged_arns.count(lowerArn(arn)) > 0) {
      result.skipped_unmanaged.push_back(arn);
      continue;
    }
    desired.emplace(arn, DesiredEntry{*winner, {}});
  }

  // 4. Changes. Managed entries first: kept, updated or removed.
  std::vector<bool> keep(entries->size(), false);
  bool dropped_duplicate = false;
  for (auto& [arn, indexes] : managed_by_arn) {
    auto want = desired.find(arn);
    size_t kept = indexes.size();  // index into `indexes` of the entry we keep as it is.
    if (want != desired.end()) {
      const Rule& rule = rule_list[want->second.rule_index];
      for (size_t k = 0; k < indexes.size(); ++k) {
        const UserMapping& m = (*entries)[indexes[k]].mapping;
        if (m.username == rule.username && m.groups == rule.groups) {
          kept = k;
          break;
        }
      }
      if (kept < indexes.size()) {
        keep[indexes[kept]] = true;
        want->second.fingerprint = fingerprint_of[indexes[kept]];
      }
    }
    bool reported_update = false;
    for (size_t k = 0; k < indexes.size(); ++k) {
      if (k == kept) continue;
      const UserMapping& m = (*entries)[indexes[k]].mapping;
      if (kept < indexes.size() && (*entries)[indexes[k]].mapping == (*entries)[indexes[kept]].mapping) {
        dropped_duplicate = true;  // an identical copy of the entry we keep.
        continue;
      }
      if (want != desired.end() && kept == indexes.size() && !reported_update) {
        const Rule& rule = rule_list[want->second.rule_index];
        result.changes.push_back(Change{Change::Kind::kUpdated, m.user_arn, rule.username, rule.groups,
                                        want->second.rule_index, m.username, m.groups});
        reported_update = true;
        continue;
      }
      result.changes.push_back(
          Change{Change::Kind::kRemoved, m.user_arn, m.username, m.groups, std::nullopt, {}, {}});
    }
  }
  std::sort(result.changes.begin(), result.changes.end(), changeLess);
  // Then ARNs the rules want that have no managed entry yet, already in ARN order (arns is sorted), merged
  // in.
  const auto first_added = static_cast<std::ptrdiff_t>(result.changes.size());
  for (const std::string& arn : arns) {
    auto want = desired.find(arn);
    if (want == desired.end() || managed_by_arn.count(arn) > 0) continue;
    const Rule& rule = rule_list[want->second.rule_index];
    result.changes.push_back(
        Change{Change::Kind::kAdded, arn, rule.username, rule.groups, want->second.rule_index, {}, {}});
  }
  std::inplace_merge(result.changes.begin(), result.changes.begin() + first_added, result.changes.end(),
                     changeLess);

  // 5. The new ownership record. No record and nothing to own: leave the annotation out (no write).
  std::vector<std::string> fingerprints;
  fingerprints.reserve(desired.size());
  for (auto& [arn, want] : desired) {
    if (want.fingerprint.empty()) {
      const Rule& rule = rule_list[want.rule_index];
      want.fingerprint = entryFingerprint(arn, rule.username, rule.groups);
    }
    fingerprints.push_back(want.fingerprint);
  }
  result.managed_count = desired.size();
  const bool users_changed = !result.changes.empty() || dropped_duplicate;
  std::string record = formatOwnership(bound_uid, std::move(fingerprints));
  const bool record_changed = has_record ? record != record_text : !desired.empty();

  if (!users_changed && !record_changed) {
    result.changed = false;
    result.desired = current;
    return result;
  }

  // 6. The new content.
  result.changed = true;
  result.desired = current;
  if (users_changed) {
    // Our entries first (sorted by ARN), then every hand-written entry in its original order.
    // aws-iam-authenticator keeps the last entry for a (lower-cased) ARN, so no entry of ours can ever win
    // over a hand-written one, and hand-written entries keep the order that decides which of them wins.
    std::vector<MapUsersItem> items;
    items.reserve(entries->size() + desired.size());
    for (size_t i = 0; i < entries->size(); ++i) {
      const MapUsersEntry& e = (*entries)[i];
      if (is_managed[i] && keep[i]) {
        items.push_back(
            MapUsersItem{UserMapping{e.mapping.user_arn, e.mapping.username, e.mapping.groups, {}}, {}});
      }
    }
    const auto by_arn = [](const MapUsersItem& a, const MapUsersItem& b) {
      return a.mapping.user_arn < b.mapping.user_arn;
    };
    // Entries we keep are usually in ARN order already (we wrote them); sort them only if not.
    if (!std::is_sorted(items.begin(), items.end(), by_arn))
      std::stable_sort(items.begin(), items.end(), by_arn);
    // New entries in ARN order (arns is sorted), merged in.
    const auto first_new = static_cast<std::ptrdiff_t>(items.size());
    for (const std::string& arn : arns) {
      auto want = desired.find(arn);
      if (want == desired.end()) continue;
      auto managed = managed_by_arn.find(arn);
      const bool kept =
          managed != managed_by_arn.end() &&
          std::any_of(managed->second.begin(), managed->second.end(), [&](size_t i) { return keep[i]; });
      if (kept) continue;
      const Rule& rule = rule_list[want->second.rule_index];
      items.push_back(MapUsersItem{UserMapping{arn, rule.username, rule.groups, {}}, {}});
    }
    std::inplace_merge(items.begin(), items.begin() + first_new, items.end(), by_arn);
    for (size_t i = 0; i < entries->size(); ++i) {
      const MapUsersEntry& e = (*entries)[i];
      if (!is_managed[i]) items.push_back(MapUsersItem{e.mapping, e.node});
    }
    auto text = emitMapUsers(items);
    if (!text.ok()) return text.error();
    result.desired.data[kMapUsersKey] = std::move(text.value());
  }
  result.desired.annotations[kManagedUsersAnnotation] = std::move(record);

  if (const size_t n = dataSize(result.desired.data); n > kMaxConfigMapDataBytes) {
    return makeError(ErrorKind::kTooLarge,
                     "aws-auth data would be " + std::to_string(n) + " bytes (" +
                         std::to_string(result.managed_count) +
                         " managed users), over the 1 MiB (1048576 bytes) ConfigMap limit");
  }
  if (const size_t n = annotationsSize(result.desired.annotations); n > kMaxAnnotationsBytes) {
    return makeError(ErrorKind::kTooLarge, "aws-auth annotations would be " + std::to_string(n) +
                                               " bytes, over the 256 KiB (262144 bytes) limit");
  }
  return result;
}

}  // namespace aar::core
