// The fake-aws binary as the e2e tests and the demo use it: started as a real process, its ready line parsed,
// driven through the admin API, used by the default credential chain (IRSA against its STS) and the IAM
// client, and stopped with SIGTERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "aws/account_listing.hpp"
#include "aws/credentials_assume_role.hpp"
#include "aws/credentials_default.hpp"
#include "aws/credentials_test_support.hpp"
#include "aws/iam_client.hpp"
#include "support/child_process.hpp"

namespace aar::aws {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;
using testing::TestEnv;

constexpr char kBinary[] = AAR_BINARY_DIR "/tests/fakes/aws/fake-aws";
constexpr char kToken[] = "fake-aws-binary-web-identity-token";

// The fake-aws process with `args` (the shared ChildProcess: killed by pid if the test did not stop it).
std::vector<std::string> fakeAws(std::vector<std::string> args) {
  args.insert(args.begin(), kBinary);
  return args;
}

net::HttpResponse call(net::HttpClient& http, const std::string& method, const std::string& url,
                       const std::string& body = "") {
  net::HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  if (!body.empty()) req.headers = {{"Content-Type", "application/json"}};
  auto r = http.perform(req);
  EXPECT_TRUE(r.ok()) << method << " " << url;
  return r.ok() ? r.value() : net::HttpResponse{};
}

TEST(FakeAwsBinaryTest, ServesIrsaAndIamAndIsDrivenThroughItsAdminApi) {
  ASSERT_TRUE(std::filesystem::exists(kBinary)) << kBinary << " is not built (target fake-aws)";
  TempDir dir;
  const std::string users_file = dir.write("users", "# seed\ntmp-foo-one\n/team/ tmp-foo-two\n");
  test::ChildProcess proc(fakeAws({"--users-file", users_file, "--user", "admin-alice",
                                   "--web-identity-token", kToken, "--credentials-duration", "900"}));
  const std::string line = proc.firstLine(10s);
  auto ready = nlohmann::json::parse(line, nullptr, false);
  ASSERT_TRUE(ready.is_object()) << "ready line: " << line;
  for (const char* key : {"iam", "sts", "container", "imds", "admin"}) {
    ASSERT_TRUE(ready.contains(key) && ready[key].get<int>() > 0) << line;
  }
  const std::string admin = ready["admin_url"].get<std::string>();
  net::HttpClient http;

  EXPECT_EQ(call(http, "POST", admin + "/admin/users", R"({"name":"tmp-foo-three","path":"/"})").status, 201);
  EXPECT_EQ(call(http, "DELETE", admin + "/admin/users/admin-alice").status, 204);
  EXPECT_EQ(call(http, "DELETE", admin + "/admin/users/admin-alice").status, 404);
  EXPECT_EQ(call(http, "POST", admin + "/admin/users", "not json").status, 400);
  EXPECT_EQ(nlohmann::json::parse(call(http, "GET", admin + "/admin/users").body)["count"], 3);
  EXPECT_EQ(call(http, "POST", admin + "/admin/faults", R"({"iam":{"throttle_next":1}})").status, 200);

  TestEnv env;
  env.set("HOME", dir.path());
  env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/aws-auth-refresher");
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", kToken));
  env.set("AWS_ENDPOINT_URL_STS", ready["sts_url"].get<std::string>());
  auto credentials = makeDefaultCredentialsProvider(env.lookup(), http);
  IamClientOptions o;
  o.endpoint = Endpoint{ready["iam_url"].get<std::string>(), "us-east-1", "aws"};
  o.clock = testing::noWaitClock();
  IamClient iam(http, *credentials, o);
  auto users = iam.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  std::vector<std::string> names;
  for (const auto& u : *users) names.push_back(u.name);
  EXPECT_EQ(names, (std::vector<std::string>{"tmp-foo-one", "tmp-foo-three", "tmp-foo-two"}));

  auto log = nlohmann::json::parse(call(http, "GET", admin + "/admin/log").body);
  ASSERT_EQ(log["sts"].size(), 1u);
  EXPECT_EQ(log["sts"][0]["status"], 200);
  ASSERT_EQ(log["iam"].size(), 2u);  // throttled once, then served
  EXPECT_EQ(log["iam"][0]["error_code"], "Throttling");
  EXPECT_EQ(log["iam"][1]["status"], 200);
  EXPECT_EQ(log["iam"][1]["access_key_id"], log["sts"][0]["access_key_id"]);
  EXPECT_EQ(log.dump().find(kToken), std::string::npos);

  proc.signal(SIGTERM);
  EXPECT_EQ(proc.waitExit(5s), 0);
}

TEST(FakeAwsBinaryTest, AnswersWithHugeStreamedBodiesWhenToldThroughItsAdminApi) {
  ASSERT_TRUE(std::filesystem::exists(kBinary)) << kBinary << " is not built (target fake-aws)";
  test::ChildProcess proc(
      fakeAws({"--access-key-id", "AKIDHUGEBODYTEST0001", "--secret-access-key", "huge-body-secret"}));
  auto ready = nlohmann::json::parse(proc.firstLine(10s), nullptr, false);
  ASSERT_TRUE(ready.is_object());
  const std::string admin = ready["admin_url"].get<std::string>();
  net::HttpClient http;
  // 512 MiB by default: the fake streams it and the clients stop at their limits.
  EXPECT_EQ(
      call(http, "POST", admin + "/admin/faults",
           R"({"iam":{"huge_body_next":1},"imds":{"huge_body_next":1},"container":{"huge_body_next":1}})")
          .status,
      200);

  TestEnv env;
  env.set("AWS_ACCESS_KEY_ID", "AKIDHUGEBODYTEST0001");
  env.set("AWS_SECRET_ACCESS_KEY", "huge-body-secret");
  auto credentials = makeDefaultCredentialsProvider(env.lookup(), http);
  IamClientOptions o;
  o.endpoint = Endpoint{ready["iam_url"].get<std::string>(), "us-east-1", "aws"};
  o.clock = testing::noWaitClock();
  IamClient iam(http, *credentials, o);
  auto users = iam.listUsers();
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kTooLarge) << users.error().toString();

