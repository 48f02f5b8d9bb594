// The response limit of each kind of AWS call (issue 10, problem 3), against the fakes answering 200 with a
// huge streamed body: IAM pages (8 MiB), STS (1 MiB), IMDS and container credentials (64 KiB, never through
// a proxy). Each fails with the limit named, and nothing is retried.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <optional>
#include <thread>

#include "aws/credentials_container.hpp"
#include "aws/credentials_imds.hpp"
#include "aws/credentials_test_support.hpp"
#include "aws/credentials_web_identity.hpp"
#include "aws/iam_client.hpp"
#include "fakes/aws/fake_container_credentials.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "fakes/aws/fake_imds.hpp"
#include "support/server_thread.hpp"

namespace aar::aws {
namespace {

using testing::FixedCredentials;

using namespace std::chrono_literals;
using testing::TempDir;
using testing::TestClock;
using testing::TestEnv;

constexpr char kAkid[] = "AKIALIMITSTEST000001";
constexpr char kSecret[] = "limits-secret-aaaaaaaaaaaaaaaaaaaaaaaaaaa";

// Sets (or unsets) a process environment variable for a scope: libcurl reads proxies from the process.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// A proxy that answers every request itself with a 500: any request that reaches it fails visibly.
class TrapProxy {
 public:
  TrapProxy() {
    server_.Get(".*", [this](const httplib::Request&, httplib::Response& res) { trap(res); });
    server_.Put(".*", [this](const httplib::Request&, httplib::Response& res) { trap(res); });
    serving_ = std::make_unique<test::ServerThread>(server_);
  }
  TrapProxy(const TrapProxy&) = delete;
  TrapProxy& operator=(const TrapProxy&) = delete;
  std::string url() const { return serving_->url(); }
  int hits() const { return hits_.load(); }

 private:
  void trap(httplib::Response& res) {
    ++hits_;
    res.status = 500;
    res.set_content("proxied", "text/plain");
  }
  httplib::Server server_;
  std::unique_ptr<test::ServerThread> serving_;  // after server_: stops before it goes
  std::atomic<int> hits_{0};
};

TEST(IamResponseLimitTest, AnEndlessListUsersBodyFailsAtTheIamPageLimitWithoutRetrying) {
  fakes::FakeIam fake;
  ASSERT_GT(fake.start(), 0);
  fake.allowCredentials(kAkid, kSecret);
  fake.addUser("tmp-foo-one");
  for (bool announce : {false, true}) {
    fake.clearLog();
    fake.hugeBodyNext(1, size_t{64} << 20, announce);
    net::HttpClient http;
    FixedCredentials provider{kAkid, kSecret};
    IamClientOptions o;
    o.endpoint = Endpoint{fake.url(), "us-east-1", "aws"};
    o.clock = testing::noWaitClock();
    IamClient client(http, provider, o);
    auto users = client.listUsers();
    ASSERT_FALSE(users.ok()) << (announce ? "Content-Length" : "chunked");
    EXPECT_EQ(users.error().kind, ErrorKind::kTooLarge) << users.error().toString();
    EXPECT_NE(users.error().message.find("8388608-byte limit"), std::string::npos) << users.error().message;
    EXPECT_NE(users.error().message.find("127.0.0.1"), std::string::npos) << users.error().message;
    EXPECT_EQ(fake.requests().size(), 1u) << "an oversized answer was retried";
  }
}

TEST(ImdsResponseLimitTest, AHugeImdsAnswerFailsAtItsLimit) {
  fakes::FakeImds fake;
  ASSERT_GT(fake.start(), 0);
  TestEnv env;
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake.url() + "/");
  fake.hugeBodyNext(1, size_t{8} << 20);
  net::HttpClient http;
  ImdsOptions o;
  o.retry.max_attempts = 1;
  ImdsCredentialsProvider provider(env.lookup(), http, o);
  auto c = provider.get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("65536-byte limit"), std::string::npos) << c.error().toString();
  EXPECT_EQ(fake.requests().size(), 1u);
}

