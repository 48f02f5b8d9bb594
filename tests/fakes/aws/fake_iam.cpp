#include "fakes/aws/fake_iam.hpp"

#include <httplib.h>
#include <openssl/pem.h>

#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "aws/sigv4.hpp"
#include "fakes/aws/huge_body.hpp"
#include "support/server_thread.hpp"

namespace aar::fakes {
namespace {

constexpr char kNamespace[] = "https://iam.amazonaws.com/doc/2010-05-08/";
constexpr char kVersion[] = "2010-05-08";
constexpr char kCreateDate[] = "2019-06-01T12:00:00Z";
constexpr int kMaxItemsLimit = 1000;
constexpr int kDefaultMaxItems = 100;  // IAM's default when MaxItems is absent

struct Entity {
  std::string path;
  std::string name;
  std::string id;
};

struct Secret {
  std::string secret;
  std::string session_token;
  bool expired = false;
  std::string account;  // whose IAM these credentials see
};

struct Group {
  std::string path = "/";
  std::string id;
  std::set<std::string> members;  // user names
};

// One account's IAM: users, roles and groups by name (IAM lists in name order).
struct Store {
  std::map<std::string, Entity> users;
  std::map<std::string, Entity> roles;
  std::map<std::string, Group> groups;
};

struct IamError {
  int status;
  std::string code;
  std::string message;
};

std::string xmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
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
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string formDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hexDigit(s[i + 1]) >= 0 && hexDigit(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexDigit(s[i + 1]) * 16 + hexDigit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> parseForm(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view part = body.substr(start, end - start);
    size_t eq = part.find('=');
    if (!part.empty()) {
      out[formDecode(part.substr(0, eq))] =
          eq == std::string_view::npos ? "" : formDecode(part.substr(eq + 1));
    }
    start = end + 1;
  }
  return out;
}

// Markers are opaque to clients, like IAM's: hex of "<page>|<last name returned>".
std::string makeMarker(int page, const std::string& last) {
  return "M" + aws::sigv4::hex(std::to_string(page) + "|" + last);
}

bool parseMarker(const std::string& marker, int* page, std::string* last) {
  if (marker.size() < 3 || marker[0] != 'M' || (marker.size() - 1) % 2 != 0) return false;
  std::string raw;
  for (size_t i = 1; i + 1 < marker.size(); i += 2) {
    int hi = hexDigit(marker[i]), lo = hexDigit(marker[i + 1]);
    if (hi < 0 || lo < 0) return false;
    raw.push_back(static_cast<char>(hi * 16 + lo));
  }
  size_t bar = raw.find('|');
  if (bar == std::string::npos) return false;
  try {
    *page = std::stoi(raw.substr(0, bar));
  } catch (...) {
    return false;
  }
  *last = raw.substr(bar + 1);
  return *page >= 2;
}

bool parseAmzDate(const std::string& s, std::chrono::system_clock::time_point* out) {
  std::tm tm{};
  if (s.size() != 16 || std::sscanf(s.c_str(), "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return false;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  *out = std::chrono::system_clock::from_time_t(timegm(&tm));
  return true;
}

}  // namespace

struct FakeIam::Impl {
  Options options;
  std::unique_ptr<httplib::Server> server;  // plain or TLS, made by start()/startTls()
  bool tls = false;
  std::unique_ptr<test::ServerThread> serving;  // declared after server: stops before it goes
  int port = 0;

  mutable std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::map<std::string, Secret> credentials;
  std::map<std::string, Store> stores;  // by account id
  long next_id = 1;
  long request_counter = 0;
  int page_cap = 0;
  int throttle_remaining = 0;
  std::string throttle_code = "Throttling";
  int fail_page = 0, fail_status = 500, fail_times = 0;
  std::string fail_action, fail_action_code;
  int fail_action_status = 0, fail_action_times = 0;
  std::chrono::milliseconds delay{0};
  int drop_remaining = 0;
  int huge_remaining = 0;
  size_t huge_bytes = 0;
  bool huge_announce = false;
  std::vector<LogEntry> log;

  std::string newId(const char* prefix) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%017ld", prefix, next_id++);
    return buf;
  }

  std::string requestId() {
    char buf[48];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012ld", ++request_counter);
    return buf;
  }

  std::string accountOr(const std::string& account) const {
    return account.empty() ? options.account_id : account;
  }
  // The store of `account` ("" for the default account), created on first use. Caller holds mu.
  Store& store(const std::string& account) { return stores[accountOr(account)]; }

  std::string arn(const char* kind, const std::string& path, const std::string& name,
                  const std::string& account = "") const {
    return "arn:aws:iam::" + accountOr(account) + ":" + kind + path + name;
  }

  static std::string errorXml(const IamError& e, const std::string& request_id) {
    std::string type = e.status >= 500 ? "Receiver" : "Sender";
    return std::string("<ErrorResponse xmlns=\"") + kNamespace + "\">\n  <Error>\n    <Type>" + type +
           "</Type>\n    <Code>" + e.code + "</Code>\n    <Message>" + xmlEscape(e.message) +
           "</Message>\n  </Error>\n  <RequestId>" + request_id + "</RequestId>\n</ErrorResponse>\n";
  }

  // Recomputes the signature from the request as received. region "" accepts any region. Caller holds no
  // lock.
  std::optional<IamError> verify(const httplib::Request& req, const std::string& service,
                                 const std::string& region, std::string* akid_out, std::string* account_out) {
    auto forbidden = [](std::string code, std::string message) {
      return IamError{403, std::move(code), std::move(message)};
    };
    if (!req.has_header("Authorization")) {
      return forbidden("MissingAuthenticationToken", "Request is missing Authentication Token");
    }
    auto auth = aws::sigv4::parseAuthorization(req.get_header_value("Authorization"));
    if (!auth.ok()) {
      return IamError{
          400, "IncompleteSignature",
          "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."};
    }
    *akid_out = auth->access_key_id;
    Secret secret;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = credentials.find(auth->access_key_id);
      if (it == credentials.end()) {
        return forbidden("InvalidClientTokenId", "The security token included in the request is invalid.");
      }
      secret = it->second;
    }
    *account_out = accountOr(secret.account);
    std::string sent_token = req.get_header_value("X-Amz-Security-Token");
    if (sent_token != secret.session_token) {
      return forbidden("InvalidClientTokenId", "The security token included in the request is invalid.");
    }
    if (secret.expired)
      return forbidden("ExpiredToken", "The security token included in the request is expired");
    if (auth->service != service || (!region.empty() && auth->region != region)) {
      return forbidden("SignatureDoesNotMatch",
                       "Credential should be scoped to a valid region, not '" + auth->region + "'. ");
    }
    std::chrono::system_clock::time_point when;
    bool signs_date = false, signs_host = false;
    for (const auto& h : auth->signed_headers) {
      signs_date = signs_date || h == "x-amz-date";
      signs_host = signs_host || h == "host";
    }
    if (!signs_date || !signs_host || !parseAmzDate(req.get_header_value("X-Amz-Date"), &when) ||
        aws::sigv4::dateStamp(when) != auth->date) {
      return forbidden("SignatureDoesNotMatch",
                       "Signature not yet current or date missing from the signature.");
    }
    aws::sigv4::Request received;
    received.method = req.method;
    received.path = req.path;
    size_t q = req.target.find('?');
    received.query = q == std::string::npos ? "" : req.target.substr(q + 1);
    for (const auto& name : auth->signed_headers) {
      auto range = req.headers.equal_range(name);
      if (range.first == range.second) {
        return forbidden("SignatureDoesNotMatch",
                         "Signed header '" + name + "' is missing from the request.");
      }
      for (auto it = range.first; it != range.second; ++it) received.headers.emplace_back(name, it->second);
    }
    received.body = req.body;
    auto creq = aws::sigv4::canonicalRequest(received, aws::sigv4::sha256Hex(req.body), true);
    std::string sts = aws::sigv4::stringToSign(creq.text, when, auth->region, auth->service);
    std::string key = aws::sigv4::signingKey(secret.secret, auth->date, auth->region, auth->service);
    if (aws::sigv4::signature(key, sts) != auth->signature) {
      return forbidden("SignatureDoesNotMatch",
                       "The request signature we calculated does not match the signature you provided. Check "
                       "your AWS Secret Access Key and signing method. Consult the service documentation for "
                       "details.");
    }
    return std::nullopt;
  }

