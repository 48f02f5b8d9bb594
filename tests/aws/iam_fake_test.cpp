// FakeIam's own wire behaviour, driven with a bare HTTP client (cpp-httplib) and the signer, so what it sends
// can be compared with IAM's documented shapes.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <pugixml.hpp>
#include <thread>

#include "aws/aws_error.hpp"
#include "aws/iam_xml.hpp"
#include "aws/sigv4.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "net/url_encode.hpp"

namespace aar::fakes {
namespace {

constexpr char kAkid[] = "AKIAFAKETEST00000001";
constexpr char kSecret[] = "fake/test/secret000000000000000000000000";
constexpr char kContentType[] = "application/x-www-form-urlencoded; charset=utf-8";

class IamFakeTest : public testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(fake_.start(), 0);
    fake_.allowCredentials(kAkid, kSecret);
  }

  httplib::Result post(const std::string& body, bool sign = true) {
    httplib::Client client("127.0.0.1", fake_.port());
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    httplib::Headers headers;
    if (sign) {
      aws::sigv4::Request r{
          "POST",
          "/",
          "",
          {{"Host", "127.0.0.1:" + std::to_string(fake_.port())}, {"Content-Type", kContentType}},
          body};
      aws::Credentials creds{kAkid, kSecret, "", std::nullopt, "test"};
      for (auto& [k, v] :
           aws::sigv4::sign(r, creds, {"us-east-1", "iam", std::chrono::system_clock::now()})) {
        headers.emplace(k, v);
      }
    }
    return client.Post("/", headers, body, kContentType);
  }

  FakeIam fake_;
};

TEST_F(IamFakeTest, AnswersInIamsNamespaceAndShape) {
  fake_.addUser("alice", "/eng/");
  auto res = post("Action=ListUsers&Version=2010-05-08");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/xml");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(res->body.c_str()));
  auto root = doc.child("ListUsersResponse");
  EXPECT_STREQ(root.attribute("xmlns").value(), "https://iam.amazonaws.com/doc/2010-05-08/");
  auto member = root.child("ListUsersResult").child("Users").child("member");
  EXPECT_STREQ(member.child_value("Path"), "/eng/");
  EXPECT_STREQ(member.child_value("UserName"), "alice");
  EXPECT_STREQ(member.child_value("Arn"), "arn:aws:iam::123456789012:user/eng/alice");
  EXPECT_EQ(std::string(member.child_value("UserId")).rfind("AIDA", 0), 0u);
  EXPECT_STREQ(member.child_value("CreateDate"), "2019-06-01T12:00:00Z");
  EXPECT_STREQ(root.child("ListUsersResult").child_value("IsTruncated"), "false");
  EXPECT_FALSE(std::string(root.child("ResponseMetadata").child_value("RequestId")).empty());
  EXPECT_EQ(res->get_header_value("x-amzn-RequestId"),
            root.child("ResponseMetadata").child_value("RequestId"));
}

TEST_F(IamFakeTest, RefusesAnUnsignedRequestWithIamsErrorDocument) {
  auto res = post("Action=ListUsers&Version=2010-05-08", false);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  auto error = aws::parseAwsErrorXml(res->body);
  ASSERT_TRUE(error.has_value()) << res->body;
  EXPECT_EQ(error->code, "MissingAuthenticationToken");
  EXPECT_EQ(error->type, "Sender");
  EXPECT_FALSE(error->request_id.empty());
}

TEST_F(IamFakeTest, RejectsABodyChangedAfterSigning) {
  httplib::Client client("127.0.0.1", fake_.port());
  const std::string body = "Action=ListUsers&Version=2010-05-08";
  aws::sigv4::Request r{
      "POST",
      "/",
      "",
      {{"Host", "127.0.0.1:" + std::to_string(fake_.port())}, {"Content-Type", kContentType}},
      body};
  httplib::Headers headers;
  for (auto& [k, v] : aws::sigv4::sign(r, {kAkid, kSecret, "", std::nullopt, "t"},
                                       {"us-east-1", "iam", std::chrono::system_clock::now()})) {
    headers.emplace(k, v);
  }
  auto res = client.Post("/", headers, body + "&MaxItems=1", kContentType);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(aws::parseAwsErrorXml(res->body)->code, "SignatureDoesNotMatch");
}

TEST_F(IamFakeTest, ValidatesActionVersionMaxItemsAndMarker) {
  struct Case {
    std::string body;
    int status;
    std::string code;
  };
  for (const Case& c : std::vector<Case>{
           {"Version=2010-05-08", 400, "MissingAction"},
           {"Action=GetUser&Version=2010-05-08", 400, "InvalidAction"},
           {"Action=ListUsers&Version=2011-01-01", 400, "InvalidParameterValue"},
           {"Action=ListUsers&Version=2010-05-08&MaxItems=0", 400, "ValidationError"},
           {"Action=ListUsers&Version=2010-05-08&MaxItems=1001", 400, "ValidationError"},
           {"Action=ListUsers&Version=2010-05-08&Marker=bogus", 400, "ValidationError"},
       }) {
    auto res = post(c.body);
    ASSERT_TRUE(res) << c.body;
    EXPECT_EQ(res->status, c.status) << c.body;
    auto error = aws::parseAwsErrorXml(res->body);
    ASSERT_TRUE(error.has_value()) << c.body;
    EXPECT_EQ(error->code, c.code) << c.body;
  }
}

TEST_F(IamFakeTest, DefaultsToOneHundredItemsLikeIam) {
  fake_.addUsers(150, "d");
  auto res = post("Action=ListUsers&Version=2010-05-08");
  ASSERT_TRUE(res);
  std::vector<aws::IamEntity> items;
  auto page = aws::parseIamListPageInto(res->body, aws::IamListKind::kUsers, items);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(items.size(), 100u);
  EXPECT_TRUE(page->truncated);
}

TEST_F(IamFakeTest, ListingStaysConsistentWhileUsersChange) {
  fake_.addUsers(300, "c");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 200 && !stop; ++i) {
      fake_.addUser("zz-" + std::to_string(i));
      fake_.removeUser("zz-" + std::to_string(i));
    }
  });
  std::string marker;
  size_t seen = 0;
  for (int i = 0; i < 20; ++i) {
    auto res = post("Action=ListUsers&Version=2010-05-08&MaxItems=100" +
                    (marker.empty() ? "" : "&Marker=" + net::urlEncode(marker)));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    std::vector<aws::IamEntity> items;
    auto page = aws::parseIamListPageInto(res->body, aws::IamListKind::kUsers, items);
    ASSERT_TRUE(page.ok());
    for (const auto& u : items) seen += u.name[0] == 'c' ? 1 : 0;
    if (!page->truncated) break;
    marker = page->marker;
  }
  stop = true;
  writer.join();
  EXPECT_EQ(seen, 300u);
  EXPECT_EQ(fake_.userCount(), 300u);
}

TEST_F(IamFakeTest, StartReturnsTheSamePortWhenCalledTwice) {
  int port = fake_.port();
  EXPECT_EQ(fake_.start(), port);
  EXPECT_EQ(fake_.url(), "http://127.0.0.1:" + std::to_string(port));
}

}  // namespace
}  // namespace aar::fakes
