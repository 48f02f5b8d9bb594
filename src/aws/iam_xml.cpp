#include "aws/iam_xml.hpp"

#include <pugixml.hpp>

namespace aar::aws {
namespace {

struct Names {
  const char* response;
  const char* result;
  const char* list;
  const char* name;
  const char* id;
};

constexpr Names kUsers{"ListUsersResponse", "ListUsersResult", "Users", "UserName", "UserId"};
constexpr Names kRoles{"ListRolesResponse", "ListRolesResult", "Roles", "RoleName", "RoleId"};
constexpr Names kGroupMembers{"GetGroupResponse", "GetGroupResult", "Users", "UserName", "UserId"};

const Names& namesFor(IamListKind kind) {
  switch (kind) {
    case IamListKind::kUsers:
      return kUsers;
    case IamListKind::kRoles:
      return kRoles;
    case IamListKind::kGroupMembers:
      return kGroupMembers;
  }
  return kUsers;
}

Error parseError(const Names& n, std::string what) {
  return makeError(ErrorKind::kParse, std::string("IAM ") + n.response + ": " + std::move(what));
}

}  // namespace

Result<IamListPage> parseIamListPageInto(std::string_view xml, IamListKind kind,
                                         std::vector<IamEntity>& out) {
  const Names& n = namesFor(kind);
  pugi::xml_document doc;
  pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) return parseError(n, std::string("malformed XML: ") + parsed.description());
  pugi::xml_node root = doc.child(n.response);
  if (!root) return parseError(n, "unexpected document element");
  pugi::xml_node result = root.child(n.result);
  if (!result) return parseError(n, std::string("missing ") + n.result);

  IamListPage page;
  page.request_id = root.child("ResponseMetadata").child_value("RequestId");
  std::string_view truncated = result.child_value("IsTruncated");
  if (truncated == "true") {
    page.truncated = true;
  } else if (truncated != "false") {
    return parseError(n, "IsTruncated is neither true nor false");
  }
  page.marker = result.child_value("Marker");
  if (page.truncated && page.marker.empty()) return parseError(n, "truncated page without a Marker");

  pugi::xml_node list = result.child(n.list);
  if (!list) return parseError(n, std::string("missing ") + n.list);
  const size_t before = out.size();
  size_t index = 0;
  for (pugi::xml_node member = list.child("member"); member;
       member = member.next_sibling("member"), ++index) {
    IamEntity e{member.child_value("Arn"), member.child_value(n.name), member.child_value(n.id),
                member.child_value("Path")};
    if (e.arn.empty() || e.name.empty()) {
      out.resize(before);
      return parseError(n, "member " + std::to_string(index) + " lacks Arn or " + n.name);
    }
    out.push_back(std::move(e));
  }
  return page;
}

}  // namespace aar::aws
