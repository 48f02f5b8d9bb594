#include "core/reconcile_steps.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "core/ownership.hpp"
#include "core/yaml_util.hpp"

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
  const std::optional<RuleMatch> match = rules.match(Principal{e.mapping.user_arn, {}, {}});
  return match && match->expansion_error.empty() && match->username == e.mapping.username &&
         rules.rules()[match->rule_index].groups == e.mapping.groups;
}

bool inFrozenAccount(std::string_view arn, const std::vector<std::string>& frozen_accounts) {
  if (frozen_accounts.empty()) return false;
  const std::string_view account = arnAccount(arn);
  return std::find(frozen_accounts.begin(), frozen_accounts.end(), account) != frozen_accounts.end();
}

std::string sameArn(std::string_view arn) { return std::string(arn); }
// No space, no control character and no line break YAML readers disagree on, as in every ARN IAM returns.
// Anything else never matches: it is not what IAM sends, and once written into aws-auth readers need not
// agree on how it reads back (libyaml writes a U+2029 in a quoted scalar as a line break that go-yaml keeps
// and yaml-cpp folds; found by fuzzing). UTF-8 letters are left alone.
bool plausibleArn(std::string_view arn) {
  const auto space_or_control = [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= ' ' || byte == 0x7f;
  };
  return std::none_of(arn.begin(), arn.end(), space_or_control) && yaml::ambiguousLineBreak(arn).empty();
}

// Index of the "/" after "role" in a role ARN, arn:<partition>:iam::<account>:role/... with a partition and
// an account that are not empty and hold no "/" (so that the first ":role/" is the resource's), or npos.
size_t roleResourceStart(std::string_view arn) {
  std::string_view fields[5];
  size_t start = 0;
  for (std::string_view& field : fields) {
    const size_t colon = arn.find(':', start);
    if (colon == std::string_view::npos) return std::string_view::npos;
    field = arn.substr(start, colon - start);
    start = colon + 1;
  }
  const auto plain = [](std::string_view f) { return !f.empty() && f.find('/') == std::string_view::npos; };
  if (fields[0] != "arn" || !plain(fields[1]) || fields[2] != "iam" || !fields[3].empty() ||
      !plain(fields[4])) {
    return std::string_view::npos;
  }
  if (arn.substr(start, 5) != "role/") return std::string_view::npos;
  return start + 4;
}

// A role may match a rule only if its ARN is a well-formed, plausible role ARN (anything else is not
// what ListRoles returns, and its path could not be told apart) and it is not a service-linked role.
bool eligibleRole(std::string_view arn) {
  return plausibleArn(arn) && roleResourceStart(arn) != std::string_view::npos && !isServiceLinkedRole(arn);
}

