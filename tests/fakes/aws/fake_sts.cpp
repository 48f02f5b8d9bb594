#include "fakes/aws/fake_sts.hpp"

#include <mutex>

#include "aws/credentials_util.hpp"
#include "fakes/aws/fake_iam.hpp"

namespace aar::fakes {
namespace {

constexpr char kNamespace[] = "https://sts.amazonaws.com/doc/2011-06-15/";
constexpr char kAction[] = "AssumeRoleWithWebIdentity";
constexpr char kVersion[] = "2011-06-15";

std::string xmlEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string requestId() {
  const std::string r = randomId(32);
  return r.substr(0, 8) + "-" + r.substr(8, 4) + "-" + r.substr(12, 4) + "-" + r.substr(16, 4) + "-" +
         r.substr(20);
}

}  // namespace

struct FakeSts::Impl {
  Options options;
  ServerThread server;
  mutable std::mutex mu;
  bool token_expired = false;
  int fail_next = 0;
  int fail_status = 0;
  std::string fail_code;
  std::vector<LogEntry> log;
  std::vector<IssuedCredentials> issued;

  void sendError(httplib::Response& res, LogEntry& entry, int status, const std::string& code,
                 const std::string& message) {
    entry.status = status;
    entry.error_code = code;
    res.status = status;
    res.set_content(std::string("<ErrorResponse xmlns=\"") + kNamespace + "\">\n  <Error>\n    <Type>" +
                        (status >= 500 ? "Receiver" : "Sender") + "</Type>\n    <Code>" + xmlEscape(code) +
                        "</Code>\n    <Message>" + xmlEscape(message) +
                        "</Message>\n  </Error>\n  <RequestId>" + requestId() +
                        "</RequestId>\n</ErrorResponse>\n",
                    "text/xml");
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    LogEntry entry;
    entry.action = req.get_param_value("Action");
    entry.role_arn = req.get_param_value("RoleArn");
    entry.role_session_name = req.get_param_value("RoleSessionName");
    const std::string token = req.get_param_value("WebIdentityToken");
    entry.token_present = !token.empty();

    std::unique_lock<std::mutex> lock(mu);
    auto finish = [&] { log.push_back(entry); };
    if (fail_next > 0) {
      --fail_next;
      sendError(res, entry, fail_status, fail_code, "injected fault");
      return finish();
    }
    if (entry.action != kAction || req.get_param_value("Version") != kVersion) {
      sendError(
          res, entry, 400, "InvalidAction",
          "Could not find operation " + entry.action + " for version " + req.get_param_value("Version"));
      return finish();
    }
    for (const char* p : {"RoleArn", "RoleSessionName", "WebIdentityToken"}) {
      if (req.get_param_value(p).empty()) {
        sendError(res, entry, 400, "MissingParameter",
                  std::string("The request must contain the parameter ") + p);
        return finish();
      }
    }
    if (!options.expected_token.empty() && token != options.expected_token) {
      sendError(res, entry, 400, "InvalidIdentityToken",
                "The web identity token that was passed could not be validated");
      return finish();
    }
    if (token_expired) {
      sendError(res, entry, 400, "ExpiredTokenException",
                "Token expired: current date/time must be before the expiration date/time");
      return finish();
    }
    if (!options.expected_role_arn.empty() && entry.role_arn != options.expected_role_arn) {
      sendError(res, entry, 403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
      return finish();
    }
    const auto now = aws::nowFrom(options.clock);
    IssuedCredentials c = issueCredentials(now, options.duration);
    issued.push_back(c);
    entry.status = 200;
    entry.access_key_id = c.access_key_id;
    FakeIam* iam = options.iam;
    finish();
    lock.unlock();
    if (iam != nullptr) iam->allowCredentials(c.access_key_id, c.secret_access_key, c.session_token);

    std::string role_name = entry.role_arn.substr(entry.role_arn.rfind('/') + 1);
    const std::string body =
        std::string("<AssumeRoleWithWebIdentityResponse xmlns=\"") + kNamespace +
        "\">\n  <AssumeRoleWithWebIdentityResult>\n"
        "    <SubjectFromWebIdentityToken>system:serviceaccount:kube-system:aws-auth-refresher"
        "</SubjectFromWebIdentityToken>\n"
        "    <Audience>sts.amazonaws.com</Audience>\n"
        "    <AssumedRoleUser>\n      <Arn>arn:aws:sts::" +
        options.account_id + ":assumed-role/" + xmlEscape(role_name) + "/" +
        xmlEscape(entry.role_session_name) + "</Arn>\n      <AssumedRoleId>AROA" + randomId(17) + ":" +
        xmlEscape(entry.role_session_name) +
        "</AssumedRoleId>\n    </AssumedRoleUser>\n"
        "    <Credentials>\n      <SessionToken>" +
        c.session_token + "</SessionToken>\n      <SecretAccessKey>" + c.secret_access_key +
        "</SecretAccessKey>\n      <Expiration>" + aws::formatIso8601(c.expiration) +
        "</Expiration>\n      <AccessKeyId>" + c.access_key_id +
        "</AccessKeyId>\n    </Credentials>\n"
        "    <Provider>arn:aws:iam::" +
        options.account_id +
        ":oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE</Provider>\n"
        "  </AssumeRoleWithWebIdentityResult>\n  <ResponseMetadata>\n    <RequestId>" +
        requestId() + "</RequestId>\n  </ResponseMetadata>\n</AssumeRoleWithWebIdentityResponse>\n";
    res.status = 200;
    res.set_content(body, "text/xml");
  }
};

FakeSts::FakeSts() : FakeSts(Options{}) {}

FakeSts::FakeSts(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { impl_->handle(req, res); };
  impl_->server.server().Post("/", handler);
  impl_->server.server().Get("/", handler);
}

FakeSts::~FakeSts() { stop(); }
int FakeSts::start() { return impl_->server.start(); }
void FakeSts::stop() { impl_->server.stop(); }
int FakeSts::port() const { return impl_->server.port(); }
std::string FakeSts::url() const { return impl_->server.url(); }

void FakeSts::setExpectedToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options.expected_token = token;
}
void FakeSts::setDuration(std::chrono::seconds duration) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->options.duration = duration;
}
void FakeSts::setTokenExpired(bool expired) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->token_expired = expired;
}
void FakeSts::failNext(int n, int status, const std::string& code) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fail_next = n;
  impl_->fail_status = status;
  impl_->fail_code = code;
}
void FakeSts::clearFaults() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fail_next = 0;
  impl_->token_expired = false;
}
std::vector<FakeSts::LogEntry> FakeSts::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->log;
}
std::vector<IssuedCredentials> FakeSts::issued() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->issued;
}
void FakeSts::clearLog() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->log.clear();
}

}  // namespace aar::fakes
