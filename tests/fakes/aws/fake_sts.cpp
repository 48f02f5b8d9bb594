#include "fakes/aws/fake_sts.hpp"

#include <map>
#include <mutex>
#include <set>

#include "aws/credentials_util.hpp"
#include "fakes/aws/fake_iam.hpp"

namespace aar::fakes {
namespace {

constexpr char kNamespace[] = "https://sts.amazonaws.com/doc/2011-06-15/";
constexpr char kAction[] = "AssumeRoleWithWebIdentity";
constexpr char kAssumeRole[] = "AssumeRole";
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
  std::set<std::string> denied_roles;               // AssumeRole answers AccessDenied for these
  std::map<std::string, std::string> external_ids;  // role ARN → the ExternalId its trust policy demands

  // The account id in a role ARN (arn:aws:iam::<account>:role/...), "" when it is not one.
  static std::string roleAccount(const std::string& arn) {
    const std::string prefix = "arn:aws:iam::";
    if (arn.compare(0, prefix.size(), prefix) != 0) return "";
    size_t colon = arn.find(':', prefix.size());
    if (colon == std::string::npos || arn.compare(colon + 1, 5, "role/") != 0) return "";
    return arn.substr(prefix.size(), colon - prefix.size());
  }

  // STS AssumeRole: signed by the caller (SigV4, service sts), into the role's account.
  void handleAssumeRole(const httplib::Request& req, httplib::Response& res, LogEntry& entry) {
    entry.external_id = req.get_param_value("ExternalId");
    const std::string duration_text = req.get_param_value("DurationSeconds");
    FakeIam* iam = options.iam;
    std::string caller_akid, caller_account;
    auto finish = [&] {
      std::lock_guard<std::mutex> lock(mu);
      log.push_back(entry);
    };
    if (iam == nullptr) {
      sendError(res, entry, 500, "InternalFailure", "fake STS has no FakeIam to authenticate against");
      return finish();
    }
    if (auto failure = iam->authenticate(req, "sts", "", &caller_akid, &caller_account)) {
      sendError(res, entry, failure->status, failure->code, failure->message);
      return finish();
    }
    entry.caller_access_key_id = caller_akid;
    std::unique_lock<std::mutex> lock(mu);
    if (fail_next > 0) {
      --fail_next;
      sendError(res, entry, fail_status, fail_code, "injected fault");
      lock.unlock();
      return finish();
    }
    for (const char* p : {"RoleArn", "RoleSessionName"}) {
      if (req.get_param_value(p).empty()) {
        sendError(res, entry, 400, "MissingParameter",
                  std::string("The request must contain the parameter ") + p);
        lock.unlock();
        return finish();
      }
    }
    std::chrono::seconds duration{3600};
    if (!duration_text.empty()) {
      int d = 0;
      try {
        d = std::stoi(duration_text);
      } catch (...) {
        d = 0;
      }
      if (d < 900 || d > 43200) {
        sendError(
            res, entry, 400, "ValidationError",
            "1 validation error detected: Value '" + duration_text +
                "' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 "
                "and 43200");
        lock.unlock();
        return finish();
      }
      duration = std::chrono::seconds(d);
    }
    entry.duration_seconds = static_cast<int>(duration.count());
    const std::string target_account = roleAccount(entry.role_arn);
    auto wanted = external_ids.find(entry.role_arn);
    const bool external_id_ok = wanted == external_ids.end() || wanted->second == entry.external_id;
    if (target_account.empty() || denied_roles.count(entry.role_arn) != 0 || !external_id_ok) {
      sendError(res, entry, 403, "AccessDenied",
                "User: arn:aws:iam::" + caller_account +
                    ":user/caller is not authorized to perform: "
                    "sts:AssumeRole on resource: " +
                    entry.role_arn);
      lock.unlock();
      return finish();
    }
    // The fake's configured lifetime caps the asked one, so tests can make short-lived sessions.
    duration = std::min(duration, options.duration);
    IssuedCredentials c = issueCredentials(options.clock->wallNow(), duration);
    issued.push_back(c);
    entry.status = 200;
    entry.access_key_id = c.access_key_id;
    lock.unlock();
    finish();
    iam->allowCredentials(c.access_key_id, c.secret_access_key, c.session_token, target_account);

    const std::string role_name = entry.role_arn.substr(entry.role_arn.rfind('/') + 1);
    const std::string role_id = "AROA" + randomId(17);
    res.status = 200;
    res.set_content(std::string("<AssumeRoleResponse xmlns=\"") + kNamespace +
                        "\">\n  <AssumeRoleResult>\n"
                        "    <AssumedRoleUser>\n      <Arn>arn:aws:sts::" +
                        target_account + ":assumed-role/" + xmlEscape(role_name) + "/" +
                        xmlEscape(entry.role_session_name) + "</Arn>\n      <AssumedRoleId>" + role_id + ":" +
                        xmlEscape(entry.role_session_name) +
                        "</AssumedRoleId>\n    </AssumedRoleUser>\n    <Credentials>\n      <SessionToken>" +
                        c.session_token + "</SessionToken>\n      <SecretAccessKey>" + c.secret_access_key +
                        "</SecretAccessKey>\n      <Expiration>" + aws::formatIso8601(c.expiration) +
                        "</Expiration>\n      <AccessKeyId>" + c.access_key_id +
                        "</AccessKeyId>\n    </Credentials>\n    <PackedPolicySize>6</PackedPolicySize>\n"
                        "  </AssumeRoleResult>\n  <ResponseMetadata>\n    <RequestId>" +
                        requestId() + "</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n",
                    "text/xml");
  }

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
    if (entry.action == kAssumeRole && req.get_param_value("Version") == kVersion) {
      return handleAssumeRole(req, res, entry);
    }

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
    const auto now = options.clock->wallNow();
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
  impl_->denied_roles.clear();
}
void FakeSts::denyAssumeRole(const std::string& role_arn, bool deny) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (deny) {
    impl_->denied_roles.insert(role_arn);
  } else {
    impl_->denied_roles.erase(role_arn);
  }
}
void FakeSts::requireExternalId(const std::string& role_arn, const std::string& external_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (external_id.empty()) {
    impl_->external_ids.erase(role_arn);
  } else {
    impl_->external_ids[role_arn] = external_id;
  }
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