  // One page. `head` goes first inside the Result (GetGroup's Group element). `account` names the ARNs.
  std::string listXml(const std::string& action, const std::map<std::string, Entity>& store, const char* kind,
                      const char* list_tag, const char* name_tag, const char* id_tag,
                      const std::string& prefix, const std::string& after, int page, int max_items,
                      const std::string& request_id, const std::string& account,
                      const std::string& head = "") const {
    std::string body;
    body.reserve(512 + static_cast<size_t>(max_items) * 400);
    body += "<" + action + "Response xmlns=\"" + kNamespace + "\">\n  <" + action + "Result>\n" + head +
            "    <" + list_tag + ">\n";
    auto it = after.empty() ? store.begin() : store.upper_bound(after);
    int count = 0;
    std::string last;
    for (; it != store.end(); ++it) {
      const Entity& e = it->second;
      if (e.path.compare(0, prefix.size(), prefix) != 0) continue;
      if (count == max_items) break;
      ++count;
      last = e.name;
      body += "      <member>\n        <Path>";
      body += xmlEscape(e.path);
      body += "</Path>\n        <";
      body += name_tag;
      body += ">";
      body += xmlEscape(e.name);
      body += "</";
      body += name_tag;
      body += ">\n        <";
      body += id_tag;
      body += ">";
      body += e.id;
      body += "</";
      body += id_tag;
      body += ">\n        <Arn>";
      body += xmlEscape(arn(kind, e.path, e.name, account));
      body += "</Arn>\n        <CreateDate>";
      body += kCreateDate;
      body += "</CreateDate>\n";
      if (std::string_view(kind) == "role") {
        body +=
            "        "
            "<AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"
            "</AssumeRolePolicyDocument>\n        <MaxSessionDuration>3600</MaxSessionDuration>\n";
      }
      body += "      </member>\n";
    }
    bool truncated = false;
    for (; it != store.end(); ++it) {
      if (it->second.path.compare(0, prefix.size(), prefix) == 0) {
        truncated = true;
        break;
      }
    }
    body += "    </" + std::string(list_tag) + ">\n    <IsTruncated>" + (truncated ? "true" : "false") +
            "</IsTruncated>\n";
    if (truncated) body += "    <Marker>" + makeMarker(page + 1, last) + "</Marker>\n";
    body += "  </" + action + "Result>\n  <ResponseMetadata>\n    <RequestId>" + request_id +
            "</RequestId>\n  </ResponseMetadata>\n</" + action + "Response>\n";
    return body;
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    LogEntry entry;
    auto form = parseForm(req.body);
    entry.action = form.count("Action") ? form["Action"] : "";
    entry.marker = form.count("Marker") ? form["Marker"] : "";
    entry.path_prefix = form.count("PathPrefix") ? form["PathPrefix"] : "";
    entry.group_name = form.count("GroupName") ? form["GroupName"] : "";
    bool listing = entry.action == "ListUsers" || entry.action == "ListRoles" || entry.action == "GetGroup";
    std::string last;
    int page = 1;
    std::optional<IamError> error;
    if (listing && !entry.marker.empty() && !parseMarker(entry.marker, &page, &last)) {
      error = IamError{400, "ValidationError", "Invalid value for parameter Marker."};
    }
    entry.page = listing ? page : 0;
    if (form.count("MaxItems")) {
      try {
        entry.max_items = std::stoi(form["MaxItems"]);
      } catch (...) {
        entry.max_items = -1;
      }
    }

    std::string request_id;
    bool drop = false;
    std::chrono::milliseconds wait{0};
    {
      std::lock_guard<std::mutex> lock(mu);
      request_id = requestId();
      wait = delay;
      if (drop_remaining > 0) {
        --drop_remaining;
        drop = true;
      }
    }
    if (wait.count() > 0) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, wait, [&] { return stopping; });
    }

