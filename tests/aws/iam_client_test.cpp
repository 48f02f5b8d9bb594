// IamClient against FakeIam over real HTTP on 127.0.0.1: pagination, retries, failures, signing, secrets.
#include "aws/iam_client.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <sstream>

#include "aws/credentials_test_support.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "fakes/pki/test_pki.hpp"
#include "support/manual_clock.hpp"

namespace aar::aws {
namespace {

using testing::FixedCredentials;

using fakes::FakeIam;
using std::chrono::milliseconds;

constexpr char kAkid[] = "AKIAFAKEIAMTEST00001";
constexpr char kSecret[] = "sEcReT/never+in+logs/aaaaaaaaaaaaaaaaaaaa";
constexpr char kToken[] = "SeSsIoNtOkEn//never-in-logs-bbbbbbbbbbbbbbbbbbbb==";

Credentials creds(std::string secret = kSecret, std::string token = "") {
  return Credentials{kAkid, std::move(secret), std::move(token), std::nullopt, "fixed"};
}

class IamClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(fake_.start(), 0);
    fake_.allowCredentials(kAkid, kSecret);
  }

  IamClientOptions options() {
    IamClientOptions o;
    o.endpoint = Endpoint{fake_.url(), "us-east-1", "aws"};
    o.request_timeout = milliseconds(3000);
    o.clock = &clock_;  // backoff waits are recorded on the manual clock, never slept
    o.random = [] { return 0.5; };
    o.on_request = [this](std::string_view op, std::string_view code) {
      std::lock_guard<std::mutex> lock(mu_);
      ++hook_counts_[std::string(op) + " " + std::string(code)];
    };
    return o;
  }

  std::vector<std::string> statuses() {
    std::vector<std::string> out;
    for (const auto& r : fake_.requests())
      out.push_back(std::to_string(r.page) + ":" + std::to_string(r.status));
    return out;
  }

  FakeIam fake_;
  net::HttpClient http_;
  std::mutex mu_;
  // The backoff waits so far, in order (each shorter than kBackoffCancelCheck here, so one sleep each).
  std::vector<milliseconds> sleeps() const {
    std::vector<milliseconds> out;
    for (auto d : clock_.sleeps()) out.push_back(std::chrono::duration_cast<milliseconds>(d));
    return out;
  }

  test::ManualClock clock_;
  std::map<std::string, int> hook_counts_;
};

TEST_F(IamClientTest, ListsEveryUserAcrossSmallPages) {
  fake_.addUsers(2500, "user-");
  FixedCredentials provider(creds());
  auto o = options();
  o.max_items = 100;
  IamClient client(http_, provider, o);

  auto users = client.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  ASSERT_EQ(users->size(), 2500u);
  EXPECT_EQ((*users)[0].arn, fake_.userArn("user-00000"));
  EXPECT_EQ((*users)[0].name, "user-00000");
  EXPECT_EQ((*users)[0].path, "/");
  EXPECT_EQ((*users)[0].id.substr(0, 4), "AIDA");
  EXPECT_EQ((*users)[2499].arn, fake_.userArn("user-02499"));
  EXPECT_EQ((*users)[2499].name, "user-02499");
  for (size_t i = 1; i < users->size(); ++i) ASSERT_LT((*users)[i - 1].name, (*users)[i].name);

  auto log = fake_.requests();
  ASSERT_EQ(log.size(), 25u);
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(log[i].action, "ListUsers");
    EXPECT_EQ(log[i].max_items, 100);
    EXPECT_EQ(log[i].page, static_cast<int>(i) + 1);
    EXPECT_EQ(log[i].status, 200);
    EXPECT_EQ(log[i].marker.empty(), i == 0);
  }
  EXPECT_EQ(provider.calls, 25);  // credentials are asked for on every request
  EXPECT_EQ(hook_counts_["ListUsers 200"], 25);
}

TEST_F(IamClientTest, FollowsMarkersWhenIamReturnsFewerThanAsked) {
  fake_.addUsers(2500, "u");
  fake_.setPageCap(300);
  FixedCredentials provider(creds());
  IamClient client(http_, provider, options());

  auto users = client.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  EXPECT_EQ(users->size(), 2500u);
  auto log = fake_.requests();
  ASSERT_EQ(log.size(), 9u);  // ceil(2500 / 300)
  for (const auto& r : log) EXPECT_EQ(r.max_items, 1000);
}

