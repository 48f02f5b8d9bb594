// FakeEks inside the fake-aws binary, as the e2e tests and the demo will use it: started as a real process,
// its ready line naming the EKS port, driven through /admin/eks, and called by EksClient.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/credentials_imds.hpp"
#include "aws/credentials_test_support.hpp"
#include "aws/eks_client.hpp"
#include "support/child_process.hpp"

namespace aar::aws {
namespace {

using testing::FixedCredentials;

using namespace std::chrono_literals;
using nlohmann::json;

constexpr char kBinary[] = AAR_BINARY_DIR "/tests/fakes/aws/fake-aws";
constexpr char kAkid[] = "AKIAFAKEAWSBINARYEKS";
constexpr char kSecret[] = "binary/eks+secret000000000000000000000000";

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

TEST(EksFakeAwsBinaryTest, ServesEksDrivenThroughItsAdminApi) {
  ASSERT_TRUE(std::filesystem::exists(kBinary)) << kBinary << " is not built (target fake-aws)";
  test::ChildProcess proc(fakeAws({"--access-key-id", kAkid, "--secret-access-key", kSecret}));
  const std::string line = proc.firstLine(10s);
  auto ready = json::parse(line, nullptr, false);
  ASSERT_TRUE(ready.is_object()) << "ready line: " << line;
  ASSERT_GT(ready.value("eks", 0), 0) << line;
  const std::string admin = ready["admin_url"].get<std::string>() + "/admin/eks";
  const std::string eks_url = ready["eks_url"].get<std::string>();
  net::HttpClient http;

  EXPECT_EQ(call(http, "POST", admin + "/clusters", R"({"name":"prod","mode":"API"})").status, 201);
  EXPECT_EQ(call(http, "POST", admin + "/clusters", R"({"name":"x","mode":"SOMETIMES"})").status, 400);
  EXPECT_EQ(call(http, "POST", admin + "/clusters", "not json").status, 400);
  EXPECT_EQ(
      call(http, "POST", admin + "/entries",
           R"({"cluster":"prod","principalArn":"arn:aws:iam::123456789012:role/node","type":"EC2_LINUX"})")
          .status,
      201);
  EXPECT_EQ(call(http, "POST", admin + "/entries", R"({"cluster":"prod","principalArn":7})").status, 400);
  EXPECT_EQ(call(http, "POST", admin + "/entries", R"({"cluster":"none","principalArn":"arn:x"})").status,
            404);
  EXPECT_EQ(call(http, "POST", admin + "/mode", R"({"cluster":"none","mode":"API"})").status, 404);

  FixedCredentials creds{kAkid, kSecret};
  EksClientOptions o;
  o.endpoint = Endpoint{eks_url, "us-east-1", "aws"};
  o.cluster_name = "prod";
  o.clock = testing::noWaitClock();
  EksClient client(http, creds, o);
  auto cluster = client.describeCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  EXPECT_EQ(cluster->authentication_mode, EksAuthenticationMode::kApi);
  EksCreateAccessEntryInput in;
  in.principal_arn = "arn:aws:iam::123456789012:user/team/alice";
  in.tags = {{"aws-auth-refresher/owner", "aws-auth-refresher"}};
  ASSERT_TRUE(client.createAccessEntry(in).ok());
  auto listed = client.listAccessEntries();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 2u);

  auto entries = json::parse(call(http, "GET", admin + "/entries?cluster=prod").body);
  ASSERT_EQ(entries["entries"].size(), 2u);
  EXPECT_EQ(entries["entries"][0]["type"], "EC2_LINUX");
  EXPECT_EQ(entries["entries"][1]["tags"]["aws-auth-refresher/owner"], "aws-auth-refresher");

