// The aws-auth codec: the mapUsers, mapRoles and mapAccounts values of kube-system/aws-auth, read the way
// aws-iam-authenticator reads them (its structs: userarn / rolearn, username, groups, optional userid;
// unknown fields ignored; field names matched case-insensitively as encoding/json does, the greatest
// spelling in byte order winning, so `UserArn:` and the exact `userarn:` both name the ARN). mapUsers and
// mapRoles are read and written by the same code (MapList says which ARN key: userarn or rolearn);
// mapAccounts is only read, to refuse a broken aws-auth, and carried over as text. Writing uses libyaml's
// emitter, never string concatenation.
//
// Reading keeps each mapUsers / mapRoles entry's original YAML node, so an entry we did not write can be
// re-emitted with every field it had (including ones aws-iam-authenticator ignores) and every value typed as
// it was. Comments and layout are not kept.
//
// Writing: block style (lists inside maps not indented), keys in the order userarn (rolearn), username,
// groups; strings
// that a YAML 1.1 reader could take for a number, a boolean or a null are double-quoted; every output is
// parsed back and compared with what was meant to be written (kInternal if it differs), so a caller never
// gets YAML that reads as something else.
//
// Thread-safety: pure functions; MapUsersEntry values share immutable nodes and may be copied across threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace YAML {
class Node;
}

namespace aar::core {

// Which list of aws-auth a value is: mapUsers (ARN key userarn; userid read) or mapRoles (ARN key rolearn;
// userid is not a mapRoles field, so it is an unknown key there).
enum class MapList { kMapUsers, kMapRoles };

// One entry of mapUsers, or of mapRoles (then user_arn holds the rolearn and user_id is never set).
struct UserMapping {
  std::string user_arn;
  std::string username;
  std::vector<std::string> groups;
  std::optional<std::string> user_id;

  bool operator==(const UserMapping&) const = default;
};

struct RoleMapping {
  std::string role_arn;
  std::string username;
  std::vector<std::string> groups;

  bool operator==(const RoleMapping&) const = default;
};

// One mapUsers entry as read.
struct MapUsersEntry {
  UserMapping mapping;        // what aws-iam-authenticator reads (absent fields are empty).
  bool has_user_arn = false;  // userarn (any spelling) present and a scalar, not null.
  // True if the entry has exactly the keys we write (userarn, username, optionally groups), all strings, so
  // it can be one that aws-auth-refresher wrote.
  bool canonical = false;
  int line = 0;  // 1-based line in the parsed value.
  // The original entry, to carry it over with every field. Null for a canonical entry: `mapping` says all of
  // it.
  std::shared_ptr<const YAML::Node> node;
};

// Parses a mapUsers value. Empty text or null means no entries. Errors (kParse, message with the entry index
// and line): YAML syntax, top level not a list, an entry not a map, a key that is a map or a list,
// userarn/username/userid (any spelling) a map or a list, groups not a list of scalars — the cases where
// aws-iam-authenticator itself cannot read the value — and a line break other than LF or CRLF (a lone CR,
// NEL, LS, PS), which YAML readers disagree on. `canonical` stays strict: exactly the lower-case keys
// we write.
Result<std::vector<MapUsersEntry>> parseMapUsers(std::string_view yaml);
// The same for either list (parseMapUsers is parseMapEntries(yaml, MapList::kMapUsers)); for kMapRoles the
// ARN is read from rolearn (any spelling) and `canonical` means exactly rolearn, username[, groups].
Result<std::vector<MapUsersEntry>> parseMapEntries(std::string_view yaml, MapList list);
// mapRoles as aws-iam-authenticator's RoleMapping (parseMapEntries(yaml, kMapRoles) without the nodes).
Result<std::vector<RoleMapping>> parseMapRoles(std::string_view yaml);
Result<std::vector<std::string>> parseMapAccounts(std::string_view yaml);

// What to write for one mapUsers entry: either an original entry carried over (original != null: emitted from
// the node, meaning kept) or a mapping we own (emitted canonically: userarn, username, then groups if not
// empty).
struct MapUsersItem {
  UserMapping mapping;
  std::shared_ptr<const YAML::Node> original;
};

// Emits the items in the order given (callers sort), then parses the text back and checks it against the
// items. An empty list is "[]". Errors: kInternal if the output does not read back as intended.
Result<std::string> emitMapUsers(const std::vector<MapUsersItem>& items);
// The same for either list: for kMapRoles our entries are emitted as rolearn, username[, groups] (an item's
// user_id must be unset). Usernames holding aws-iam-authenticator templates ({{SessionName}}) are quoted.
Result<std::string> emitMapEntries(const std::vector<MapUsersItem>& items, MapList list);

}  // namespace aar::core