TEST_F(IamClientTest, RetriesThrottlingThenSucceeds) {
  fake_.addUsers(10, "t");
  fake_.throttleNext(2);
  FixedCredentials provider(creds());
  IamClient client(http_, provider, options());

  auto users = client.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  EXPECT_EQ(users->size(), 10u);
  EXPECT_EQ(statuses(), (std::vector<std::string>{"1:400", "1:400", "1:200"}));
  // Full jitter with random 0.5: half of 100 ms, then half of 200 ms.
  EXPECT_EQ(sleeps(), (std::vector<milliseconds>{milliseconds(50), milliseconds(100)}));
  EXPECT_EQ(hook_counts_["ListUsers 400"], 2);
  EXPECT_EQ(hook_counts_["ListUsers 200"], 1);
}

TEST_F(IamClientTest, RetriesEveryStandardThrottlingCode) {
  fake_.addUsers(1, "t");
  FixedCredentials provider(creds());
  IamClient client(http_, provider, options());
  for (const char* code : {"ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}) {
    fake_.throttleNext(1, code);
    auto users = client.listUsers();
    EXPECT_TRUE(users.ok()) << code;
  }
  EXPECT_EQ(sleeps().size(), 3u);
}

TEST_F(IamClientTest, GivesUpOnThrottlingAfterTheConfiguredAttempts) {
  fake_.addUsers(1, "t");
  fake_.throttleNext(100);
  FixedCredentials provider(creds());
  auto o = options();
  o.retry.max_attempts = 4;
  IamClient client(http_, provider, o);
  AwsError details;
  auto users = client.listUsers("", &details);
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kTooManyRequests);
  EXPECT_EQ(fake_.requests().size(), 4u);
  EXPECT_EQ(details.code, "Throttling");
  EXPECT_EQ(details.http_status, 400);
  EXPECT_NE(users.error().message.find("after 4 attempts"), std::string::npos);
}

TEST_F(IamClientTest, FailsTheWholeListingWhenPageTwoKeepsFailing) {
  fake_.addUsers(250, "p");
  fake_.failPage(2, 500);
  FixedCredentials provider(creds());
  auto o = options();
  o.max_items = 100;
  IamClient client(http_, provider, o);

  AwsError details;
  auto users = client.listUsers("", &details);
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kServer);
  EXPECT_EQ(statuses(), (std::vector<std::string>{"1:200", "2:500", "2:500", "2:500"}));
  EXPECT_EQ(details.code, "ServiceFailure");
  EXPECT_EQ(details.http_status, 500);
  EXPECT_FALSE(details.request_id.empty());
  EXPECT_NE(users.error().message.find(details.request_id), std::string::npos);
  EXPECT_NE(users.error().message.find("page 2"), std::string::npos);
}

TEST_F(IamClientTest, RetryCountFollowsTheConfiguration) {
  fake_.addUsers(250, "p");
  fake_.failPage(2, 503);
  FixedCredentials provider(creds());
  auto o = options();
  o.max_items = 100;
  o.retry.max_attempts = 5;
  IamClient client(http_, provider, o);
  auto users = client.listUsers();
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(fake_.requests().size(), 1u + 5u);
  EXPECT_EQ(sleeps().size(), 4u);
  EXPECT_EQ(hook_counts_["ListUsers 503"], 5);
}

TEST_F(IamClientTest, RecoversWhenPageTwoFailsOnlyOnce) {
  fake_.addUsers(250, "p");
  fake_.failPage(2, 500, 1);
  FixedCredentials provider(creds());
  auto o = options();
  o.max_items = 100;
  IamClient client(http_, provider, o);
  auto users = client.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  EXPECT_EQ(users->size(), 250u);
  EXPECT_EQ(statuses(), (std::vector<std::string>{"1:200", "2:500", "2:200", "3:200"}));
}