  // Faults through the admin API: one throttle (the client retries), then the mode switched to CONFIG_MAP.
  EXPECT_EQ(call(http, "POST", admin + "/faults", R"({"throttle_next":1})").status, 200);
  EXPECT_TRUE(client.describeCluster().ok());
  EXPECT_EQ(call(http, "POST", admin + "/faults", R"({"throttle_next":"x"})").status, 400);
  EXPECT_EQ(
      call(
          http, "POST", admin + "/faults",
          R"({"fail_next":5,"fail_status":503,"fail_code":"ServiceUnavailableException","fail_operation":"ListAccessEntries"})")
          .status,
      200);
  EXPECT_EQ(call(http, "DELETE", admin + "/faults").status, 200);
  EXPECT_TRUE(client.listAccessEntries().ok()) << "the cleared fault no longer applies";
  EXPECT_EQ(call(http, "POST", admin + "/mode", R"({"cluster":"prod","mode":"CONFIG_MAP"})").status, 200);
  AwsError d;
  in.principal_arn = "arn:aws:iam::123456789012:user/bob";
  EXPECT_FALSE(client.createAccessEntry(in, &d).ok());
  EXPECT_EQ(d.code, "InvalidRequestException");

  auto log = json::parse(call(http, "GET", admin + "/log").body)["requests"];
  std::vector<std::string> ops;
  for (const auto& r : log)
    ops.push_back(r["operation"].get<std::string>() + ":" + std::to_string(r["status"].get<int>()));
  EXPECT_EQ(ops,
            (std::vector<std::string>{"DescribeCluster:200", "CreateAccessEntry:200", "ListAccessEntries:200",
                                      "DescribeCluster:400", "DescribeCluster:200", "ListAccessEntries:200",
                                      "CreateAccessEntry:400"}));
  EXPECT_TRUE(log[1]["mutating"].get<bool>());
  EXPECT_FALSE(log[2]["mutating"].get<bool>());
  EXPECT_EQ(log.dump().find(kSecret), std::string::npos);
  EXPECT_EQ(call(http, "DELETE", admin + "/log").status, 200);
  EXPECT_TRUE(json::parse(call(http, "GET", admin + "/log").body)["requests"].empty());

  // Another key, added at run time.
  EXPECT_EQ(
      call(http, "POST", admin + "/credentials", R"({"access_key_id":"AKIAOTHER","secret_access_key":""})")
          .status,
      400);
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.waitExit(5s), 0);
}

// The gap the e2e tests hit: credentials the fake IMDS issues (registered with the fake IAM) must sign EKS
// requests too, and expire there as in IAM.
TEST(EksFakeAwsBinaryTest, AcceptsCredentialsIssuedByTheFakeImds) {
  ASSERT_TRUE(std::filesystem::exists(kBinary)) << kBinary << " is not built (target fake-aws)";
  test::ChildProcess proc(fakeAws({"--access-key-id", kAkid, "--secret-access-key", kSecret}));
  const std::string line = proc.firstLine(10s);
  auto ready = json::parse(line, nullptr, false);
  ASSERT_TRUE(ready.is_object()) << "ready line: " << line;
  const std::string admin = ready["admin_url"].get<std::string>() + "/admin/eks";
  net::HttpClient http;
  ASSERT_EQ(call(http, "POST", admin + "/clusters", R"({"name":"prod","mode":"API"})").status, 201);

  const std::string imds_url = ready["imds_url"].get<std::string>();
  ImdsCredentialsProvider imds(
      [imds_url](const std::string& name) -> std::optional<std::string> {
        if (name == "AWS_EC2_METADATA_SERVICE_ENDPOINT") return imds_url;
        return std::nullopt;
      },
      http);
  auto issued = imds.get();
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  ASSERT_FALSE(issued->session_token.empty());

  EksClientOptions o;
  o.endpoint = Endpoint{ready["eks_url"].get<std::string>(), "us-east-1", "aws"};
  o.cluster_name = "prod";
  o.clock = testing::noWaitClock();
  EksClient client(http, imds, o);
  auto cluster = client.describeCluster();
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  EXPECT_EQ(cluster->authentication_mode, EksAuthenticationMode::kApi);

  // The same key with a wrong session token is refused, as EKS does.
  class WrongToken : public CredentialsProvider {
   public:
    explicit WrongToken(Credentials c) : c_(std::move(c)) { c_.session_token += "x"; }
    Result<Credentials> get() override { return c_; }
    const char* name() const override { return "wrong-token"; }

   private:
    Credentials c_;
  } wrong(*issued);
  EksClient refused(http, wrong, o);
  AwsError d;
  EXPECT_FALSE(refused.describeCluster(&d).ok());
  EXPECT_EQ(d.code, "UnrecognizedClientException");
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.waitExit(5s), 0);
}

}  // namespace
}  // namespace aar::aws
