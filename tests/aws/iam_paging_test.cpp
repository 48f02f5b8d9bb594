// IamClient paging bounds against a scripted IAM on 127.0.0.1: a Marker that repeats anywhere in a listing
// and a listing that never ends both fail the whole listing after a bounded number of requests.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials_test_support.hpp"
#include "aws/iam_client.hpp"
#include "fakes/aws/fake_issued_credentials.hpp"

namespace aar::aws {
namespace {

using testing::FixedCredentials;

// One ListUsers page holding one user, truncated with `marker` (or the last page when marker is empty).
std::string page(int n, const std::string& marker) {
  std::string body =
      "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListUsersResult><Users>"
      "<member><UserName>u" +
      std::to_string(n) + "</UserName><Arn>arn:aws:iam::123456789012:user/u" + std::to_string(n) +
      "</Arn></member></Users>";
  body += marker.empty() ? "<IsTruncated>false</IsTruncated>"
                         : "<IsTruncated>true</IsTruncated><Marker>" + marker + "</Marker>";
  body += "</ListUsersResult><ResponseMetadata><RequestId>req-" + std::to_string(n) +
          "</RequestId></ResponseMetadata></ListUsersResponse>";
  return body;
}

// Serves page i (0-based) with markers_[i]; past the script's end, a fresh Marker for ever.
class ScriptedIam {
 public:
  explicit ScriptedIam(std::vector<std::string> markers) : markers_(std::move(markers)) {
    server_.server().Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      const size_t i = sent_.size();
      sent_.push_back(req.has_param("Marker") ? req.get_param_value("Marker") : "");
      const std::string marker = i < markers_.size() ? markers_[i] : "fresh-" + std::to_string(i);
      res.set_content(page(static_cast<int>(i), marker), "text/xml");
    });
  }
  int start() { return server_.start(); }
  std::string url() const { return server_.url(); }
  std::vector<std::string> sent() {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }

 private:
  std::vector<std::string> markers_;
  std::mutex mu_;
  std::vector<std::string> sent_;  // the Marker of each request, "" on the first
  fakes::ServerThread server_;
};

IamClientOptions options(const std::string& url) {
  IamClientOptions o;
  o.endpoint = Endpoint{url, "us-east-1", "aws"};
  o.request_timeout = std::chrono::milliseconds(3000);
  o.clock = testing::noWaitClock();
  return o;
}

TEST(IamPagingTest, FollowsDistinctMarkersToTheEnd) {
  ScriptedIam iam({"m1", "m2", "m3", ""});
  ASSERT_GT(iam.start(), 0);
  net::HttpClient http;
  FixedCredentials creds{"AKIAPAGINGTEST000001", "secret-paging-test"};
  IamClient client(http, creds, options(iam.url()));
  auto users = client.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  EXPECT_EQ(users->size(), 4u);
  EXPECT_EQ(iam.sent(), (std::vector<std::string>{"", "m1", "m2", "m3"}));
}

TEST(IamPagingTest, FailsWhenAnEarlierMarkerComesBackNotOnlyThePreviousOne) {
  // m1 -> m2 -> m3 -> m1: each Marker differs from the one just sent, but the listing is a loop.
  ScriptedIam iam({"m1", "m2", "m3", "m1", ""});
  ASSERT_GT(iam.start(), 0);
  net::HttpClient http;
  FixedCredentials creds{"AKIAPAGINGTEST000001", "secret-paging-test"};
  IamClient client(http, creds, options(iam.url()));
  auto users = client.listUsers();
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kParse);
  EXPECT_NE(users.error().message.find("page 4 returned a Marker this listing has already used"),
            std::string::npos)
      << users.error().message;
  EXPECT_NE(users.error().message.find("req-3"), std::string::npos) << users.error().message;
  EXPECT_EQ(iam.sent().size(), 4u);  // no request with the repeated Marker
}

TEST(IamPagingTest, FailsWhenThePreviousMarkerComesBack) {
  ScriptedIam iam({"m1", "m1", ""});
  ASSERT_GT(iam.start(), 0);
  net::HttpClient http;
  FixedCredentials creds{"AKIAPAGINGTEST000001", "secret-paging-test"};
  IamClient client(http, creds, options(iam.url()));
  auto users = client.listUsers();
  ASSERT_FALSE(users.ok());
  EXPECT_NE(users.error().message.find("page 2 returned a Marker"), std::string::npos)
      << users.error().message;
  EXPECT_EQ(iam.sent().size(), 2u);
}

TEST(IamPagingTest, StopsAtTheConfiguredPageBudget) {
  ScriptedIam iam({});  // a fresh Marker on every page, for ever
  ASSERT_GT(iam.start(), 0);
  net::HttpClient http;
  FixedCredentials creds{"AKIAPAGINGTEST000001", "secret-paging-test"};
  auto o = options(iam.url());
  o.max_pages = 7;
  IamClient client(http, creds, o);
  auto users = client.listUsers();
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kParse);
  EXPECT_NE(users.error().message.find("still truncated after 7 pages (the page budget)"), std::string::npos)
      << users.error().message;
  EXPECT_EQ(iam.sent().size(), 7u);
}

TEST(IamPagingTest, TheDefaultPageBudgetIsOneThousandPages) {
  EXPECT_EQ(IamClientOptions{}.max_pages, 1000);
  ScriptedIam iam({});
  ASSERT_GT(iam.start(), 0);
  net::HttpClient http;
  FixedCredentials creds{"AKIAPAGINGTEST000001", "secret-paging-test"};
  IamClient client(http, creds, options(iam.url()));
  auto roles = client.listUsers();
  ASSERT_FALSE(roles.ok());
  EXPECT_NE(roles.error().message.find("after 1000 pages"), std::string::npos) << roles.error().message;
  EXPECT_EQ(iam.sent().size(), 1000u);
}

}  // namespace
}  // namespace aar::aws