  for (const char* url : {"imds_url", "container_url"}) {
    net::HttpRequest req;
    req.url = ready[url].get<std::string>() + (std::string(url) == "imds_url" ? "/latest/meta-data/" : "");
    req.max_response_bytes = 64 * 1024;
    auto r = http.perform(req);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().kind, ErrorKind::kTooLarge) << url << ": " << r.error().toString();
  }
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.waitExit(5s), 0);
}

// Rules v2 through the binary's admin API: a second account seeded with users, an SSO role and a group;
// AssumeRole into it (ExternalId demanded), switched to AccessDenied and back; listAccount of each account.
TEST(FakeAwsBinaryTest, ServesSeveralAccountsGroupsRolesAndAssumeRoleThroughItsAdminApi) {
  ASSERT_TRUE(std::filesystem::exists(kBinary)) << kBinary << " is not built (target fake-aws)";
  constexpr char kAkid[] = "AKIDRULESV2BINARY001";
  constexpr char kSecret[] = "rules-v2-binary-secret";
  const std::string other = "222233334444";
  const std::string role_arn = "arn:aws:iam::" + other + ":role/reader";
  test::ChildProcess proc(
      fakeAws({"--access-key-id", kAkid, "--secret-access-key", kSecret, "--user", "home-user"}));
  auto ready = nlohmann::json::parse(proc.firstLine(10s), nullptr, false);
  ASSERT_TRUE(ready.is_object());
  const std::string admin = ready["admin_url"].get<std::string>();
  net::HttpClient http;

  auto post = [&](const std::string& path, const std::string& body) {
    return call(http, "POST", admin + path, body).status;
  };
  EXPECT_EQ(post("/admin/users", R"({"name":"remote-alice","account":"222233334444"})"), 201);
  EXPECT_EQ(post("/admin/users", R"({"name":"remote-bob","path":"/team/","account":"222233334444"})"), 201);
  auto sso =
      nlohmann::json::parse(call(http, "POST", admin + "/admin/roles",
                                 R"({"name":"AWSReservedSSO_Admin_0123456789abcdef",)"
                                 R"("path":"/aws-reserved/sso.amazonaws.com/","account":"222233334444"})")
                                .body);
  EXPECT_EQ(
      sso["arn"],
      "arn:aws:iam::222233334444:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef");
  EXPECT_EQ(post("/admin/groups", R"({"name":"Admins","account":"222233334444"})"), 201);
  EXPECT_EQ(post("/admin/groups/Admins/members", R"({"user":"remote-bob","account":"222233334444"})"), 201);
  EXPECT_EQ(post("/admin/groups/Admins/members", R"({"user":"nobody","account":"222233334444"})"), 404);
  EXPECT_EQ(post("/admin/groups/Admins/members", R"({"user":"remote-bob"})"), 404);  // default account
  EXPECT_EQ(
      nlohmann::json::parse(call(http, "GET", admin + "/admin/users?account=222233334444").body)["count"], 2);
  EXPECT_EQ(post("/admin/sts/external-id", R"({"role_arn":")" + role_arn + R"(","external_id":"ext-1"})"),
            200);

  TestEnv env;
  env.set("AWS_REGION", "us-east-1");
  env.set("AWS_ENDPOINT_URL_STS", ready["sts_url"].get<std::string>());
  env.set("AWS_ACCESS_KEY_ID", kAkid);
  env.set("AWS_SECRET_ACCESS_KEY", kSecret);
  auto own = makeDefaultCredentialsProvider(env.lookup(), http);
  AssumeRoleOptions ao;
  ao.role_arn = role_arn;
  ao.external_id = "ext-1";
  auto assumed = makeAssumeRoleCredentialsProvider(env.lookup(), http, *own, ao);
  ASSERT_TRUE(assumed.ok()) << assumed.error().toString();
  IamClientOptions o;
  o.endpoint = Endpoint{ready["iam_url"].get<std::string>(), "us-east-1", "aws"};
  o.clock = testing::noWaitClock();
  IamClient home(http, *own, o);
  IamClient remote(http, **assumed, o);

  auto home_listing = listAccount(home, AccountQuery{true, {"Admins"}});
  ASSERT_TRUE(home_listing.ok()) << home_listing.error().toString();
  ASSERT_EQ(home_listing->users.size(), 1u);
  EXPECT_EQ(home_listing->users[0].arn, "arn:aws:iam::123456789012:user/home-user");
  ASSERT_EQ(home_listing->groups.size(), 1u);
  EXPECT_TRUE(home_listing->groups[0].missing);  // Admins exists only in the other account

  auto remote_listing = listAccount(remote, AccountQuery{true, {"Admins"}});
  ASSERT_TRUE(remote_listing.ok()) << remote_listing.error().toString();
  EXPECT_EQ(remote_listing->users.size(), 2u);
  ASSERT_EQ(remote_listing->roles.size(), 1u);
  EXPECT_EQ(remote_listing->roles[0].arn, sso["arn"]);
  ASSERT_EQ(remote_listing->groups.size(), 1u);
  EXPECT_EQ(remote_listing->groups[0].member_arns,
            (std::vector<std::string>{"arn:aws:iam::222233334444:user/team/remote-bob"}));

  // Denied, then recovered, through the admin API; a fresh provider so the cache does not hide it.
  EXPECT_EQ(post("/admin/sts/deny", R"({"role_arn":")" + role_arn + R"("})"), 200);
  auto denied = makeAssumeRoleCredentialsProvider(env.lookup(), http, *own, ao);
  ASSERT_TRUE(denied.ok());
  auto refused = (*denied)->get();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(refused.error().message.find("AccessDenied"), std::string::npos);
  EXPECT_EQ(post("/admin/sts/deny", R"({"role_arn":")" + role_arn + R"(","deny":false})"), 200);
  EXPECT_TRUE((*denied)->get().ok());

  auto log = nlohmann::json::parse(call(http, "GET", admin + "/admin/log").body);
  bool saw_assume = false;
  for (const auto& e : log["sts"]) {
    if (e["action"] != "AssumeRole" || e["status"] != 200) continue;
    saw_assume = true;
    EXPECT_EQ(e["role_session_name"], "aws-auth-refresher");
    EXPECT_EQ(e["external_id"], "ext-1");
    EXPECT_EQ(e["duration_seconds"], 3600);
    EXPECT_EQ(e["caller_access_key_id"], kAkid);
  }
  EXPECT_TRUE(saw_assume) << log.dump();
  bool saw_remote_group = false;
  for (const auto& e : log["iam"]) {
    if (e["action"] == "GetGroup" && e["account"] == other) saw_remote_group = e["group_name"] == "Admins";
  }
  EXPECT_TRUE(saw_remote_group) << log.dump();
  EXPECT_EQ(log.dump().find(kSecret), std::string::npos);

  EXPECT_EQ(call(http, "DELETE", admin + "/admin/groups/Admins?account=222233334444").status, 204);
  EXPECT_EQ(
      call(http, "DELETE", admin + "/admin/roles/AWSReservedSSO_Admin_0123456789abcdef?account=222233334444")
          .status,
      204);
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.waitExit(5s), 0);
}

}  // namespace
}  // namespace aar::aws