TEST_F(IamClientTest, DoesNotRetryAWrongSignature) {
  fake_.addUsers(3, "x");
  FixedCredentials provider(creds("wrong-secret-value"));
  IamClient client(http_, provider, options());
  AwsError details;
  auto users = client.listUsers("", &details);
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kForbidden);
  EXPECT_NE(users.error().message.find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(details.code, "SignatureDoesNotMatch");
  EXPECT_EQ(details.http_status, 403);
  EXPECT_EQ(details.type, "Sender");
  EXPECT_EQ(fake_.requests().size(), 1u);
  EXPECT_TRUE(sleeps().empty());
}

TEST_F(IamClientTest, AnUnknownKeyIsAnInvalidClientTokenId) {
  FixedCredentials provider(Credentials{"AKIAUNKNOWN000000000", kSecret, "", std::nullopt, "fixed"});
  IamClient client(http_, provider, options());
  AwsError details;
  auto users = client.listUsers("", &details);
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(details.code, "InvalidClientTokenId");
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(IamClientTest, SendsAndSignsTheSessionToken) {
  fake_.allowCredentials(kAkid, kSecret, kToken);
  fake_.addUsers(3, "s");
  FixedCredentials good(creds(kSecret, kToken));
  IamClient client(http_, good, options());
  auto users = client.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  EXPECT_EQ(users->size(), 3u);

  FixedCredentials missing(creds(kSecret, ""));
  IamClient without(http_, missing, options());
  AwsError details;
  ASSERT_FALSE(without.listUsers("", &details).ok());
  EXPECT_EQ(details.code, "InvalidClientTokenId");
}

TEST_F(IamClientTest, ExpiredCredentialsAreNotRetried) {
  fake_.allowCredentials(kAkid, kSecret, kToken);
  fake_.expireCredentials(kAkid);
  FixedCredentials provider(creds(kSecret, kToken));
  IamClient client(http_, provider, options());
  AwsError details;
  auto users = client.listUsers("", &details);
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(details.code, "ExpiredToken");
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_F(IamClientTest, FiltersByPathPrefix) {
  fake_.addUser("alice", "/engineering/");
  fake_.addUser("bob", "/engineering/platform/");
  fake_.addUser("carol", "/sales/");
  FixedCredentials provider(creds());
  IamClient client(http_, provider, options());
  auto users = client.listUsers("/engineering/");
  ASSERT_TRUE(users.ok()) << users.error().toString();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].arn, "arn:aws:iam::123456789012:user/engineering/alice");
  EXPECT_EQ((*users)[0].path, "/engineering/");
  EXPECT_EQ((*users)[1].arn, "arn:aws:iam::123456789012:user/engineering/platform/bob");
  EXPECT_EQ((*users)[1].name, "bob");
  EXPECT_EQ(fake_.requests().at(0).path_prefix, "/engineering/");
}

TEST_F(IamClientTest, ListsRolesTheSameWay) {
  for (int i = 0; i < 25; ++i) fake_.addRole("role-" + std::to_string(100 + i), "/svc/");
  FixedCredentials provider(creds());
  auto o = options();
  o.max_items = 10;
  IamClient client(http_, provider, o);
  auto roles = client.listRoles();
  ASSERT_TRUE(roles.ok()) << roles.error().toString();
  ASSERT_EQ(roles->size(), 25u);
  EXPECT_EQ((*roles)[0].arn, "arn:aws:iam::123456789012:role/svc/role-100");
  EXPECT_EQ((*roles)[0].name, "role-100");
  EXPECT_EQ((*roles)[0].path, "/svc/");
  EXPECT_EQ((*roles)[0].id.substr(0, 4), "AROA");
  EXPECT_EQ(fake_.requests().size(), 3u);
  EXPECT_EQ(fake_.requests().at(0).action, "ListRoles");
}

TEST_F(IamClientTest, RetriesADroppedConnection) {
  fake_.addUsers(5, "d");
  fake_.dropNext(1);
  FixedCredentials provider(creds());
  IamClient client(http_, provider, options());
  auto users = client.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  EXPECT_EQ(users->size(), 5u);
  EXPECT_EQ(fake_.requests().size(), 2u);
  EXPECT_EQ(hook_counts_["ListUsers Network"], 1);
}

