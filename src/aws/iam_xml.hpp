// Parsing of IAM's ListUsers / ListRoles / GetGroup XML responses (Query protocol, API version 2010-05-08).
//
// Shapes from the IAM API model: <ListUsersResponse><ListUsersResult><Users><member><Path/><UserName/>
// <UserId/><Arn/><CreateDate/></member>...</Users><IsTruncated/><Marker/></ListUsersResult>
// <ResponseMetadata><RequestId/></ResponseMetadata></ListUsersResponse>, and the same for roles with
// Roles/RoleName/RoleId; GetGroup is <GetGroupResponse><GetGroupResult><Group/><Users><member>...</member>
// </Users><IsTruncated/><Marker/></GetGroupResult>...</GetGroupResponse> with the group's member users.
// Only what the controller needs is kept (ARN, name, id, path), so 10k users stay small.
//
// Strict: a document of another shape, a member without Arn or name, an IsTruncated that is neither "true"
// nor "false", or a truncated page without a Marker is a kParse error (a missing id or path is not: the
// controller does not need them to match) — never a shorter list. Thread-safety:
// pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace aar::aws {

// A user or a role, as the controller needs it.
struct IamEntity {
  std::string arn;   // as IAM returns it: a role's ARN includes its path
  std::string name;  // UserName or RoleName
  std::string id;    // UserId ("AIDA...") or RoleId ("AROA...")
  std::string path;  // "/" or "/a/b/"
  bool operator==(const IamEntity&) const = default;
};
using IamUser = IamEntity;
using IamRole = IamEntity;

// kGroupMembers: the users of one GetGroup page.
enum class IamListKind { kUsers, kRoles, kGroupMembers };

struct IamListPage {
  bool truncated = false;
  std::string marker;  // non-empty when truncated
  std::string request_id;
};

// Parses one page, appending its entities to `out` (so a listing builds one vector without copying pages).
// On error `out` is left as it was.
Result<IamListPage> parseIamListPageInto(std::string_view xml, IamListKind kind, std::vector<IamEntity>& out);

}  // namespace aar::aws