// One ARN's managed entries (`indexes`): marks the one to keep in diff->keep and reports the others.
void diffManaged(const std::vector<MapUsersEntry>& entries, const std::vector<size_t>& indexes,
                 const DesiredEntry* want, const RuleSet& rules, PrincipalKind kind, Diff* diff) {
  size_t kept = indexes.size();  // index into `indexes` of the entry we keep as it is.
  if (want) {
    const Rule& rule = rules.rules()[want->rule_index];
    for (size_t k = 0; k < indexes.size(); ++k) {
      const UserMapping& m = entries[indexes[k]].mapping;
      if (m.username == want->username && m.groups == rule.groups) {
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
      const Rule& rule = rules.rules()[want->rule_index];
      diff->changes.push_back(Change{Change::Kind::kUpdated, m.user_arn, want->username, rule.groups,
                                     want->rule_index, m.username, m.groups, kind});
      reported_update = true;
      continue;
    }
    diff->changes.push_back(
        Change{Change::Kind::kRemoved, m.user_arn, m.username, m.groups, std::nullopt, {}, {}, kind});
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

std::string_view arnAccount(std::string_view arn) {
  size_t start = 0;
  for (int field = 0; field < 4; ++field) {
    start = arn.find(':', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  const size_t end = arn.find(':', start);
  if (end == std::string_view::npos) return {};
  return arn.substr(start, end - start);
}

std::string roleArnWithoutPath(std::string_view arn) {
  const size_t slash = roleResourceStart(arn);
  if (slash == std::string_view::npos) return std::string(arn);
  const size_t last = arn.rfind('/');
  return std::string(arn.substr(0, slash + 1)) + std::string(arn.substr(last + 1));
}

bool isServiceLinkedRole(std::string_view arn) {
  const size_t slash = roleResourceStart(arn);
  return slash != std::string_view::npos && arn.substr(slash, 18) == "/aws-service-role/";
}

const KindSpec& kindSpec(PrincipalKind kind) {
  static const KindSpec users{PrincipalKind::kUser,    MapList::kMapUsers, kMapUsersKey,
                              kManagedUsersAnnotation, &sameArn,           &plausibleArn};
  static const KindSpec roles{PrincipalKind::kRole,    MapList::kMapRoles,  kMapRolesKey,
                              kManagedRolesAnnotation, &roleArnWithoutPath, &eligibleRole};
  return kind == PrincipalKind::kRole ? roles : users;
}

Result<OwnershipState> readOwnership(std::optional<std::string_view> record_text, std::string_view object_uid,
                                     const char* annotation) {
  if (!isValidObjectUid(object_uid)) {
    return makeError(ErrorKind::kInvalidArgument,
                     "aws-auth metadata.uid \"" + std::string(object_uid) + "\" is not a Kubernetes uid");
  }
  OwnershipState out;
  out.bound_uid = std::string(object_uid);
  if (!record_text) return out;
  auto parsed = parseOwnership(*record_text);
  if (!parsed.ok()) return withContext(parsed.error(), std::string("annotation ") + annotation);
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
  for (const PrincipalKind kind : {PrincipalKind::kUser, PrincipalKind::kRole}) {
    const KindSpec& spec = kindSpec(kind);
    auto entries =
        parseMapEntries(valueOf(current.data, spec.data_key).value_or(std::string_view()), spec.list);
    if (!entries.ok()) return withContext(entries.error(), std::string("data.") + spec.data_key);
    (kind == PrincipalKind::kRole ? out.roles : out.users).entries = std::move(entries.value());
  }
  if (const auto accounts_text = valueOf(current.data, kMapAccountsKey)) {
    if (auto accounts = parseMapAccounts(*accounts_text); !accounts.ok()) {
      return withContext(accounts.error(), "data.mapAccounts");
    }
  }
  for (const PrincipalKind kind : {PrincipalKind::kUser, PrincipalKind::kRole}) {
    const KindSpec& spec = kindSpec(kind);
    KindState& state = kind == PrincipalKind::kRole ? out.roles : out.users;
    state.record_text = valueOf(current.annotations, spec.annotation);
    auto ownership = readOwnership(state.record_text, object_uid, spec.annotation);
    if (!ownership.ok()) return ownership.error();
    state.ownership = std::move(ownership.value());
  }
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

std::vector<Candidate> candidates(const std::vector<Principal>& listed, const KindSpec& spec,
                                  const std::vector<std::string>& frozen_accounts) {
  std::vector<Candidate> out;
  out.reserve(listed.size());
  for (const Principal& p : listed) {
    if (!spec.eligible(p.arn) || inFrozenAccount(p.arn, frozen_accounts)) continue;
    out.push_back(Candidate{spec.written_arn(p.arn), &p});
  }
  const auto by_arn = [](const Candidate& a, const Candidate& b) { return a.arn < b.arn; };
  if (!std::is_sorted(out.begin(), out.end(), by_arn)) {
    std::stable_sort(out.begin(), out.end(), by_arn);  // often sorted already
  }
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Candidate& a, const Candidate& b) { return a.arn == b.arn; }),
            out.end());
  std::unordered_set<std::string> seen;
  seen.reserve(out.size());
  out.erase(std::remove_if(out.begin(), out.end(),
                           [&](const Candidate& c) { return !seen.insert(lowerArn(c.arn)).second; }),
            out.end());
  return out;
}

std::vector<std::string> distinctArns(const std::vector<std::string>& iam_user_arns) {
  std::vector<Principal> listed;
  listed.reserve(iam_user_arns.size());
  for (const std::string& arn : iam_user_arns) listed.push_back(Principal{arn, {}, {}});
  std::vector<std::string> out;
  for (Candidate& c : candidates(listed, kindSpec(PrincipalKind::kUser), {})) out.push_back(std::move(c.arn));
  return out;
}

DesiredEntries desiredEntries(const std::vector<Candidate>& candidates, const RuleSet& rules,
                              const std::unordered_set<std::string>& unmanaged_arns, PrincipalKind kind) {
  DesiredEntries out;
  out.by_arn.reserve(candidates.size());
  const bool can_shadow = rules.rules().size() > 1;
  for (const Candidate& c : candidates) {
    if (can_shadow) {
      // Every matching rule first: a principal no rule matches (most IAM users, usually) costs one pass.
      std::vector<size_t> hits = rules.matches(*c.principal);
      if (hits.empty()) continue;
      if (hits.size() > 1) {
        out.shadowed.push_back(
            ShadowedMatch{c.arn, hits.front(), std::vector<size_t>(hits.begin() + 1, hits.end()), kind});
      }
    }
    std::optional<RuleMatch> match = rules.match(*c.principal);
    if (!match) continue;
    if (unmanaged_arns.count(lowerArn(c.arn)) > 0) {
      out.skipped_unmanaged.push_back(c.arn);  // a hand-written entry wins
      continue;
    }
    if (!match->expansion_error.empty()) {
      out.expansion_failures.push_back(
          ExpansionFailure{kind, c.arn, match->rule_index, std::move(match->expansion_error)});
      continue;
    }
    out.by_arn.emplace(c.arn, DesiredEntry{match->rule_index, std::move(match->username)});
  }
  return out;
}

Diff diffEntries(const std::vector<MapUsersEntry>& entries, const Classification& classes,
                 const DesiredEntries& desired, const std::vector<Candidate>& candidates,
                 const RuleSet& rules, const std::vector<std::string>& frozen_accounts, PrincipalKind kind) {
  Diff diff;
  diff.keep.assign(entries.size(), false);
  for (const auto& [arn, indexes] : classes.managed_by_arn) {
    if (inFrozenAccount(arn, frozen_accounts)) {
      for (const size_t i : indexes) diff.keep[i] = true;  // frozen: exactly as it is, copies too
      continue;
    }
    const auto want = desired.by_arn.find(arn);
    diffManaged(entries, indexes, want == desired.by_arn.end() ? nullptr : &want->second, rules, kind, &diff);
  }
  std::sort(diff.changes.begin(), diff.changes.end(), changeLess);
  // Then the desired ARNs, in ARN order (candidates are sorted): kAdded if there is no managed entry at all
  // (merged into the sorted changes), to write if none is kept.
  const auto first_added = static_cast<std::ptrdiff_t>(diff.changes.size());
  for (const Candidate& c : candidates) {
    const auto want = desired.by_arn.find(c.arn);
    if (want == desired.by_arn.end()) continue;
    const auto managed = classes.managed_by_arn.find(c.arn);
    if (managed == classes.managed_by_arn.end()) {
      const Rule& rule = rules.rules()[want->second.rule_index];
      diff.changes.push_back(Change{Change::Kind::kAdded,
                                    c.arn,
                                    want->second.username,
                                    rule.groups,
                                    want->second.rule_index,
                                    {},
                                    {},
                                    kind});
    }
    const bool kept = managed != classes.managed_by_arn.end() &&
                      std::any_of(managed->second.begin(), managed->second.end(),
                                  [&](size_t i) { return static_cast<bool>(diff.keep[i]); });
    if (!kept) diff.to_write.push_back(NewEntry{c.arn, &want->second});
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
    const Rule& rule = rules.rules()[n.entry->rule_index];
    fingerprints.push_back(entryFingerprint(n.arn, n.entry->username, rule.groups));
  }
  return formatOwnership(bound_uid, std::move(fingerprints));
}

Result<std::string> renderEntries(const std::vector<MapUsersEntry>& entries, const Classification& classes,
                                  const Diff& diff, const RuleSet& rules, MapList list) {
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
    const Rule& rule = rules.rules()[n.entry->rule_index];
    items.push_back(MapUsersItem{UserMapping{std::string(n.arn), n.entry->username, rule.groups, {}}, {}});
  }
  std::inplace_merge(items.begin(), items.begin() + first_new, items.end(), by_arn);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!classes.is_managed[i]) items.push_back(MapUsersItem{entries[i].mapping, entries[i].node});
  }
  return emitMapEntries(items, list);
}

Status checkLimits(const ConfigMapContent& desired, size_t managed_count) {
  if (const size_t n = dataSize(desired.data); n > kMaxConfigMapDataBytes) {
    return makeError(ErrorKind::kTooLarge,
                     "aws-auth data would be " + std::to_string(n) + " bytes (" +
                         std::to_string(managed_count) +
                         " managed entries), over the 1 MiB (1048576 bytes) ConfigMap limit");
  }
  if (const size_t n = annotationsSize(desired.annotations); n > kMaxAnnotationsBytes) {
    return makeError(ErrorKind::kTooLarge, "aws-auth annotations would be " + std::to_string(n) +
                                               " bytes, over the 256 KiB (262144 bytes) limit");
  }
  return {};
}

}  // namespace aar::core::reconcile_steps