TEST_F(IamClientTest, TimesOutEachAttemptAndRetries) {
  fake_.addUsers(5, "d");
  fake_.setDelay(milliseconds(400));
  FixedCredentials provider(creds());
  auto o = options();
  o.request_timeout = milliseconds(100);
  o.retry.max_attempts = 2;
  IamClient client(http_, provider, o);
  auto users = client.listUsers();
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(hook_counts_["ListUsers Timeout"], 2);
  EXPECT_EQ(sleeps().size(), 1u);
  fake_.setDelay(milliseconds(0));
}

TEST_F(IamClientTest, CancellationEndsTheListingWithoutRetry) {
  fake_.addUsers(5, "c");
  fake_.throttleNext(10);
  FixedCredentials provider(creds());
  auto o = options();
  // A clock whose first backoff slice cancels the client, as a shutdown during the wait would.
  struct CancellingClock : test::ManualClock {
    explicit CancellingClock(net::HttpClient& h) : http(h) {}
    void sleepFor(std::chrono::nanoseconds d) override {
      ManualClock::sleepFor(d);
      http.cancel();
    }
    net::HttpClient& http;
  } clock(http_);
  o.clock = &clock;
  o.retry.base_delay = milliseconds(60000);
  o.retry.max_backoff = milliseconds(60000);
  o.random = [] { return 0.99; };
  IamClient client(http_, provider, o);
  auto users = client.listUsers();
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(fake_.requests().size(), 1u);
  // The 59.4 s backoff ended after its first slice: the cancel was noticed, not slept through.
  EXPECT_EQ(clock.sleeps(), (std::vector<std::chrono::nanoseconds>{kBackoffCancelCheck}));
}

TEST_F(IamClientTest, TheDefaultBackoffWaitEndsWhenCancelled) {
  fake_.addUsers(5, "c");
  fake_.throttleNext(10);
  FixedCredentials provider(creds());
  auto o = options();
  o.clock = &base::systemClock();  // the real, cancellable wait
  o.retry.base_delay = milliseconds(60000);
  o.retry.max_backoff = milliseconds(60000);
  o.random = [] { return 0.99; };
  IamClient client(http_, provider, o);
  std::thread canceller([this] {
    for (int i = 0; i < 200 && fake_.requests().empty(); ++i) std::this_thread::sleep_for(milliseconds(5));
    http_.cancel();
  });
  auto started = std::chrono::steady_clock::now();
  auto users = client.listUsers();
  canceller.join();
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));  // not the 59 s backoff
}

TEST_F(IamClientTest, SignsForThePartitionOfTheConfiguredRegion) {
  FakeIam china(FakeIam::Options{"123456789012", "cn-north-1"});
  ASSERT_GT(china.start(), 0);
  net::HttpClient http;  // destroyed before `china`, so its kept-alive connection does not hold up stop()
  china.allowCredentials(kAkid, kSecret);
  china.addUser("wang");
  std::map<std::string, std::string> env{{"AWS_REGION", "cn-northwest-1"},
                                         {"AWS_ENDPOINT_URL_IAM", china.url()}};
  auto endpoint = iamEndpoint([&](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    return it == env.end() ? std::nullopt : std::optional(it->second);
  });
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(endpoint->partition, "aws-cn");
  FixedCredentials provider(creds());
  auto o = options();
  o.endpoint = *endpoint;
  IamClient client(http, provider, o);
  auto users = client.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  EXPECT_EQ(users->size(), 1u);

  // The same request signed for us-east-1 is refused by an endpoint that expects cn-north-1.
  o.endpoint.signing_region = "us-east-1";
  IamClient wrong(http, provider, o);
  AwsError details;
  EXPECT_FALSE(wrong.listUsers("", &details).ok());
  EXPECT_EQ(details.code, "SignatureDoesNotMatch");
}

TEST_F(IamClientTest, ReportsAConnectionRefusedAfterRetries) {
  FixedCredentials provider(creds());
  auto o = options();
  fake_.stop();
  IamClient client(http_, provider, o);
  auto users = client.listUsers();
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kNetwork);
  EXPECT_EQ(hook_counts_["ListUsers Network"], 3);
}

// A provider that cannot supply credentials.
class NoCredentials : public CredentialsProvider {
 public:
  Result<Credentials> get() override {
    return makeError(ErrorKind::kUnavailable, "chain: environment: AWS_ACCESS_KEY_ID not set");
  }
  const char* name() const override { return "none"; }
};