    std::string account;
    if (!error) error = verify(req, "iam", options.signing_region, &entry.access_key_id, &account);
    entry.account = account;
    if (!error) {
      std::lock_guard<std::mutex> lock(mu);
      if (throttle_remaining > 0) {
        --throttle_remaining;
        error = IamError{400, throttle_code, "Rate exceeded"};
      } else if (!fail_action.empty() && entry.action == fail_action && fail_action_times != 0) {
        if (fail_action_times > 0) --fail_action_times;
        error = IamError{fail_action_status, fail_action_code, "injected fault"};
      } else if (listing && page == fail_page && fail_times != 0) {
        if (fail_times > 0) --fail_times;
        error = fail_status == 503 ? IamError{503, "ServiceUnavailable", "Service is unavailable."}
                                   : IamError{fail_status, "ServiceFailure", "Internal failure."};
      }
    }
    if (!error && entry.action.empty()) error = IamError{400, "MissingAction", "Missing Action"};
    if (!error && form["Version"] != kVersion) {
      error = IamError{400, "InvalidParameterValue", "Invalid Version '" + form["Version"] + "'"};
    }
    if (!error && !listing) {
      error = IamError{400, "InvalidAction",
                       "Could not find operation " + entry.action + " for version " + kVersion};
    }
    if (!error && entry.action == "GetGroup" && entry.group_name.empty()) {
      error = IamError{400, "ValidationError",
                       "1 validation error detected: Value null at 'groupName' failed to satisfy constraint: "
                       "Member must not be null"};
    }
    if (!error && form.count("MaxItems") && (entry.max_items < 1 || entry.max_items > kMaxItemsLimit)) {
      error = IamError{
          400, "ValidationError",
          "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must "
          "have value between 1 and 1000"};
    }

