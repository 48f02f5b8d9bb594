#include "core/aws_auth_codec.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "core/libyaml_emitter.hpp"
#include "core/libyaml_tree.hpp"
#include "core/yaml_util.hpp"

namespace aar::core {
namespace {

constexpr char kUserArn[] = "userarn";
constexpr char kRoleArn[] = "rolearn";
constexpr char kUsername[] = "username";
constexpr char kGroups[] = "groups";
constexpr char kUserId[] = "userid";

Error parseError(std::string_view what, std::string message) {
  return makeError(ErrorKind::kParse, std::string(what) + ": " + std::move(message));
}

std::string at(size_t index, int line) {
  std::string s = "entry " + std::to_string(index);
  if (line > 0) s += " (line " + std::to_string(line) + ")";
  return s;
}

// aws-iam-authenticator reads mapUsers and mapRoles with sigs.k8s.io/yaml: YAML -> a Go map -> JSON (object
// keys sorted by bytes) -> encoding/json into its UserMapping / RoleMapping structs. encoding/json matches an
// object key to a field case-insensitively, so `UserArn`, `USERARN` and `uSeRaRn` all set UserARN, and a
// later key overwrites an earlier one: of several spellings in one entry the greatest in byte order wins (the
// exact lower-case name, when present, since lower-case letters sort last). A null value leaves a string
// field as it was and empties groups. So we read fields the same way, or a hand-written `UserArn:` entry
// would look to us like one without an ARN.
//
// True if `key` names the lower-case ASCII field `field` under encoding/json's case folding: ASCII letters
// fold, and so do the two non-ASCII runes that fold to ASCII letters, U+017F (long s) and U+212A (Kelvin).
bool foldsTo(std::string_view key, std::string_view field) {
  size_t i = 0;
  for (const char want : field) {
    if (i >= key.size()) return false;
    const auto c = static_cast<unsigned char>(key[i]);
    if (c < 0x80) {
      if (std::tolower(c) != want) return false;
      ++i;
    } else if (want == 's' && key.substr(i, 2) == "\xC5\xBF") {
      i += 2;
    } else if (want == 'k' && key.substr(i, 3) == "\xE2\x84\xAA") {
      i += 3;
    } else {
      return false;
    }
  }
  return i == key.size();
}

// The values of every key of `entry` that names `field`, in the order encoding/json applies them (keys sorted
// by bytes; one key twice keeps its document order, the later one wins as in go-yaml).
std::vector<const yaml::TreeNode*> fieldValues(const yaml::TreeNode& entry, std::string_view field) {
  std::vector<std::pair<std::string_view, const yaml::TreeNode*>> found;
  for (size_t i = 0; i + 1 < entry.children.size(); i += 2) {
    const yaml::TreeNode& key = entry.children[i];
    if (key.isScalar() && foldsTo(key.value, field)) found.emplace_back(key.value, &entry.children[i + 1]);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const yaml::TreeNode*> out;
  out.reserve(found.size());
  for (const auto& f : found) out.push_back(f.second);
  return out;
}

// Reads a string field: the last non-null value of any of its spellings; absent or null is empty (`*present`
// false). A map or a list is an error (aws-iam-authenticator cannot read the value then).
std::string readScalar(const yaml::TreeNode& entry, const char* key, std::string* out,
                       bool* present = nullptr) {
  if (present) *present = false;
  for (const yaml::TreeNode* value : fieldValues(entry, key)) {
    if (value->kind == yaml::TreeNode::Kind::kNull) continue;
    if (!value->isScalar()) return std::string(key) + " must be a string";
    *out = value->value;
    if (present) *present = true;
  }
  return {};
}

std::string readGroups(const yaml::TreeNode& entry, std::vector<std::string>* out) {
  for (const yaml::TreeNode* groups : fieldValues(entry, kGroups)) {
    out->clear();
    if (groups->kind == yaml::TreeNode::Kind::kNull) continue;
    if (groups->kind != yaml::TreeNode::Kind::kSequence) return "groups must be a list of strings";
    out->reserve(groups->children.size());
    for (const auto& g : groups->children) {
      if (!g.isScalar()) return "groups must be a list of strings";
      out->push_back(g.value);
    }
  }
  return {};
}

// A key that is a map or a list: sigs.k8s.io/yaml cannot turn it into JSON, so aws-iam-authenticator reads
// nothing of the whole value.
bool hasComplexKey(const yaml::TreeNode& entry) {
  for (size_t i = 0; i + 1 < entry.children.size(); i += 2) {
    const yaml::TreeNode::Kind k = entry.children[i].kind;
    if (k == yaml::TreeNode::Kind::kMap || k == yaml::TreeNode::Kind::kSequence) return true;
  }
  return false;
}

const char* arnKey(MapList list) { return list == MapList::kMapRoles ? kRoleArn : kUserArn; }
const char* listName(MapList list) { return list == MapList::kMapRoles ? "mapRoles" : "mapUsers"; }

// The shape we write: keys userarn (rolearn in mapRoles), username (both required) and groups (optional),
// each once, all strings.
bool isCanonical(const yaml::TreeNode& entry, const char* arn_key) {
  if (!entry.isMap()) return false;
  bool has_arn = false, has_username = false, has_groups = false;
  for (size_t i = 0; i + 1 < entry.children.size(); i += 2) {
    const yaml::TreeNode& key = entry.children[i];
    const yaml::TreeNode& value = entry.children[i + 1];
    if (!key.isScalar() || key.tag != "?") return false;
    if (key.value == arn_key || key.value == kUsername) {
      bool& seen = key.value == arn_key ? has_arn : has_username;
      if (seen || !yaml::isStringScalar(value)) return false;
      seen = true;
    } else if (key.value == kGroups) {
      if (has_groups || value.kind != yaml::TreeNode::Kind::kSequence) return false;
      for (const auto& g : value.children) {
        if (!yaml::isStringScalar(g)) return false;
      }
      has_groups = true;
    } else {
      return false;
    }
  }
  return has_arn && has_username;
}

void emitCanonical(yaml::LibyamlEmitter& out, const UserMapping& m, const char* arn_key) {
  out.beginMap();
  out.string(arn_key);
  out.string(m.user_arn);
  out.string(kUsername);
  out.string(m.username);
  if (!m.groups.empty()) {
    out.string(kGroups);
    out.beginSequence();
    for (const auto& g : m.groups) out.string(g);
    out.endSequence();
  }
  if (m.user_id) {
    out.string(kUserId);
    out.string(*m.user_id);
  }
  out.endMap();
}

Error mismatch(std::string_view what, const std::string& detail) {
  return makeError(ErrorKind::kInternal,
                   std::string(what) + ": emitted YAML does not read back as intended (" + detail + ")");
}

// The parse-back check of emitMapUsers: reads `text` event by event (no tree for the canonical entries, which
// are nearly all of a large value) and compares it with the items. An original entry must read back as the
// same node; one of ours as exactly the map userarn, username[, groups][, userid] of string scalars.
class MapUsersCheck {
 public:
  MapUsersCheck(std::string_view text, const char* arn_key) : reader_(text), arn_key_(arn_key) {}

  Status run(const std::vector<MapUsersItem>& items) {
    if (Status s = expect(Kind::kStreamStart, "stream start"); !s.ok()) return s;
    if (Status s = expect(Kind::kDocumentStart, "a document"); !s.ok()) return s;
    if (Status s = expect(Kind::kSequenceStart, "a list"); !s.ok()) return s;
    for (size_t i = 0; i < items.size(); ++i) {
      if (Status s = reader_.next(); !s.ok()) return s;
      if (reader_.kind() == Kind::kSequenceEnd) {
        return fail(std::to_string(i) + " entries instead of " + std::to_string(items.size()));
      }
      const bool same =
          items[i].original ? sameAsOriginal(*items[i].original) : sameAsCanonical(items[i].mapping);
      if (!same) return fail("entry " + std::to_string(i));
    }
    if (Status s = expect(Kind::kSequenceEnd, "the end of the list"); !s.ok()) return s;
    if (Status s = expect(Kind::kDocumentEnd, "the end of the document"); !s.ok()) return s;
    return expect(Kind::kStreamEnd, "the end of the stream");
  }

 private:
  using Kind = yaml::EventReader::Kind;

  static Error fail(std::string what) { return makeError(ErrorKind::kInternal, std::move(what)); }

  Status expect(Kind kind, const char* what) {
    if (Status s = reader_.next(); !s.ok()) return s;
    if (reader_.kind() != kind)
      return fail(std::string("expected ") + what + " at line " + std::to_string(reader_.line()));
    return {};
  }

  bool sameAsOriginal(const YAML::Node& original) {
    auto node = reader_.readNode();
    return node.ok() && yaml::sameNode(yaml::toYamlCpp(*node), original);
  }

  // Advances to the next event and checks it is a string scalar with exactly this text.
  bool nextString(std::string_view want) {
    return reader_.next().ok() && reader_.kind() == Kind::kScalar && reader_.scalarIsString() &&
           reader_.scalar() == want;
  }

  bool nextIs(Kind kind) { return reader_.next().ok() && reader_.kind() == kind; }

  bool sameAsCanonical(const UserMapping& m) {
    if (reader_.kind() != Kind::kMapStart) return false;
    if (!nextString(arn_key_) || !nextString(m.user_arn)) return false;
    if (!nextString(kUsername) || !nextString(m.username)) return false;
    if (!m.groups.empty()) {
      if (!nextString(kGroups) || !nextIs(Kind::kSequenceStart)) return false;
      for (const auto& g : m.groups) {
        if (!nextString(g)) return false;
      }
      if (!nextIs(Kind::kSequenceEnd)) return false;
    }
    if (m.user_id && (!nextString(kUserId) || !nextString(*m.user_id))) return false;
    return nextIs(Kind::kMapEnd);
  }

  yaml::EventReader reader_;
  const char* arn_key_;
};

}  // namespace

Result<std::vector<MapUsersEntry>> parseMapUsers(std::string_view text) {
  return parseMapEntries(text, MapList::kMapUsers);
}

Result<std::vector<MapUsersEntry>> parseMapEntries(std::string_view text, MapList list) {
  const std::string_view kWhat = listName(list);
  const char* const arn_key = arnKey(list);
  using Kind = yaml::EventReader::Kind;
  // Text that readers would take two ways is not read at all (found by fuzzing: `userarn: arn:...:user/M<CR>`
  // was `.../M` to libyaml and go-yaml, `.../M<CR>` to yaml-cpp).
  if (std::string_view b = yaml::ambiguousLineBreak(text); !b.empty()) {
    return parseError(kWhat, "holds " + std::string(b) +
                                 ", a line break YAML readers disagree on; write it as a line feed");
  }
  // libyaml, not yaml-cpp: this is the hot path (10,000 entries: ~25 ms instead of ~200 ms). Read one entry's
  // tree at a time: a tree of the whole value took ~11 MB for 10,000 entries, the entries themselves ~3 MB.
  yaml::EventReader reader(text);
  auto next = [&]() -> Status {
    if (Status s = reader.next(); !s.ok()) return parseError(kWhat, s.error().message);
    return {};
  };
  std::vector<MapUsersEntry> entries;
  if (Status s = next(); !s.ok()) return s.error();  // stream start
  if (Status s = next(); !s.ok()) return s.error();
  if (reader.kind() == Kind::kStreamEnd) return entries;  // empty text
  if (Status s = next(); !s.ok()) return s.error();       // the document's root
  if (reader.kind() != Kind::kSequenceStart) {
    auto root = reader.readNode();
    if (!root.ok()) return parseError(kWhat, root.error().message);
    if (root->kind != yaml::TreeNode::Kind::kNull) {
      return parseError(kWhat, std::string("must be a YAML list of {") + arn_key + ", username, groups}");
    }
  } else {
    for (size_t i = 0;; ++i) {
      if (Status s = next(); !s.ok()) return s.error();
      if (reader.kind() == Kind::kSequenceEnd) break;
      auto item = reader.readNode();
      if (!item.ok()) return parseError(kWhat, item.error().message);
      const yaml::TreeNode& node = *item;
      MapUsersEntry entry;
      entry.line = node.line;
      if (node.kind == yaml::TreeNode::Kind::kNull) {
        entry.node = std::make_shared<const YAML::Node>(YAML::NodeType::Null);
        entries.push_back(std::move(entry));
        continue;
      }
      if (!node.isMap()) return parseError(kWhat, at(i, node.line) + ": must be a map");
      if (hasComplexKey(node)) {
        return parseError(
            kWhat, at(i, node.line) + ": a key is a map or a list (aws-iam-authenticator cannot read that)");
      }
      std::string problem = readScalar(node, arn_key, &entry.mapping.user_arn, &entry.has_user_arn);
      if (problem.empty()) problem = readScalar(node, kUsername, &entry.mapping.username);
      if (problem.empty()) problem = readGroups(node, &entry.mapping.groups);
      if (problem.empty() && list == MapList::kMapUsers) {  // userid is not a mapRoles field
        std::string id;
        bool has_id = false;
        problem = readScalar(node, kUserId, &id, &has_id);
        if (has_id) entry.mapping.user_id = std::move(id);
      }
      if (!problem.empty()) return parseError(kWhat, at(i, node.line) + ": " + problem);
      entry.canonical = isCanonical(node, arn_key);
      // A canonical entry is fully described by its mapping; only the others need their node to be carried
      // over.
      if (!entry.canonical) entry.node = std::make_shared<const YAML::Node>(yaml::toYamlCpp(node));
      entries.push_back(std::move(entry));
    }
  }
  // The end of the document, and no second one.
  for (;;) {
    if (Status s = next(); !s.ok()) return s.error();
    if (reader.kind() == Kind::kStreamEnd) break;
    if (reader.kind() == Kind::kDocumentStart) return parseError(kWhat, "more than one YAML document");
  }
  return entries;
}

Result<std::vector<RoleMapping>> parseMapRoles(std::string_view text) {
  auto entries = parseMapEntries(text, MapList::kMapRoles);
  if (!entries.ok()) return entries.error();
  std::vector<RoleMapping> roles;
  roles.reserve(entries->size());
  for (MapUsersEntry& e : *entries) {
    roles.push_back(RoleMapping{std::move(e.mapping.user_arn), std::move(e.mapping.username),
                                std::move(e.mapping.groups)});
  }
  return roles;
}

Result<std::vector<std::string>> parseMapAccounts(std::string_view text) {
  constexpr std::string_view kWhat = "mapAccounts";
  auto root = yaml::parseTree(text);
  if (!root.ok()) return parseError(kWhat, root.error().message);
  std::vector<std::string> accounts;
  if (root->kind == yaml::TreeNode::Kind::kNull) return accounts;
  if (root->kind != yaml::TreeNode::Kind::kSequence)
    return parseError(kWhat, "must be a YAML list of account IDs");
  for (size_t i = 0; i < root->children.size(); ++i) {
    const yaml::TreeNode& node = root->children[i];
    if (!node.isScalar()) return parseError(kWhat, at(i, node.line) + ": must be an account ID");
    accounts.push_back(node.value);
  }
  return accounts;
}

Result<std::string> emitMapUsers(const std::vector<MapUsersItem>& items) {
  return emitMapEntries(items, MapList::kMapUsers);
}

Result<std::string> emitMapEntries(const std::vector<MapUsersItem>& items, MapList list) {
  const std::string_view kWhat = listName(list);
  const char* const arn_key = arnKey(list);
  // libyaml, not yaml-cpp: this is the hot path (10,000 entries: ~100 ms with yaml-cpp's emitter).
  yaml::LibyamlEmitter out;
  out.beginSequence();
  for (const auto& item : items) {
    if (item.original) {
      out.node(*item.original);
    } else {
      emitCanonical(out, item.mapping, arn_key);
    }
  }
  out.endSequence();
  auto text = out.finish();
  if (!text.ok()) return makeError(ErrorKind::kInternal, std::string(kWhat) + ": " + text.error().message);

  if (Status check = MapUsersCheck(*text, arn_key).run(items); !check.ok()) {
    return mismatch(kWhat, check.error().message);
  }
  return text;
}

}  // namespace aar::core