TEST_F(IamClientTest, FailsWithoutARequestWhenNoCredentialsAreAvailable) {
  NoCredentials provider;
  IamClient client(http_, provider, options());
  auto users = client.listUsers();
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(users.error().message.find("AWS_ACCESS_KEY_ID not set"), std::string::npos);
  EXPECT_TRUE(fake_.requests().empty());
}

TEST_F(IamClientTest, SignsTheBasePathOfAnEndpointUrl) {
  fake_.addUsers(2, "b");
  FixedCredentials provider(creds());
  auto o = options();
  o.endpoint.url = fake_.url() + "/";  // a trailing slash is the same endpoint
  IamClient client(http_, provider, o);
  auto users = client.listUsers();
  ASSERT_TRUE(users.ok()) << users.error().toString();
  EXPECT_EQ(users->size(), 2u);
}

TEST(IamClientTlsTest, ListsOverHttpsTrustingOnlyTheGivenCa) {
  auto pki = aar::testing::TestPki::generate();
  FakeIam fake;
  ASSERT_GT(fake.startTls(pki.server.cert, pki.server.key), 0);
  ASSERT_EQ(fake.url().rfind("https://127.0.0.1:", 0), 0u);
  fake.allowCredentials(kAkid, kSecret);
  fake.addUsers(30, "tls-");
  FixedCredentials provider(creds());
  IamClientOptions o;
  o.endpoint = Endpoint{fake.url(), "us-east-1", "aws"};
  o.max_items = 10;
  {
    net::HttpClientOptions trusted;
    trusted.ca_pem = pki.ca.cert;
    net::HttpClient http(trusted);
    IamClient client(http, provider, o);
    auto users = client.listUsers();
    ASSERT_TRUE(users.ok()) << users.error().toString();
    EXPECT_EQ(users->size(), 30u);
  }
  {
    net::HttpClientOptions other;
    other.ca_pem = pki.other_ca.cert;
    net::HttpClient http(other);
    o.retry.max_attempts = 1;
    IamClient client(http, provider, o);
    auto users = client.listUsers();
    ASSERT_FALSE(users.ok());
    EXPECT_EQ(users.error().kind, ErrorKind::kNetwork);
  }
  EXPECT_EQ(fake.requests().size(), 3u);  // the untrusted handshake never reached the handler
}

TEST_F(IamClientTest, NeverLogsOrReportsSecrets) {
  std::ostringstream captured;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  auto logger = std::make_shared<spdlog::logger>("capture", sink);
  logger->set_level(spdlog::level::trace);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);

  fake_.allowCredentials(kAkid, kSecret, kToken);
  fake_.addUsers(150, "z");
  std::vector<std::string> messages;
  {
    FixedCredentials good(creds(kSecret, kToken));
    auto o = options();
    o.max_items = 100;
    IamClient client(http_, good, o);
    fake_.throttleNext(2);
    auto ok = client.listUsers();
    EXPECT_TRUE(ok.ok());
    fake_.failPage(2, 500);
    auto failed = client.listUsers();
    ASSERT_FALSE(failed.ok());
    messages.push_back(failed.error().toString());
    fake_.clearFaults();
    fake_.dropNext(5);
    auto dropped = client.listUsers();
    ASSERT_FALSE(dropped.ok());
    messages.push_back(dropped.error().toString());
    fake_.clearFaults();
  }
  {
    FixedCredentials wrong(creds(std::string(kSecret) + "x", kToken));
    IamClient client(http_, wrong, options());
    auto refused = client.listUsers();
    ASSERT_FALSE(refused.ok());
    messages.push_back(refused.error().toString());
  }
  spdlog::set_default_logger(previous);

  const std::string logs = captured.str();
  EXPECT_NE(logs.find("retrying"), std::string::npos) << "the capture saw no retry log: " << logs;
  for (const std::string& text : messages) {
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
    EXPECT_EQ(text.find(kToken), std::string::npos) << text;
  }
  EXPECT_EQ(logs.find(kSecret), std::string::npos);
  EXPECT_EQ(logs.find(kToken), std::string::npos);
}

}  // namespace
}  // namespace aar::aws