    std::string body;
    if (!error && entry.action == "GetGroup") {
      std::lock_guard<std::mutex> lock(mu);
      const Store& st = store(account);
      if (st.groups.count(entry.group_name) == 0) {
        error =
            IamError{404, "NoSuchEntity", "The group with name " + entry.group_name + " cannot be found."};
      }
    }
    if (error) {
      body = errorXml(*error, request_id);
      res.status = error->status;
      entry.status = error->status;
      entry.error_code = error->code;
    } else {
      int max_items = form.count("MaxItems") ? entry.max_items : kDefaultMaxItems;
      std::lock_guard<std::mutex> lock(mu);
      if (page_cap > 0 && page_cap < max_items) max_items = page_cap;
      const Store& st = store(account);
      if (entry.action == "ListUsers") {
        body = listXml("ListUsers", st.users, "user", "Users", "UserName", "UserId", entry.path_prefix, last,
                       page, max_items, request_id, account);
      } else if (entry.action == "ListRoles") {
        body = listXml("ListRoles", st.roles, "role", "Roles", "RoleName", "RoleId", entry.path_prefix, last,
                       page, max_items, request_id, account);
      } else {
        const Group& g = st.groups.at(entry.group_name);
        std::map<std::string, Entity> members;
        for (const auto& name : g.members) {
          if (auto it = st.users.find(name); it != st.users.end()) members.emplace(name, it->second);
        }
        const std::string head = "    <Group>\n      <Path>" + xmlEscape(g.path) +
                                 "</Path>\n      <GroupName>" + xmlEscape(entry.group_name) +
                                 "</GroupName>\n      <GroupId>" + g.id + "</GroupId>\n      <Arn>" +
                                 xmlEscape(arn("group", g.path, entry.group_name, account)) +
                                 "</Arn>\n      <CreateDate>" + kCreateDate + "</CreateDate>\n    </Group>\n";
        body = listXml("GetGroup", members, "user", "Users", "UserName", "UserId", "", last, page, max_items,
                       request_id, account, head);
      }
      res.status = 200;
      entry.status = 200;
    }
    res.set_header("x-amzn-RequestId", request_id);
    size_t huge = 0;
    bool announce = false;
    if (!error) {
      std::lock_guard<std::mutex> lock(mu);
      if (huge_remaining > 0) {
        --huge_remaining;
        huge = huge_bytes;
        announce = huge_announce;
      }
    }
    if (huge > 0) {
      setHugeBody(
          res, huge, "text/xml",
          "<ListUsersResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListUsersResult><Users>",
          ' ', announce);
    } else if (drop) {
      entry.status = 0;
      res.set_content_provider(body.size(), "text/xml",
                               [](size_t, size_t, httplib::DataSink&) { return false; });
    } else {
      res.set_content(std::move(body), "text/xml");
    }
    std::lock_guard<std::mutex> lock(mu);
    log.push_back(std::move(entry));
  }
};

