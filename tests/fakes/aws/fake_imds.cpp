#include "fakes/aws/fake_imds.hpp"

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "aws/credentials_util.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "fakes/aws/huge_body.hpp"

namespace aar::fakes {
namespace {

constexpr char kTokenPath[] = "/latest/api/token";
constexpr char kCredentialsPath[] = "/latest/meta-data/iam/security-credentials/";
constexpr char kTtlHeader[] = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr char kTokenHeader[] = "X-aws-ec2-metadata-token";

}  // namespace

struct FakeImds::Impl {
  Options options;
  ServerThread server;
  mutable std::mutex mu;
  std::set<std::string> tokens;
  int fail_next = 0;
  int fail_status = 0;
  int delay_next = 0;
  int huge_next = 0;
  size_t huge_bytes = 0;
  std::chrono::milliseconds delay{0};
  std::vector<LogEntry> log;
  std::vector<IssuedCredentials> issued;

  void handle(const httplib::Request& req, httplib::Response& res) {
    LogEntry entry;
    entry.method = req.method;
    entry.path = req.path;
    entry.token_present = req.has_header(kTokenHeader);

    std::unique_lock<std::mutex> lock(mu);
    if (delay_next > 0) {
      --delay_next;
      const auto d = delay;
      lock.unlock();
      std::this_thread::sleep_for(d);
      lock.lock();
    }
    auto reply = [&](int status, const std::string& body, const char* type = "text/plain") {
      entry.status = status;
      res.status = status;
      res.set_content(body, type);
      log.push_back(entry);
    };
    if (huge_next > 0) {
      --huge_next;
      entry.status = 200;
      log.push_back(entry);
      res.status = 200;
      return setHugeBody(res, huge_bytes, "text/plain", "huge-", 'x', false);
    }
    if (fail_next > 0) {
      --fail_next;
      return reply(fail_status, "injected fault");
    }
    if (req.method == "PUT") {
      if (req.path != kTokenPath) return reply(405, "Method Not Allowed");
      if (req.has_header("X-Forwarded-For")) return reply(403, "Forbidden");
      int ttl = 0;
      try {
        ttl = std::stoi(req.get_header_value(kTtlHeader));
      } catch (...) {
        ttl = 0;
      }
      if (ttl < 1 || ttl > 21600) return reply(400, "Bad Request");
      std::string token = "AQAEA" + randomId(51) + "==";
      tokens.insert(token);
      res.set_header(kTtlHeader, std::to_string(ttl));
      return reply(200, token);
    }
    if (!entry.token_present || tokens.count(req.get_header_value(kTokenHeader)) == 0) {
      return reply(401, "Unauthorized");
    }
    if (req.path == kCredentialsPath) {
      if (options.role_name.empty()) return reply(404, "Not Found");
      return reply(200, options.role_name);
    }
    if (req.path.rfind(kCredentialsPath, 0) != 0 || options.role_name.empty() ||
        req.path.substr(sizeof(kCredentialsPath) - 1) != options.role_name) {
      return reply(404, "Not Found");
    }
    const auto now = options.clock->wallNow();
    IssuedCredentials c = issueCredentials(now, options.duration);
    issued.push_back(c);
    entry.access_key_id = c.access_key_id;
    FakeIam* iam = options.iam;
    const std::string body = nlohmann::json{{"Code", "Success"},
                                            {"LastUpdated", aws::formatIso8601(now)},
                                            {"Type", "AWS-HMAC"},
                                            {"AccessKeyId", c.access_key_id},
                                            {"SecretAccessKey", c.secret_access_key},
                                            {"Token", c.session_token},
                                            {"Expiration", aws::formatIso8601(c.expiration)}}
                                 .dump(2);
    reply(200, body);
    lock.unlock();
    if (iam != nullptr) iam->allowCredentials(c.access_key_id, c.secret_access_key, c.session_token);
  }
};

FakeImds::FakeImds() : FakeImds(Options{}) {}

FakeImds::FakeImds(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { impl_->handle(req, res); };
  impl_->server.server().Get(".*", handler);
  impl_->server.server().Put(".*", handler);
}

FakeImds::~FakeImds() { stop(); }
int FakeImds::start() { return impl_->server.start(); }
void FakeImds::stop() { impl_->server.stop(); }
int FakeImds::port() const { return impl_->server.port(); }
std::string FakeImds::url() const { return impl_->server.url(); }

void FakeImds::setRoleName(const std::string& role) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options.role_name = role;
}
void FakeImds::setDuration(std::chrono::seconds duration) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options.duration = duration;
}
void FakeImds::failNext(int n, int status) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fail_next = n;
  impl_->fail_status = status;
}
void FakeImds::delayNext(int n, std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->delay_next = n;
  impl_->delay = delay;
}
void FakeImds::hugeBodyNext(int n, size_t bytes) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->huge_next = n;
  impl_->huge_bytes = bytes;
}
void FakeImds::clearFaults() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->huge_next = 0;
  impl_->fail_next = 0;
  impl_->delay_next = 0;
}
std::vector<FakeImds::LogEntry> FakeImds::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->log;
}
std::vector<IssuedCredentials> FakeImds::issued() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->issued;
}
void FakeImds::clearLog() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->log.clear();
}

}  // namespace aar::fakes
