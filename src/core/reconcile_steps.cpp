#include "core/reconcile_steps.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "core/ownership.hpp"

namespace aar::core::reconcile_steps {
namespace {

Error withContext(const Error& e, std::string_view context) {
  return makeError(e.kind, "aws-auth " + std::string(context) + ": " + e.message);
}

std::optional<std::string_view> valueOf(const std::map<std::string, std::string>& m, const char* key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return std::string_view(it->second);
}

bool changeLess(const Change& a, const Change& b) {
  if (a.arn != b.arn) return a.arn < b.arn;
  return static_cast<int>(a.kind) < static_cast<int>(b.kind);
}

// Adoption: a canonical entry that is exactly what the first rule matching its ARN writes.
bool adoptable(const MapUsersEntry& e, const RuleSet& rules) {
  const std::optional<size_t> rule = rules.firstMatch(e.mapping.user_arn);
  return rule && rules.rules()[*rule].username == e.mapping.username &&
         rules.rules()[*rule].groups == e.mapping.groups;
}

// The winning rule of `arn`, reporting the rules it shadows; nullopt if no rule matches.
std::optional<size_t> winningRule(const std::string& arn, const RuleSet& rules,
                                  std::vector<ShadowedMatch>* shadowed) {
  if (rules.rules().size() <= 1) return rules.firstMatch(arn);  // no rule can shadow another
  std::vector<size_t> hits = rules.matches(arn);
  if (hits.empty()) return std::nullopt;
  if (hits.size() > 1) {
    shadowed->push_back(ShadowedMatch{arn, hits.front(), std::vector<size_t>(hits.begin() + 1, hits.end())});
  }
  return hits.front();
}

// One ARN's managed entries (`indexes`): marks the one to keep in diff->keep and reports the others.
void diffManaged(const std::vector<MapUsersEntry>& entries, const std::vector<size_t>& indexes,
                 const std::optional<size_t>& want, const RuleSet& rules, Diff* diff) {
  size_t kept = indexes.size();  // index into `indexes` of the entry we keep as it is.
  if (want) {
    const Rule& rule = rules.rules()[*want];
    for (size_t k = 0; k < indexes.size(); ++k) {
      const UserMapping& m = entries[indexes[k]].mapping;
      if (m.username == rule.username && m.groups == rule.groups) {
        kept = k;
        break;
      }
    }
    if (kept < indexes.size()) diff->keep[indexes[kept]] = true;
  }
  bool reported_update = false;
  for (size_t k = 0; k < indexes.size(); ++k) {
    if (k == kept) continue;
    const UserMapping& m = entries[indexes[k]].mapping;
    if (kept < indexes.size() && m == entries[indexes[kept]].mapping) {
      diff->dropped_duplicate = true;  // an identical copy of the entry we keep.
      continue;
    }
    if (want && kept == indexes.size() && !reported_update) {
      const Rule& rule = rules.rules()[*want];
      diff->changes.push_back(Change{Change::Kind::kUpdated, m.user_arn, rule.username, rule.groups, *want,
                                     m.username, m.groups});
      reported_update = true;
      continue;
    }
    diff->changes.push_back(
        Change{Change::Kind::kRemoved, m.user_arn, m.username, m.groups, std::nullopt, {}, {}});
  }
}

}  // namespace

std::string lowerArn(std::string_view arn) {
  std::string out(arn);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<OwnershipState> readOwnership(std::optional<std::string_view> record_text,
                                     std::string_view object_uid) {
  if (!isValidObjectUid(object_uid)) {
    return makeError(ErrorKind::kInvalidArgument,
                     "aws-auth metadata.uid \"" + std::string(object_uid) + "\" is not a Kubernetes uid");
  }
  OwnershipState out;
  out.bound_uid = std::string(object_uid);
  if (!record_text) return out;
  auto parsed = parseOwnership(*record_text);
  if (!parsed.ok()) return withContext(parsed.error(), std::string("annotation ") + kManagedUsersAnnotation);
  if (parsed->uid.empty()) {
    out.state = RecordState::kUnbound;  // an earlier version's, or written before the uid was known
    out.owned = std::move(parsed->fingerprints);
  } else if (object_uid.empty() || parsed->uid == object_uid) {
    // Bound to this object; or we do not know the object's uid (`plan` on a manifest without one), so the
    // record's own binding is kept as it is.
    out.state = RecordState::kBound;
    out.owned = std::move(parsed->fingerprints);
    out.bound_uid = parsed->uid;
  } else {
    // Copied from another object or cluster: none of it is ours here; replaced by our own record.
    out.state = RecordState::kOtherObject;
  }
  return out;
}

Result<CurrentState> readCurrentState(const ConfigMapContent& current, std::string_view object_uid) {
  CurrentState out;
  auto entries = parseMapUsers(valueOf(current.data, kMapUsersKey).value_or(std::string_view()));
  if (!entries.ok()) return withContext(entries.error(), "data.mapUsers");
  out.entries = std::move(entries.value());
  if (const auto roles_text = valueOf(current.data, kMapRolesKey)) {
    if (auto roles = parseMapRoles(*roles_text); !roles.ok())
      return withContext(roles.error(), "data.mapRoles");
  }
  if (const auto accounts_text = valueOf(current.data, kMapAccountsKey)) {
    if (auto accounts = parseMapAccounts(*accounts_text); !accounts.ok()) {
      return withContext(accounts.error(), "data.mapAccounts");
    }
  }
  out.record_text = valueOf(current.annotations, kManagedUsersAnnotation);
  auto ownership = readOwnership(out.record_text, object_uid);
  if (!ownership.ok()) return ownership.error();
  out.ownership = std::move(ownership.value());
  return out;
}

Classification classifyEntries(const std::vector<MapUsersEntry>& entries,
                               const std::vector<std::string>& owned, const RuleSet& rules, bool adopt) {
  Classification out;
  out.fingerprint_of.resize(entries.size());
  out.is_managed.assign(entries.size(), false);
  for (size_t i = 0; i < entries.size(); ++i) {
    const MapUsersEntry& e = entries[i];
    const UserMapping& m = e.mapping;
    if (e.canonical && !owned.empty()) {
      out.fingerprint_of[i] = entryFingerprint(m.user_arn, m.username, m.groups);
      out.is_managed[i] = std::binary_search(owned.begin(), owned.end(), out.fingerprint_of[i]);
    }
    if (!out.is_managed[i] && e.canonical && adopt && adoptable(e, rules)) {
      if (out.fingerprint_of[i].empty())
        out.fingerprint_of[i] = entryFingerprint(m.user_arn, m.username, m.groups);
      out.is_managed[i] = true;
      out.adopted.push_back(m.user_arn);
    }
    if (out.is_managed[i]) {
      out.managed_by_arn[m.user_arn].push_back(i);
    } else if (e.has_user_arn) {
      out.unmanaged_arns.insert(lowerArn(m.user_arn));
    }
  }
  std::sort(out.adopted.begin(), out.adopted.end());
  return out;
}

std::vector<std::string> distinctArns(const std::vector<std::string>& iam_user_arns) {
  std::vector<std::string> arns = iam_user_arns;
  if (!std::is_sorted(arns.begin(), arns.end())) std::sort(arns.begin(), arns.end());  // often sorted already
  arns.erase(std::unique(arns.begin(), arns.end()), arns.end());
  std::unordered_set<std::string> seen;
  seen.reserve(arns.size());
  arns.erase(std::remove_if(arns.begin(), arns.end(),
                            [&](const std::string& arn) { return !seen.insert(lowerArn(arn)).second; }),
             arns.end());
  return arns;
}

DesiredEntries desiredEntries(const std::vector<std::string>& arns, const RuleSet& rules,
                              const std::unordered_set<std::string>& unmanaged_arns) {
  DesiredEntries out;
  out.rule_of.reserve(arns.size());
  for (const std::string& arn : arns) {
    const std::optional<size_t> winner = winningRule(arn, rules, &out.shadowed);
    if (!winner) continue;
    if (unmanaged_arns.count(lowerArn(arn)) > 0) {
      out.skipped_unmanaged.push_back(arn);  // a hand-written entry wins
      continue;
    }
    out.rule_of.emplace(arn, *winner);
  }
  return out;
}

Diff diffEntries(const std::vector<MapUsersEntry>& entries, const Classification& classes,
                 const DesiredEntries& desired, const std::vector<std::string>& arns, const RuleSet& rules) {
  Diff diff;
  diff.keep.assign(entries.size(), false);
  for (const auto& [arn, indexes] : classes.managed_by_arn) {
    const auto want = desired.rule_of.find(arn);
    diffManaged(entries, indexes, want == desired.rule_of.end() ? std::nullopt : std::optional(want->second),
                rules, &diff);
  }
  std::sort(diff.changes.begin(), diff.changes.end(), changeLess);
  // Then the desired ARNs, in ARN order (arns is sorted): kAdded if there is no managed entry at all (merged
  // into the sorted changes), to write if none is kept.
  const auto first_added = static_cast<std::ptrdiff_t>(diff.changes.size());
  for (const std::string& arn : arns) {
    const auto want = desired.rule_of.find(arn);
    if (want == desired.rule_of.end()) continue;
    const auto managed = classes.managed_by_arn.find(arn);
    if (managed == classes.managed_by_arn.end()) {
      const Rule& rule = rules.rules()[want->second];
      diff.changes.push_back(
          Change{Change::Kind::kAdded, arn, rule.username, rule.groups, want->second, {}, {}});
    }
    const bool kept = managed != classes.managed_by_arn.end() &&
                      std::any_of(managed->second.begin(), managed->second.end(),
                                  [&](size_t i) { return static_cast<bool>(diff.keep[i]); });
    if (!kept) diff.to_write.push_back(NewEntry{arn, want->second});
  }
  std::inplace_merge(diff.changes.begin(), diff.changes.begin() + first_added, diff.changes.end(),
                     changeLess);
  return diff;
}

std::string ownershipRecord(std::string_view bound_uid, const Classification& classes, const Diff& diff,
                            const RuleSet& rules) {
  std::vector<std::string> fingerprints;
  fingerprints.reserve(diff.to_write.size() + classes.managed_by_arn.size());
  for (size_t i = 0; i < diff.keep.size(); ++i) {
    if (diff.keep[i]) fingerprints.push_back(classes.fingerprint_of[i]);  // computed when classified
  }
  for (const NewEntry& n : diff.to_write) {
    const Rule& rule = rules.rules()[n.rule_index];
    fingerprints.push_back(entryFingerprint(n.arn, rule.username, rule.groups));
  }
  return formatOwnership(bound_uid, std::move(fingerprints));
}

Result<std::string> renderMapUsers(const std::vector<MapUsersEntry>& entries, const Classification& classes,
                                   const Diff& diff, const RuleSet& rules) {
  std::vector<MapUsersItem> items;
  items.reserve(entries.size() + diff.to_write.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    const UserMapping& m = entries[i].mapping;
    if (diff.keep[i]) items.push_back(MapUsersItem{UserMapping{m.user_arn, m.username, m.groups, {}}, {}});
  }
  const auto by_arn = [](const MapUsersItem& a, const MapUsersItem& b) {
    return a.mapping.user_arn < b.mapping.user_arn;
  };
  // Entries we keep are usually in ARN order already (we wrote them); sort them only if not.
  if (!std::is_sorted(items.begin(), items.end(), by_arn))
    std::stable_sort(items.begin(), items.end(), by_arn);
  const auto first_new = static_cast<std::ptrdiff_t>(items.size());
  for (const NewEntry& n : diff.to_write) {  // in ARN order: merged in
    const Rule& rule = rules.rules()[n.rule_index];
    items.push_back(MapUsersItem{UserMapping{std::string(n.arn), rule.username, rule.groups, {}}, {}});
  }
  std::inplace_merge(items.begin(), items.begin() + first_new, items.end(), by_arn);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!classes.is_managed[i]) items.push_back(MapUsersItem{entries[i].mapping, entries[i].node});
  }
  return emitMapUsers(items);
}

Status checkLimits(const ConfigMapContent& desired, size_t managed_count) {
  if (const size_t n = dataSize(desired.data); n > kMaxConfigMapDataBytes) {
    return makeError(ErrorKind::kTooLarge,
                     "aws-auth data would be " + std::to_string(n) + " bytes (" +
                         std::to_string(managed_count) +
                         " managed users), over the 1 MiB (1048576 bytes) ConfigMap limit");
  }
  if (const size_t n = annotationsSize(desired.annotations); n > kMaxAnnotationsBytes) {
    return makeError(ErrorKind::kTooLarge, "aws-auth annotations would be " + std::to_string(n) +
                                               " bytes, over the 256 KiB (262144 bytes) limit");
  }
  return {};
}

}  // namespace aar::core::reconcile_steps