FakeIam::FakeIam() : FakeIam(Options{}) {}

FakeIam::FakeIam(Options options) : impl_(std::make_unique<Impl>()) { impl_->options = std::move(options); }

FakeIam::~FakeIam() { stop(); }

namespace {

// Loads one PEM certificate and one PEM private key; nullptrs on failure.
std::pair<X509*, EVP_PKEY*> loadPem(const std::string& cert_pem, const std::string& key_pem) {
  BIO* cert_bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  BIO* key_bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  X509* cert = cert_bio ? PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr) : nullptr;
  EVP_PKEY* key = key_bio ? PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(cert_bio);
  BIO_free(key_bio);
  return {cert, key};
}

}  // namespace

int FakeIam::start() { return startTls("", ""); }

int FakeIam::startTls(const std::string& cert_pem, const std::string& key_pem) {
  if (impl_->serving) return impl_->port;
  if (cert_pem.empty()) {
    impl_->server = std::make_unique<httplib::Server>();
  } else {
    auto [cert, key] = loadPem(cert_pem, key_pem);
    if (cert != nullptr && key != nullptr) impl_->server = std::make_unique<httplib::SSLServer>(cert, key);
    X509_free(cert);  // SSLServer keeps its own references
    EVP_PKEY_free(key);
    if (!impl_->server || !impl_->server->is_valid()) return 0;
    impl_->tls = true;
  }
  // Headers and body go out in separate writes; without TCP_NODELAY the body waits for a delayed ACK (~40
  // ms).
  impl_->server->set_tcp_nodelay(true);
  impl_->server->Post(
      "/", [this](const httplib::Request& req, httplib::Response& res) { impl_->handle(req, res); });
  try {
    impl_->serving = std::make_unique<test::ServerThread>(*impl_->server);
  } catch (const std::runtime_error&) {
    return impl_->port = 0;  // cannot bind 127.0.0.1
  }
  return impl_->port = impl_->serving->port();
}

void FakeIam::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->serving.reset();
}

int FakeIam::port() const { return impl_->port; }
std::string FakeIam::url() const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port);
}

void FakeIam::allowCredentials(const std::string& access_key_id, const std::string& secret_access_key,
                               const std::string& session_token, const std::string& account) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->credentials[access_key_id] = Secret{secret_access_key, session_token, false, account};
}

std::optional<FakeIam::AuthFailure> FakeIam::authenticate(const httplib::Request& req,
                                                          const std::string& service,
                                                          const std::string& region,
                                                          std::string* access_key_id, std::string* account) {
  auto failure = impl_->verify(req, service, region, access_key_id, account);
  if (!failure) return std::nullopt;
  return AuthFailure{failure->status, failure->code, failure->message};
}

std::optional<FakeIam::Accepted> FakeIam::acceptedCredentials(const std::string& access_key_id) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->credentials.find(access_key_id);
  if (it == impl_->credentials.end()) return std::nullopt;
  return Accepted{it->second.secret, it->second.session_token, it->second.expired};
}

const std::string& FakeIam::accountId() const { return impl_->options.account_id; }