TEST(ImdsResponseLimitTest, ImdsIsNeverReachedThroughAProxy) {
  fakes::FakeImds fake;
  ASSERT_GT(fake.start(), 0);
  TrapProxy proxy;
  ScopedEnv upper("HTTP_PROXY", proxy.url().c_str());
  ScopedEnv lower("http_proxy", proxy.url().c_str());
  ScopedEnv no_proxy("NO_PROXY", nullptr);
  ScopedEnv no_proxy_lower("no_proxy", nullptr);
  TestEnv env;
  env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake.url() + "/");
  net::HttpClient http;
  ImdsCredentialsProvider provider(env.lookup(), http, ImdsOptions{});
  auto c = provider.get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(proxy.hits(), 0);
  // The proxy really is in force for other requests.
  net::HttpRequest plain;
  plain.url = fake.url() + "/latest/meta-data/";
  auto through = http.perform(plain);
  ASSERT_TRUE(through.ok()) << through.error().toString();
  EXPECT_EQ(through->body, "proxied");
}

class ContainerResponseLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fakes::FakeContainerCredentials::Options o;
    o.path = "/v1/credentials";
    o.clock = &clock_;
    fake_ = std::make_unique<fakes::FakeContainerCredentials>(o);
    ASSERT_GT(fake_->start(), 0);
    env_.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_->credentialsUrl());
  }
  TestClock clock_;
  TestEnv env_;
  std::unique_ptr<fakes::FakeContainerCredentials> fake_;
  net::HttpClient http_;
};

TEST_F(ContainerResponseLimitTest, AHugeAnswerFailsAtTheContainerCredentialsLimit) {
  fake_->hugeBodyNext(1, size_t{8} << 20);
  ContainerOptions o;
  o.retry.max_attempts = 1;
  ContainerCredentialsProvider provider(env_.lookup(), http_, o);
  auto c = provider.get();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kTooLarge) << c.error().toString();
  EXPECT_NE(c.error().message.find("65536-byte limit"), std::string::npos) << c.error().toString();
}

TEST_F(ContainerResponseLimitTest, ContainerCredentialsAreNeverFetchedThroughAProxy) {
  TrapProxy proxy;
  ScopedEnv upper("HTTP_PROXY", proxy.url().c_str());
  ScopedEnv lower("http_proxy", proxy.url().c_str());
  ScopedEnv no_proxy("NO_PROXY", nullptr);
  ScopedEnv no_proxy_lower("no_proxy", nullptr);
  ContainerCredentialsProvider provider(env_.lookup(), http_);
  auto c = provider.get();
  ASSERT_TRUE(c.ok()) << c.error().toString();
  EXPECT_EQ(proxy.hits(), 0);
}

TEST(StsResponseLimitTest, AHugeAssumeRoleAnswerFailsAtTheStsLimit) {
  // An STS endpoint (or a proxy posing as one) answering 200 with 4 MiB.
  httplib::Server sts;
  sts.Post("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(size_t{4} << 20, ' '), "text/xml");
  });
  test::ServerThread serving(sts);
  const int port = serving.port();
  TempDir dir;
  TestEnv env;
  env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r");
  env.set("AWS_WEB_IDENTITY_TOKEN_FILE", dir.write("token", "eyJ.token.sig"));
  env.set("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:" + std::to_string(port));
  env.set("AWS_REGION", "us-east-1");
  Result<Credentials> c = makeError(ErrorKind::kInternal, "not run");
  {
    net::HttpClient http;
    WebIdentityOptions o;
    o.timeout = 3s;
    o.retry.max_attempts = 1;
    WebIdentityCredentialsProvider provider(env.lookup(), http, o);
    c = provider.get();
  }
  serving.stop();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kTooLarge) << c.error().toString();
  EXPECT_NE(c.error().message.find("1048576-byte limit"), std::string::npos) << c.error().toString();
}

}  // namespace
}  // namespace aar::aws
