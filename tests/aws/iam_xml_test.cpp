// Parsing IAM's XML: the documented fixtures (tests/data/aws-models/xml-fixtures) and malformed pages.
#include "aws/iam_xml.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aws/aws_error.hpp"

namespace aar::aws {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::filesystem::path(AAR_SOURCE_DIR) / "tests/data/aws-models/xml-fixtures" / name);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string usersPage(const std::string& members, const std::string& truncated, const std::string& marker) {
  return "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListUsersResult><Users>" +
         members + "</Users><IsTruncated>" + truncated + "</IsTruncated>" + marker +
         "</ListUsersResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></"
         "ListUsersResponse>";
}

TEST(IamXmlTest, ParsesTheDocumentedListUsersResponse) {
  std::vector<IamEntity> items;
  auto page = parseIamListPageInto(fixture("responses-iam-list-users.xml"), IamListKind::kUsers, items);
  ASSERT_TRUE(page.ok()) << page.error().toString();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].name, "Andrew");
  // The fixture's ARN spans a line break; it is kept verbatim, as botocore keeps it.
  EXPECT_EQ(items[0].arn,
            "arn:aws:iam::123456789012:user\n            /division_abc/subdivision_xyz/engineering/Andrew");
  EXPECT_EQ(items[1].name, "Jackie");
  EXPECT_FALSE(page->truncated);
  EXPECT_EQ(page->request_id, "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE");
}

TEST(IamXmlTest, ParsesTheDocumentedListRolesResponse) {
  std::vector<IamEntity> items;
  auto page = parseIamListPageInto(fixture("responses-iam-list-roles.xml"), IamListKind::kRoles, items);
  ASSERT_TRUE(page.ok()) << page.error().toString();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], (IamRole{"arn:aws:iam::123456789012:role/application_abc/component_xyz/S3Access",
                               "S3Access", "AROACVSVTSZYEXAMPLEYK", "/application_abc/component_xyz/"}));
}

TEST(IamXmlTest, ParsesAGetGroupPageIntoItsMemberUsers) {
  const std::string xml =
      "<GetGroupResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetGroupResult>"
      "<Group><Path>/</Path><GroupName>Admins</GroupName><GroupId>AGPAEXAMPLE</GroupId>"
      "<Arn>arn:aws:iam::123456789012:group/Admins</Arn><CreateDate>2012-05-09T15:45:35Z</CreateDate></Group>"
      "<Users><member><Path>/ops/</Path><UserName>alice</UserName><UserId>AIDAALICE</UserId>"
      "<Arn>arn:aws:iam::123456789012:user/ops/alice</Arn><CreateDate>2012-05-09T15:45:35Z</CreateDate>"
      "</member></Users><IsTruncated>true</IsTruncated><Marker>m2</Marker></GetGroupResult>"
      "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetGroupResponse>";
  std::vector<IamEntity> items;
  auto page = parseIamListPageInto(xml, IamListKind::kGroupMembers, items);
  ASSERT_TRUE(page.ok()) << page.error().toString();
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->marker, "m2");
  EXPECT_EQ(page->request_id, "r-1");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], (IamUser{"arn:aws:iam::123456789012:user/ops/alice", "alice", "AIDAALICE", "/ops/"}));
  // A ListUsers document is not a GetGroup answer.
  std::vector<IamEntity> none;
  EXPECT_FALSE(parseIamListPageInto(xml, IamListKind::kUsers, none).ok());
}

TEST(IamXmlTest, ReadsTheMarkerOfATruncatedPage) {
  std::vector<IamEntity> items;
  auto page = parseIamListPageInto(
      usersPage("<member><UserName>a</UserName><Arn>arn:aws:iam::1:user/a</Arn></member>", "true",
                "<Marker>abc</Marker>"),
      IamListKind::kUsers, items);
  ASSERT_TRUE(page.ok()) << page.error().toString();
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->marker, "abc");
}

TEST(IamXmlTest, AnEmptyListIsValid) {
  std::vector<IamEntity> items;
  auto page = parseIamListPageInto(usersPage("", "false", ""), IamListKind::kUsers, items);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(items.empty());
}

TEST(IamXmlTest, RejectsWhatItCannotTrust) {
  const std::string member = "<member><UserName>a</UserName><Arn>arn:aws:iam::1:user/a</Arn></member>";
  for (const std::string& bad : {
           std::string("not xml"), std::string("<ListRolesResponse/>"),
           usersPage(member, "true", ""),                                      // truncated without a marker
           usersPage(member, "maybe", ""),                                     // IsTruncated garbage
           usersPage(member, "", ""),                                          // IsTruncated missing
           usersPage("<member><UserName>a</UserName></member>", "false", ""),  // no Arn
           usersPage("<member><Arn>arn</Arn></member>", "false", ""),          // no UserName
           usersPage(member, "false", "").substr(0, 120),                      // cut short
       }) {
    std::vector<IamEntity> items;
    auto page = parseIamListPageInto(bad, IamListKind::kUsers, items);
    ASSERT_FALSE(page.ok()) << bad;
    EXPECT_EQ(page.error().kind, ErrorKind::kParse);
  }
}

TEST(IamXmlTest, LeavesTheOutputAloneOnError) {
  std::vector<IamEntity> out{{"arn:x", "x", "", ""}};
  auto page = parseIamListPageInto(
      usersPage(
          "<member><UserName>a</UserName><Arn>arn:a</Arn></member><member><UserName>b</UserName></member>",
          "false", ""),
      IamListKind::kUsers, out);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(out.size(), 1u);
}

TEST(IamXmlTest, ParsesTheDocumentedErrorResponse) {
  auto error = parseAwsErrorXml(fixture("errors-iam-get-user.xml"));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, "NoSuchEntity");
  EXPECT_EQ(error->type, "Sender");
  EXPECT_EQ(error->message, "The user with name foobar cannot be found.");
  EXPECT_EQ(error->request_id, "358299bb-b7f8-11e2-8d39-e3a125f625ee");
  EXPECT_FALSE(parseAwsErrorXml("<html>503</html>").has_value());
}

TEST(IamXmlTest, MapsAwsErrorsToErrorKinds) {
  EXPECT_EQ(toError({400, "Throttling", "Rate exceeded", "r", "Sender"}, "IAM", "ListUsers").kind,
            ErrorKind::kTooManyRequests);
  EXPECT_EQ(toError({403, "SignatureDoesNotMatch", "", "", ""}, "IAM", "ListUsers").kind,
            ErrorKind::kForbidden);
  EXPECT_EQ(toError({503, "ServiceUnavailable", "", "", ""}, "IAM", "ListUsers").kind, ErrorKind::kServer);
  EXPECT_EQ(toError({400, "ValidationError", "", "", ""}, "IAM", "ListUsers").kind,
            ErrorKind::kInvalidArgument);
  Error e = toError({404, "NoSuchEntity", "gone", "req-9", "Sender"}, "IAM", "GetUser");
  EXPECT_EQ(e.kind, ErrorKind::kNotFound);
  EXPECT_EQ(e.message, "IAM GetUser: HTTP 404 NoSuchEntity: gone (request id req-9)");
}

}  // namespace
}  // namespace aar::aws
