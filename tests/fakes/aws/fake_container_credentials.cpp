#include "fakes/aws/fake_container_credentials.hpp"

#include <mutex>
#include <nlohmann/json.hpp>

#include "aws/credentials_util.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "fakes/aws/huge_body.hpp"

namespace aar::fakes {

struct FakeContainerCredentials::Impl {
  Options options;
  ServerThread server;
  mutable std::mutex mu;
  int fail_next = 0;
  int fail_status = 0;
  int huge_next = 0;
  size_t huge_bytes = 0;
  std::vector<LogEntry> log;
  std::vector<IssuedCredentials> issued;

  void handle(const httplib::Request& req, httplib::Response& res) {
    LogEntry entry;
    entry.method = req.method;
    entry.path = req.path;
    entry.authorization_present = req.has_header("Authorization");
    const std::string authorization = req.get_header_value("Authorization");

    std::unique_lock<std::mutex> lock(mu);
    auto deny = [&](int status, const char* code, const char* message) {
      entry.status = status;
      res.status = status;
      res.set_content(nlohmann::json{{"Code", code}, {"Message", message}}.dump(), "application/json");
      log.push_back(entry);
    };
    if (fail_next > 0) {
      --fail_next;
      return deny(fail_status, "InternalError", "injected fault");
    }
    if (huge_next > 0) {
      --huge_next;
      entry.status = 200;
      log.push_back(entry);
      res.status = 200;
      return setHugeBody(res, huge_bytes, "application/json", "{\"AccessKeyId\":\"", 'A', false);
    }
    if (req.path != options.path) return deny(404, "NotFound", "no such credentials path");
    if (!options.expected_authorization.empty()) {
      if (!entry.authorization_present) return deny(401, "AccessDenied", "missing Authorization header");
      if (authorization != options.expected_authorization) return deny(403, "AccessDenied", "invalid token");
    }
    IssuedCredentials c = issueCredentials(options.clock->wallNow(), options.duration);
    issued.push_back(c);
    entry.status = 200;
    entry.access_key_id = c.access_key_id;
    log.push_back(entry);
    FakeIam* iam = options.iam;
    lock.unlock();
    if (iam != nullptr) iam->allowCredentials(c.access_key_id, c.secret_access_key, c.session_token);
    res.status = 200;
    res.set_content(nlohmann::json{{"AccessKeyId", c.access_key_id},
                                   {"SecretAccessKey", c.secret_access_key},
                                   {"Token", c.session_token},
                                   {"AccountId", "123456789012"},
                                   {"Expiration", aws::formatIso8601(c.expiration)},
                                   {"RoleArn", "arn:aws:iam::123456789012:role/aws-auth-refresher"}}
                        .dump(),
                    "application/json");
  }
};

FakeContainerCredentials::FakeContainerCredentials() : FakeContainerCredentials(Options{}) {}

FakeContainerCredentials::FakeContainerCredentials(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->server.server().Get(
      ".*", [this](const httplib::Request& req, httplib::Response& res) { impl_->handle(req, res); });
}

FakeContainerCredentials::~FakeContainerCredentials() { stop(); }
int FakeContainerCredentials::start() { return impl_->server.start(); }
void FakeContainerCredentials::stop() { impl_->server.stop(); }
int FakeContainerCredentials::port() const { return impl_->server.port(); }
std::string FakeContainerCredentials::url() const { return impl_->server.url(); }
std::string FakeContainerCredentials::credentialsUrl() const { return url() + impl_->options.path; }

void FakeContainerCredentials::setExpectedAuthorization(const std::string& value) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options.expected_authorization = value;
}
void FakeContainerCredentials::setDuration(std::chrono::seconds duration) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options.duration = duration;
}
void FakeContainerCredentials::failNext(int n, int status) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fail_next = n;
  impl_->fail_status = status;
}
void FakeContainerCredentials::hugeBodyNext(int n, size_t bytes) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->huge_next = n;
  impl_->huge_bytes = bytes;
}
void FakeContainerCredentials::clearFaults() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->huge_next = 0;
  impl_->fail_next = 0;
}
std::vector<FakeContainerCredentials::LogEntry> FakeContainerCredentials::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->log;
}
std::vector<IssuedCredentials> FakeContainerCredentials::issued() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->issued;
}
void FakeContainerCredentials::clearLog() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->log.clear();
}

}  // namespace aar::fakes