void FakeIam::expireCredentials(const std::string& access_key_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->credentials.find(access_key_id);
  if (it != impl_->credentials.end()) it->second.expired = true;
}

void FakeIam::addUser(const std::string& name, const std::string& path, const std::string& account) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->store(account).users[name] = Entity{path, name, impl_->newId("AIDA")};
}

void FakeIam::addUsers(int count, const std::string& prefix, const std::string& path,
                       const std::string& account) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto& users = impl_->store(account).users;
  for (int i = 0; i < count; ++i) {
    char num[16];
    std::snprintf(num, sizeof num, "%05d", i);
    std::string name = prefix + num;
    users[name] = Entity{path, name, impl_->newId("AIDA")};
  }
}

bool FakeIam::removeUser(const std::string& name, const std::string& account) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Store& st = impl_->store(account);
  for (auto& [group_name, group] : st.groups) group.members.erase(name);  // as DeleteUser requires
  return st.users.erase(name) > 0;
}

void FakeIam::addRole(const std::string& name, const std::string& path, const std::string& account) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->store(account).roles[name] = Entity{path, name, impl_->newId("AROA")};
}

bool FakeIam::removeRole(const std::string& name, const std::string& account) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->store(account).roles.erase(name) > 0;
}

void FakeIam::addGroup(const std::string& group, const std::string& path, const std::string& account) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Group& g = impl_->store(account).groups[group];
  g.path = path;
  if (g.id.empty()) g.id = impl_->newId("AGPA");
}

bool FakeIam::removeGroup(const std::string& group, const std::string& account) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->store(account).groups.erase(group) > 0;
}

bool FakeIam::addGroupMember(const std::string& group, const std::string& user, const std::string& account) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Store& st = impl_->store(account);
  auto g = st.groups.find(group);
  if (g == st.groups.end() || st.users.count(user) == 0) return false;
  g->second.members.insert(user);
  return true;
}

bool FakeIam::removeGroupMember(const std::string& group, const std::string& user,
                                const std::string& account) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Store& st = impl_->store(account);
  auto g = st.groups.find(group);
  return g != st.groups.end() && g->second.members.erase(user) > 0;
}

size_t FakeIam::userCount(const std::string& account) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->stores.find(impl_->accountOr(account));
  return it == impl_->stores.end() ? 0 : it->second.users.size();
}

std::string FakeIam::userArn(const std::string& name, const std::string& path,
                             const std::string& account) const {
  return impl_->arn("user", path, name, account);
}

std::string FakeIam::roleArn(const std::string& name, const std::string& path,
                             const std::string& account) const {
  return impl_->arn("role", path, name, account);
}

void FakeIam::setPageCap(int cap) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->page_cap = cap;
}

void FakeIam::throttleNext(int n, const std::string& code) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->throttle_remaining = n;
  impl_->throttle_code = code;
}

void FakeIam::failPage(int page, int status, int times) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fail_page = page;
  impl_->fail_status = status;
  impl_->fail_times = times;
}

void FakeIam::failAction(const std::string& action, int status, const std::string& code, int times) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fail_action = action;
  impl_->fail_action_status = status;
  impl_->fail_action_code = code;
  impl_->fail_action_times = times;
}

void FakeIam::setDelay(std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->delay = delay;
}

void FakeIam::dropNext(int n) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->drop_remaining = n;
}

void FakeIam::hugeBodyNext(int n, size_t bytes, bool announce_length) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->huge_remaining = n;
  impl_->huge_bytes = bytes;
  impl_->huge_announce = announce_length;
}

void FakeIam::clearFaults() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->huge_remaining = 0;
  impl_->page_cap = 0;
  impl_->throttle_remaining = 0;
  impl_->fail_page = 0;
  impl_->fail_times = 0;
  impl_->fail_action.clear();
  impl_->fail_action_times = 0;
  impl_->delay = std::chrono::milliseconds(0);
  impl_->drop_remaining = 0;
}

std::vector<FakeIam::LogEntry> FakeIam::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->log;
}

void FakeIam::clearLog() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->log.clear();
}

}  // namespace aar::fakes
