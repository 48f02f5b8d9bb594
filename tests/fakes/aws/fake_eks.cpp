#include "fakes/aws/fake_eks.hpp"

#include <httplib.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "aws/sigv4.hpp"
#include "support/server_thread.hpp"

namespace aar::fakes {
namespace {

using nlohmann::json;

constexpr double kEpoch = 1700000000.0;  // createdAt of everything; each change adds a second
constexpr int kDefaultMaxResults = 100;
constexpr int kMaxResultsLimit = 100;
constexpr int kMaxTags = 50;
constexpr char kErrorTypeSuffix[] = ":http://internal.amazon.com/coral/com.amazonaws.eks/";
constexpr char kPolicyArnPrefix[] = "arn:aws:eks::aws:cluster-access-policy/";

struct Secret {
  std::string secret;
  std::string session_token;
  bool expired = false;
};

struct EksError {
  int status;
  std::string code;
  std::string message;
};

struct Association {
  FakeEks::Scope scope;
  double associated_at = kEpoch;
  double modified_at = kEpoch;
};

struct Stored {
  FakeEks::Entry entry;
  std::string entry_arn;
  std::string request_token;  // the clientRequestToken that created it
  double created_at = kEpoch;
  double modified_at = kEpoch;
  std::map<std::string, Association> associations;
};

struct Cluster {
  std::string mode;
  std::map<std::string, Stored> entries;  // by principal ARN: listed in this order
};

struct Route {
  std::string operation;
  std::string cluster;
  std::string principal;
  std::string policy;
  bool mutating = false;
};

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (plus_is_space && s[i] == '+') {
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

std::map<std::string, std::string> parseQuery(std::string_view q) {
  std::map<std::string, std::string> out;
  size_t start = 0;
  while (start < q.size()) {
    size_t end = q.find('&', start);
    if (end == std::string_view::npos) end = q.size();
    std::string_view part = q.substr(start, end - start);
    size_t eq = part.find('=');
    if (!part.empty()) {
      out[percentDecode(part.substr(0, eq), true)] =
          eq == std::string_view::npos ? "" : percentDecode(part.substr(eq + 1), true);
    }
    start = end + 1;
  }
  return out;
}

// Splits the raw path on '/' and decodes each segment: an encoded '/' (%2F) stays inside its segment.
std::vector<std::string> segments(std::string_view raw_path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= raw_path.size()) {
    size_t end = raw_path.find('/', start);
    if (end == std::string_view::npos) end = raw_path.size();
    out.push_back(percentDecode(raw_path.substr(start, end - start), false));
    start = end + 1;
  }
  return out;
}

std::optional<Route> route(const std::string& method, const std::vector<std::string>& seg) {
  if (seg.size() < 2 || seg[0] != "clusters" || seg[1].empty()) return std::nullopt;
  Route r;
  r.cluster = seg[1];
  if (seg.size() == 2) {
    if (method != "GET") return std::nullopt;
    r.operation = "DescribeCluster";
    return r;
  }
  if (seg[2] != "access-entries") return std::nullopt;
  if (seg.size() == 3) {
    if (method == "GET") r.operation = "ListAccessEntries";
    if (method == "POST") r.operation = "CreateAccessEntry";
  } else if (!seg[3].empty()) {
    r.principal = seg[3];
    if (seg.size() == 4) {
      if (method == "GET") r.operation = "DescribeAccessEntry";
      if (method == "POST") r.operation = "UpdateAccessEntry";
      if (method == "DELETE") r.operation = "DeleteAccessEntry";
    } else if (seg[4] == "access-policies" && seg.size() == 5) {
      if (method == "GET") r.operation = "ListAssociatedAccessPolicies";
      if (method == "POST") r.operation = "AssociateAccessPolicy";
    } else if (seg[4] == "access-policies" && seg.size() == 6 && !seg[5].empty() && method == "DELETE") {
      r.operation = "DisassociateAccessPolicy";
      r.policy = seg[5];
    }
  }
  if (r.operation.empty()) return std::nullopt;
  r.mutating = r.operation != "ListAccessEntries" && r.operation != "DescribeAccessEntry" &&
               r.operation != "ListAssociatedAccessPolicies";
  return r;
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

// Tokens are opaque to clients: hex of the last key returned.
std::string makeToken(const std::string& last) { return "T" + aws::sigv4::hex(last); }

bool parseToken(const std::string& token, std::string* last) {
  if (token.size() < 3 || token[0] != 'T' || (token.size() - 1) % 2 != 0) return false;
  last->clear();
  for (size_t i = 1; i + 1 < token.size(); i += 2) {
    int hi = hexDigit(token[i]), lo = hexDigit(token[i + 1]);
    if (hi < 0 || lo < 0) return false;
    last->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

// "arn:<partition>:iam::<12 digits>:user/..." or ":role/..."; kind gets "user" or "role".
bool validPrincipalArn(const std::string& arn, std::string* kind, std::string* name) {
  if (arn.rfind("arn:", 0) != 0) return false;
  size_t iam = arn.find(":iam::");
  if (iam == std::string::npos || iam < 5) return false;
  size_t account_end = arn.find(':', iam + 6);
  if (account_end != iam + 6 + 12) return false;
  for (size_t i = iam + 6; i < account_end; ++i) {
    if (arn[i] < '0' || arn[i] > '9') return false;
  }
  std::string rest = arn.substr(account_end + 1);
  for (const char* k : {"user/", "role/"}) {
    if (rest.rfind(k, 0) == 0 && rest.size() > 5 && rest.back() != '/') {
      *kind = std::string(k, 4);
      *name = rest.substr(rest.rfind('/') + 1);
      return true;
    }
  }
  return false;
}

bool knownPolicy(const std::string& arn) {
  static const char* const kPolicies[] = {
      "AmazonEKSAdminPolicy",        "AmazonEKSClusterAdminPolicy", "AmazonEKSEditPolicy",
      "AmazonEKSViewPolicy",         "AmazonEKSAdminViewPolicy",    "AmazonEKSAutoNodePolicy",
      "AmazonEKSBlockStoragePolicy", "AmazonEKSNetworkingPolicy",   "AmazonEKSLoadBalancingPolicy",
  };
  if (arn.rfind(kPolicyArnPrefix, 0) != 0) return false;
  std::string name = arn.substr(sizeof(kPolicyArnPrefix) - 1);
  for (const char* p : kPolicies) {
    if (name == p) return true;
  }
  return false;
}

bool isStringArray(const json& j) {
  if (!j.is_array()) return false;
  for (const auto& v : j) {
    if (!v.is_string()) return false;
  }
  return true;
}

std::optional<EksError> checkGroupsAndUsername(const json& body) {
  if (body.contains("kubernetesGroups")) {
    if (!isStringArray(body["kubernetesGroups"])) {
      return EksError{400, "InvalidParameterException", "kubernetesGroups must be a list of strings."};
    }
    for (const auto& g : body["kubernetesGroups"]) {
      if (g.get<std::string>().rfind("system:", 0) == 0) {
        return EksError{400, "InvalidParameterException",
                        "The kubernetes group name " + g.get<std::string>() +
                            " is invalid, it cannot start with system:"};
      }
    }
  }
  if (body.contains("username")) {
    if (!body["username"].is_string() || body["username"].get<std::string>().empty()) {
      return EksError{400, "InvalidParameterException", "username must be a non-empty string."};
    }
    const std::string u = body["username"].get<std::string>();
    for (const char* reserved : {"system:", "eks:", "aws:", "amazon:", "iam:"}) {
      if (u.rfind(reserved, 0) == 0) {
        return EksError{400, "InvalidParameterException",
                        "The username " + u + " is invalid, it cannot start with " + reserved};
      }
    }
  }
  return std::nullopt;
}

std::string defaultUsername(const FakeEks::Entry& e, const std::string& account) {
  if (e.type == "EC2_LINUX" || e.type == "EC2_WINDOWS") return "system:node:{{EC2PrivateDNSName}}";
  if (e.type == "FARGATE_LINUX") return "system:node:{{SessionName}}";
  std::string kind, name;
  if (validPrincipalArn(e.principal_arn, &kind, &name) && kind == "role") {
    return "arn:aws:sts::" + account + ":assumed-role/" + name + "/{{SessionName}}";
  }
  return e.principal_arn;
}

json scopeJson(const FakeEks::Scope& s) {
  json out = {{"type", s.type}};
  if (s.type == "namespace") out["namespaces"] = s.namespaces;
  return out;
}

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

struct FakeEks::Impl {
  Options options;
  std::unique_ptr<httplib::Server> server;
  bool tls = false;
  std::unique_ptr<test::ServerThread> serving;  // declared after server: stops before it goes
  int port = 0;

  mutable std::mutex mu;
  std::map<std::string, Secret> credentials;
  std::map<std::string, Cluster> clusters;
  long counter = 0;  // request ids, entry ARNs, timestamps
  int throttle_remaining = 0;
  std::string throttle_code = "ThrottlingException";
  int fail_remaining = 0;
  int fail_status = 500;
  std::string fail_code = "ServerException";
  std::string fail_operation;
  int page_cap = 0;
  bool repeat_token = false;
  std::vector<LogEntry> log;
  std::function<std::optional<SharedCredentials>(const std::string&)> fallback;  // guarded by mu

  std::string requestId() {
    char buf[48];
    std::snprintf(buf, sizeof buf, "eeeeeeee-0000-4000-8000-%012ld", ++counter);
    return buf;
  }

  double tick() { return kEpoch + static_cast<double>(++counter); }

  std::optional<EksError> verify(const httplib::Request& req, std::string* akid_out) {
    auto forbidden = [](std::string code, std::string message) {
      return EksError{403, std::move(code), std::move(message)};
    };
    if (!req.has_header("Authorization")) {
      return forbidden("MissingAuthenticationTokenException", "Missing Authentication Token");
    }
    auto auth = aws::sigv4::parseAuthorization(req.get_header_value("Authorization"));
    if (!auth.ok()) {
      return EksError{400, "IncompleteSignatureException",
                      "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders'."};
    }
    *akid_out = auth->access_key_id;
    Secret secret;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = credentials.find(auth->access_key_id);
      if (it != credentials.end()) {
        secret = it->second;
      } else if (auto shared = fallback ? fallback(auth->access_key_id) : std::nullopt) {
        secret = Secret{shared->secret_access_key, shared->session_token, shared->expired};
      } else {
        return forbidden("UnrecognizedClientException",
                         "The security token included in the request is invalid.");
      }
    }
    if (req.get_header_value("X-Amz-Security-Token") != secret.session_token) {
      return forbidden("UnrecognizedClientException",
                       "The security token included in the request is invalid.");
    }
    if (secret.expired) {
      return forbidden("ExpiredTokenException", "The security token included in the request is expired");
    }
    if (auth->service != "eks" || auth->region != options.signing_region) {
      return forbidden("InvalidSignatureException",
                       "Credential should be scoped to a valid region and service 'eks', not '" +
                           auth->region + "/" + auth->service + "'.");
    }
    std::chrono::system_clock::time_point when;
    bool signs_date = false, signs_host = false;
    for (const auto& h : auth->signed_headers) {
      signs_date = signs_date || h == "x-amz-date";
      signs_host = signs_host || h == "host";
    }
    if (!signs_date || !signs_host || !parseAmzDate(req.get_header_value("X-Amz-Date"), &when) ||
        aws::sigv4::dateStamp(when) != auth->date) {
      return forbidden("InvalidSignatureException", "Signature not yet current or date missing.");
    }
    aws::sigv4::Request received;
    received.method = req.method;
    size_t q = req.target.find('?');
    received.path = req.target.substr(0, q);  // the wire path, still percent-encoded
    received.query = q == std::string::npos ? "" : req.target.substr(q + 1);
    for (const auto& name : auth->signed_headers) {
      auto range = req.headers.equal_range(name);
      if (range.first == range.second) {
        return forbidden("InvalidSignatureException", "Signed header '" + name + "' is missing.");
      }
      for (auto it = range.first; it != range.second; ++it) received.headers.emplace_back(name, it->second);
    }
    received.body = req.body;
    auto creq = aws::sigv4::canonicalRequest(received, aws::sigv4::sha256Hex(req.body), true);
    std::string sts = aws::sigv4::stringToSign(creq.text, when, auth->region, auth->service);
    std::string key = aws::sigv4::signingKey(secret.secret, auth->date, auth->region, auth->service);
    if (aws::sigv4::signature(key, sts) != auth->signature) {
      return forbidden("InvalidSignatureException",
                       "The request signature we calculated does not match the signature you provided. Check "
                       "your AWS Secret Access Key and signing method. Consult the service documentation for "
                       "details.");
    }
    return std::nullopt;
  }

  json entryJson(const std::string& cluster, const Stored& s) const {
    json out = {{"clusterName", cluster},
                {"principalArn", s.entry.principal_arn},
                {"kubernetesGroups", s.entry.kubernetes_groups},
                {"accessEntryArn", s.entry_arn},
                {"createdAt", s.created_at},
                {"modifiedAt", s.modified_at},
                {"tags", json::object()},
                {"username",
                 s.entry.username.empty() ? defaultUsername(s.entry, options.account_id) : s.entry.username},
                {"type", s.entry.type}};
    for (const auto& [k, v] : s.entry.tags) out["tags"][k] = v;
    return out;
  }

  std::string newEntryArn(const std::string& cluster, const std::string& principal) {
    std::string kind = "user", name = principal;
    validPrincipalArn(principal, &kind, &name);
    const auto n = static_cast<unsigned long>(++counter);
    char id[48];
    std::snprintf(id, sizeof id, "%08lx-0000-4000-8000-%012lx", n * 2654435761UL % 0xffffffffUL, n);
    return "arn:aws:eks:" + options.signing_region + ":" + options.account_id + ":access-entry/" + cluster +
           "/" + kind + "/" + options.account_id + "/" + name + "/" + id;
  }

  // Pages through `keys` after the nextToken; fills out[list_key] and out["nextToken"].
  std::optional<EksError> page(const std::vector<std::string>& keys,
                               const std::map<std::string, std::string>& q, LogEntry& entry,
                               const char* list_key, json& out,
                               const std::function<json(const std::string&)>& item) const {
    int max_results = kDefaultMaxResults;
    if (auto it = q.find("maxResults"); it != q.end()) {
      try {
        max_results = std::stoi(it->second);
      } catch (...) {
        max_results = -1;
      }
      entry.max_results = max_results;
      if (max_results < 1 || max_results > kMaxResultsLimit) {
        return EksError{400, "InvalidParameterException", "maxResults must be between 1 and 100."};
      }
    }
    if (page_cap > 0 && page_cap < max_results) max_results = page_cap;
    std::string after;
    if (auto it = q.find("nextToken"); it != q.end()) {
      entry.next_token = it->second;
      if (!parseToken(it->second, &after)) {
        return EksError{400, "InvalidParameterException", "The nextToken is invalid."};
      }
    }
    out[list_key] = json::array();
    auto it = after.empty() ? keys.begin() : std::upper_bound(keys.begin(), keys.end(), after);
    int count = 0;
    for (; it != keys.end() && count < max_results; ++it, ++count) out[list_key].push_back(item(*it));
    if (it != keys.end()) {
      out["nextToken"] = repeat_token ? makeToken("") + "00" : makeToken(*(it - 1));
    }
    return std::nullopt;
  }

  // Runs the operation against the store. Caller holds mu.
  std::optional<EksError> apply(const Route& r, const std::map<std::string, std::string>& q, const json& body,
                                LogEntry& entry, json& out) {
    auto cit = clusters.find(r.cluster);
    if (cit == clusters.end()) {
      return EksError{404, "ResourceNotFoundException", "No cluster found for name: " + r.cluster + "."};
    }
    Cluster& c = cit->second;
    if (r.operation == "DescribeCluster") {
      out["cluster"] = {
          {"name", r.cluster},
          {"arn",
           "arn:aws:eks:" + options.signing_region + ":" + options.account_id + ":cluster/" + r.cluster},
          {"createdAt", kEpoch},
          {"version", "1.31"},
          {"endpoint", "https://0123456789ABCDEF.gr7." + options.signing_region + ".eks.amazonaws.com"},
          {"roleArn", "arn:aws:iam::" + options.account_id + ":role/eks-cluster-role"},
          {"status", "ACTIVE"},
          {"platformVersion", "eks.8"},
          {"tags", json::object()},
          {"accessConfig",
           {{"bootstrapClusterCreatorAdminPermissions", true}, {"authenticationMode", c.mode}}}};
      return std::nullopt;
    }
    if (c.mode == "CONFIG_MAP") {
      return EksError{400, "InvalidRequestException",
                      "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to "
                      "perform this operation."};
    }
    if (r.operation == "ListAccessEntries") {
      std::vector<std::string> keys;
      std::string filter;
      if (auto it = q.find("associatedPolicyArn"); it != q.end()) filter = it->second;
      for (const auto& [arn, s] : c.entries) {
        if (filter.empty() || s.associations.count(filter) > 0) keys.push_back(arn);
      }
      return page(keys, q, entry, "accessEntries", out, [](const std::string& k) { return json(k); });
    }
    if (r.operation == "CreateAccessEntry") return create(r, c, body, out);

    auto eit = c.entries.find(r.principal);
    if (eit == c.entries.end()) {
      return EksError{404, "ResourceNotFoundException",
                      "The specified principalArn could not be found. You can view your available access "
                      "entries with 'list-access-entries'."};
    }
    Stored& s = eit->second;
    if (r.operation == "DescribeAccessEntry") {
      out["accessEntry"] = entryJson(r.cluster, s);
    } else if (r.operation == "UpdateAccessEntry") {
      if (auto e = checkGroupsAndUsername(body)) return e;
      if (s.entry.type != "STANDARD" && (body.contains("kubernetesGroups") || body.contains("username"))) {
        return EksError{
            400, "InvalidParameterException",
            "The username and kubernetesGroups of a " + s.entry.type + " access entry cannot be changed."};
      }
      if (body.contains("kubernetesGroups")) s.entry.kubernetes_groups = body["kubernetesGroups"];
      if (body.contains("username")) s.entry.username = body["username"];
      s.modified_at = tick();
      out["accessEntry"] = entryJson(r.cluster, s);
    } else if (r.operation == "DeleteAccessEntry") {
      c.entries.erase(eit);
    } else if (r.operation == "AssociateAccessPolicy") {
      return associate(r, s, body, entry, out);
    } else if (r.operation == "ListAssociatedAccessPolicies") {
      std::vector<std::string> keys;
      for (const auto& [arn, a] : s.associations) keys.push_back(arn);
      out["clusterName"] = r.cluster;
      out["principalArn"] = r.principal;
      return page(keys, q, entry, "associatedAccessPolicies", out, [&s](const std::string& k) {
        const Association& a = s.associations.at(k);
        return json{{"policyArn", k},
                    {"accessScope", scopeJson(a.scope)},
                    {"associatedAt", a.associated_at},
                    {"modifiedAt", a.modified_at}};
      });
    } else if (r.operation == "DisassociateAccessPolicy") {
      entry.policy_arn = r.policy;
      if (s.associations.erase(r.policy) == 0) {
        return EksError{404, "ResourceNotFoundException",
                        "The specified policyArn is not associated with this access entry."};
      }
      s.entry.policies.erase(r.policy);
    }
    return std::nullopt;
  }

  std::optional<EksError> create(const Route& r, Cluster& c, const json& body, json& out) {
    if (!body.contains("principalArn") || !body["principalArn"].is_string()) {
      return EksError{400, "InvalidParameterException", "principalArn is required."};
    }
    const std::string principal = body["principalArn"];
    std::string kind, name;
    if (!validPrincipalArn(principal, &kind, &name)) {
      return EksError{400, "InvalidParameterException", "The principalArn " + principal + " is not valid."};
    }
    const std::string type = body.contains("type") && body["type"].is_string() ? body["type"] : "STANDARD";
    static const char* const kTypes[] = {"STANDARD", "EC2_LINUX",    "EC2_WINDOWS",   "FARGATE_LINUX",
                                         "EC2",      "HYBRID_LINUX", "HYPERPOD_LINUX"};
    if (std::none_of(std::begin(kTypes), std::end(kTypes), [&](const char* t) { return type == t; })) {
      return EksError{400, "InvalidParameterException", "The type " + type + " is not valid."};
    }
    if (auto e = checkGroupsAndUsername(body)) return e;
    if (type != "STANDARD" && (body.contains("kubernetesGroups") || body.contains("username"))) {
      return EksError{400, "InvalidParameterException",
                      "username and kubernetesGroups can only be set on a STANDARD access entry."};
    }
    std::map<std::string, std::string> tags;
    if (body.contains("tags")) {
      const json& t = body["tags"];
      if (!t.is_object() || t.empty() || t.size() > kMaxTags) {
        return EksError{400, "InvalidParameterException", "tags must be a map of 1 to 50 entries."};
      }
      for (const auto& [k, v] : t.items()) {
        if (!v.is_string() || k.empty() || k.size() > 128 || v.get<std::string>().size() > 256) {
          return EksError{400, "InvalidParameterException",
                          "Tag keys must be 1-128 and values 0-256 characters."};
        }
        tags[k] = v.get<std::string>();
      }
    }
    const std::string token = body.value("clientRequestToken", std::string());
    if (auto it = c.entries.find(principal); it != c.entries.end()) {
      if (!token.empty() && it->second.request_token == token) {  // a retry of the request that made it
        out["accessEntry"] = entryJson(r.cluster, it->second);
        return std::nullopt;
      }
      return EksError{409, "ResourceInUseException",
                      "The specified access entry resource is already in use on this cluster."};
    }
    if (static_cast<int>(c.entries.size()) >= options.max_entries) {
      return EksError{400, "ResourceLimitExceededException",
                      "You've reached the maximum number of access entries (" +
                          std::to_string(options.max_entries) + ") for this cluster."};
    }
    Stored s;
    s.entry.principal_arn = principal;
    s.entry.type = type;
    s.entry.username = body.value("username", std::string());
    if (body.contains("kubernetesGroups")) s.entry.kubernetes_groups = body["kubernetesGroups"];
    s.entry.tags = std::move(tags);
    s.entry_arn = newEntryArn(r.cluster, principal);
    s.request_token = token;
    s.created_at = s.modified_at = tick();
    out["accessEntry"] = entryJson(r.cluster, s);
    c.entries.emplace(principal, std::move(s));
    return std::nullopt;
  }

  std::optional<EksError> associate(const Route& r, Stored& s, const json& body, LogEntry& entry, json& out) {
    if (!body.contains("policyArn") || !body["policyArn"].is_string()) {
      return EksError{400, "InvalidParameterException", "policyArn is required."};
    }
    const std::string policy = body["policyArn"];
    entry.policy_arn = policy;
    if (!body.contains("accessScope") || !body["accessScope"].is_object()) {
      return EksError{400, "InvalidParameterException", "accessScope is required."};
    }
    const json& scope = body["accessScope"];
    Scope sc;
    sc.type = scope.value("type", std::string());
    if (sc.type != "cluster" && sc.type != "namespace") {
      return EksError{400, "InvalidParameterException", "accessScope.type must be cluster or namespace."};
    }
    if (scope.contains("namespaces")) {
      if (!isStringArray(scope["namespaces"])) {
        return EksError{400, "InvalidParameterException",
                        "accessScope.namespaces must be a list of strings."};
      }
      sc.namespaces = scope["namespaces"].get<std::vector<std::string>>();
    }
    if (sc.type == "cluster" && !sc.namespaces.empty()) {
      return EksError{400, "InvalidParameterException", "Namespaces are not allowed with a cluster scope."};
    }
    if (sc.type == "namespace" && sc.namespaces.empty()) {
      return EksError{400, "InvalidParameterException", "A namespace scope needs at least one namespace."};
    }
    if (s.entry.type != "STANDARD") {
      return EksError{400, "InvalidRequestException",
                      "Access policies can only be associated with a STANDARD access entry."};
    }
    if (!knownPolicy(policy)) {
      return EksError{404, "ResourceNotFoundException",
                      "The specified policyArn " + policy + " was not found."};
    }
    Association& a = s.associations[policy];
    const double now = tick();
    if (a.scope.type.empty()) a.associated_at = now;
    a.modified_at = now;
    a.scope = sc;
    s.entry.policies[policy] = sc;
    out["clusterName"] = r.cluster;
    out["principalArn"] = r.principal;
    out["associatedAccessPolicy"] = {{"policyArn", policy},
                                     {"accessScope", scopeJson(sc)},
                                     {"associatedAt", a.associated_at},
                                     {"modifiedAt", a.modified_at}};
    return std::nullopt;
  }

  void handle(const httplib::Request& req, httplib::Response& res) {
    LogEntry entry;
    entry.method = req.method;
    entry.target = req.target;
    entry.body = req.body;
    const size_t qpos = req.target.find('?');
    const std::string raw_path = req.target.substr(0, qpos);
    const auto query =
        parseQuery(qpos == std::string::npos ? "" : std::string_view(req.target).substr(qpos + 1));
    const auto r = route(req.method, segments(raw_path));
    if (r) {
      entry.operation = r->operation;
      entry.cluster = r->cluster;
      entry.principal_arn = r->principal;
      entry.policy_arn = r->policy;
      entry.mutating = r->mutating;
    }

    std::string request_id;
    {
      std::lock_guard<std::mutex> lock(mu);
      request_id = requestId();
    }
    std::optional<EksError> error = verify(req, &entry.access_key_id);
    json out = json::object();
    json body = json::object();
    if (!error && !r)
      error = EksError{404, "UnknownOperationException", "No operation at " + req.method + " " + raw_path};
    if (!error && (req.method == "POST") && !req.body.empty()) {
      body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        error = EksError{400, "InvalidRequestException", "The request body is not a JSON object."};
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!error && throttle_remaining > 0) {
        --throttle_remaining;
        error = EksError{400, throttle_code, "Rate exceeded"};
      }
      if (!error && fail_remaining != 0 && (fail_operation.empty() || fail_operation == entry.operation)) {
        if (fail_remaining > 0) --fail_remaining;
        error = EksError{fail_status, fail_code, "Injected failure."};
      }
      if (!error) error = apply(*r, query, body, entry, out);
    }

    res.set_header("x-amzn-RequestId", request_id);
    if (error) {
      res.status = error->status;
      res.set_header("x-amzn-ErrorType", error->code + kErrorTypeSuffix);
      res.set_content(json{{"message", error->message}}.dump(-1, ' ', false, json::error_handler_t::replace),
                      "application/json");
      entry.status = error->status;
      entry.error_code = error->code;
    } else {
      res.status = 200;
      res.set_content(out.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
      entry.status = 200;
    }
    std::lock_guard<std::mutex> lock(mu);
    log.push_back(std::move(entry));
  }
};

FakeEks::FakeEks() : FakeEks(Options{}) {}

FakeEks::FakeEks(Options options) : impl_(std::make_unique<Impl>()) { impl_->options = std::move(options); }

FakeEks::~FakeEks() { stop(); }

int FakeEks::start() { return startTls("", ""); }

int FakeEks::startTls(const std::string& cert_pem, const std::string& key_pem) {
  if (impl_->serving) return impl_->port;
  if (cert_pem.empty()) {
    impl_->server = std::make_unique<httplib::Server>();
  } else {
    auto [cert, key] = loadPem(cert_pem, key_pem);
    if (cert != nullptr && key != nullptr) impl_->server = std::make_unique<httplib::SSLServer>(cert, key);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (!impl_->server || !impl_->server->is_valid()) return 0;
    impl_->tls = true;
  }
  impl_->server->set_tcp_nodelay(true);
  // One handler for everything: routing uses the raw target, since httplib decodes req.path and an encoded
  // '/' inside an ARN must stay inside its segment.
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { impl_->handle(req, res); };
  impl_->server->Get(".*", handler);
  impl_->server->Post(".*", handler);
  impl_->server->Delete(".*", handler);
  impl_->server->Put(".*", handler);
  try {
    impl_->serving = std::make_unique<test::ServerThread>(*impl_->server);
  } catch (const std::runtime_error&) {
    return impl_->port = 0;  // cannot bind 127.0.0.1
  }
  return impl_->port = impl_->serving->port();
}

void FakeEks::stop() { impl_->serving.reset(); }

int FakeEks::port() const { return impl_->port; }

std::string FakeEks::url() const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port);
}

void FakeEks::allowCredentials(const std::string& access_key_id, const std::string& secret_access_key,
                               const std::string& session_token) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->credentials[access_key_id] = Secret{secret_access_key, session_token, false};
}

void FakeEks::setCredentialsFallback(
    std::function<std::optional<SharedCredentials>(const std::string& access_key_id)> lookup) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fallback = std::move(lookup);
}

void FakeEks::expireCredentials(const std::string& access_key_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->credentials.find(access_key_id);
  if (it != impl_->credentials.end()) it->second.expired = true;
}

namespace {
bool validMode(const std::string& mode) {
  return mode == "CONFIG_MAP" || mode == "API_AND_CONFIG_MAP" || mode == "API";
}
}  // namespace

void FakeEks::addCluster(const std::string& name, const std::string& mode) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->clusters[name] = Cluster{mode, {}};
}

bool FakeEks::setAuthenticationMode(const std::string& cluster, const std::string& mode) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->clusters.find(cluster);
  if (it == impl_->clusters.end() || !validMode(mode)) return false;
  it->second.mode = mode;
  return true;
}

bool FakeEks::seedEntry(const std::string& cluster, const Entry& entry) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->clusters.find(cluster);
  if (it == impl_->clusters.end()) return false;
  Stored s;
  s.entry = entry;
  s.entry_arn = impl_->newEntryArn(cluster, entry.principal_arn);
  s.created_at = s.modified_at = impl_->tick();
  for (const auto& [arn, scope] : entry.policies)
    s.associations[arn] = Association{scope, s.created_at, s.created_at};
  it->second.entries[entry.principal_arn] = std::move(s);
  return true;
}

std::vector<FakeEks::Entry> FakeEks::entries(const std::string& cluster) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<Entry> out;
  auto it = impl_->clusters.find(cluster);
  if (it == impl_->clusters.end()) return out;
  for (const auto& [arn, s] : it->second.entries) out.push_back(s.entry);
  return out;
}

std::optional<FakeEks::Entry> FakeEks::entry(const std::string& cluster,
                                             const std::string& principal_arn) const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->clusters.find(cluster);
  if (it == impl_->clusters.end()) return std::nullopt;
  auto e = it->second.entries.find(principal_arn);
  if (e == it->second.entries.end()) return std::nullopt;
  return e->second.entry;
}

bool FakeEks::removeEntry(const std::string& cluster, const std::string& principal_arn) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  auto it = impl_->clusters.find(cluster);
  return it != impl_->clusters.end() && it->second.entries.erase(principal_arn) > 0;
}

void FakeEks::throttleNext(int n, const std::string& code) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->throttle_remaining = n;
  impl_->throttle_code = code;
}

void FakeEks::failNext(int n, int status, const std::string& code, const std::string& operation) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->fail_remaining = n;
  impl_->fail_status = status;
  impl_->fail_code = code;
  impl_->fail_operation = operation;
}

void FakeEks::setPageCap(int cap) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->page_cap = cap;
}

void FakeEks::setRepeatNextToken(bool repeat) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->repeat_token = repeat;
}

void FakeEks::clearFaults() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->throttle_remaining = 0;
  impl_->fail_remaining = 0;
  impl_->fail_operation.clear();
  impl_->page_cap = 0;
  impl_->repeat_token = false;
}

std::vector<FakeEks::LogEntry> FakeEks::requests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->log;
}

void FakeEks::clearLog() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->log.clear();
}

namespace {

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

std::optional<json> objectBody(const httplib::Request& req, httplib::Response& res) {
  json doc = json::parse(req.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    reply(res, 400, {{"error", "body must be a JSON object"}});
    return std::nullopt;
  }
  return doc;
}

}  // namespace

void registerFakeEksAdmin(httplib::Server& admin, FakeEks& eks) {
  // Each handler catches json::exception: a wrongly typed field is the caller's 400, not a crash.
  auto guarded = [](auto fn) {
    return [fn](const httplib::Request& req, httplib::Response& res) {
      try {
        fn(req, res);
      } catch (const json::exception& e) {
        reply(res, 400, {{"error", std::string("bad request: ") + e.what()}});
      }
    };
  };
  admin.Post("/admin/eks/clusters", guarded([&eks](const httplib::Request& req, httplib::Response& res) {
               auto b = objectBody(req, res);
               if (!b) return;
               const std::string name = b->value("name", std::string());
               const std::string mode = b->value("mode", std::string("API_AND_CONFIG_MAP"));
               if (name.empty() || !validMode(mode))
                 return reply(res, 400, {{"error", "name and a valid mode"}});
               eks.addCluster(name, mode);
               reply(res, 201, json::object());
             }));
  admin.Post(
      "/admin/eks/mode", guarded([&eks](const httplib::Request& req, httplib::Response& res) {
        auto b = objectBody(req, res);
        if (!b) return;
        if (!eks.setAuthenticationMode(b->value("cluster", std::string()), b->value("mode", std::string())))
          return reply(res, 404, {{"error", "unknown cluster or mode"}});
        reply(res, 200, json::object());
      }));
  admin.Post("/admin/eks/entries", guarded([&eks](const httplib::Request& req, httplib::Response& res) {
               auto b = objectBody(req, res);
               if (!b) return;
               FakeEks::Entry e;
               e.principal_arn = b->value("principalArn", std::string());
               e.type = b->value("type", std::string("STANDARD"));
               e.username = b->value("username", std::string());
               e.kubernetes_groups = b->value("kubernetesGroups", std::vector<std::string>{});
               e.tags = b->value("tags", std::map<std::string, std::string>{});
               if (e.principal_arn.empty()) return reply(res, 400, {{"error", "principalArn is required"}});
               if (!eks.seedEntry(b->value("cluster", std::string()), e))
                 return reply(res, 404, {{"error", "unknown cluster"}});
               reply(res, 201, json::object());
             }));
  admin.Get("/admin/eks/entries", [&eks](const httplib::Request& req, httplib::Response& res) {
    json out = {{"entries", json::array()}};
    for (const auto& e : eks.entries(req.get_param_value("cluster"))) {
      json policies = json::object();
      for (const auto& [arn, s] : e.policies)
        policies[arn] = {{"type", s.type}, {"namespaces", s.namespaces}};
      out["entries"].push_back({{"principalArn", e.principal_arn},
                                {"type", e.type},
                                {"username", e.username},
                                {"kubernetesGroups", e.kubernetes_groups},
                                {"tags", e.tags},
                                {"policies", policies}});
    }
    reply(res, 200, out);
  });
  admin.Post("/admin/eks/credentials", guarded([&eks](const httplib::Request& req, httplib::Response& res) {
               auto b = objectBody(req, res);
               if (!b) return;
               const std::string akid = b->value("access_key_id", std::string());
               const std::string secret = b->value("secret_access_key", std::string());
               if (akid.empty() || secret.empty())
                 return reply(res, 400, {{"error", "access_key_id and secret_access_key are required"}});
               eks.allowCredentials(akid, secret, b->value("session_token", std::string()));
               reply(res, 201, json::object());
             }));
  admin.Post("/admin/eks/faults", guarded([&eks](const httplib::Request& req, httplib::Response& res) {
               auto b = objectBody(req, res);
               if (!b) return;
               if (b->contains("throttle_next"))
                 eks.throttleNext((*b)["throttle_next"].get<int>(),
                                  b->value("throttle_code", std::string("ThrottlingException")));
               if (b->contains("fail_next"))
                 eks.failNext((*b)["fail_next"].get<int>(), b->value("fail_status", 500),
                              b->value("fail_code", std::string("ServerException")),
                              b->value("fail_operation", std::string()));
               if (b->contains("page_cap")) eks.setPageCap((*b)["page_cap"].get<int>());
               reply(res, 200, json::object());
             }));
  admin.Delete("/admin/eks/faults", [&eks](const httplib::Request&, httplib::Response& res) {
    eks.clearFaults();
    reply(res, 200, json::object());
  });
  admin.Get("/admin/eks/log", [&eks](const httplib::Request&, httplib::Response& res) {
    json out = {{"requests", json::array()}};
    for (const auto& e : eks.requests()) {
      out["requests"].push_back({{"operation", e.operation},
                                 {"method", e.method},
                                 {"target", e.target},
                                 {"cluster", e.cluster},
                                 {"principal_arn", e.principal_arn},
                                 {"policy_arn", e.policy_arn},
                                 {"next_token", e.next_token},
                                 {"max_results", e.max_results},
                                 {"mutating", e.mutating},
                                 {"status", e.status},
                                 {"error_code", e.error_code},
                                 {"access_key_id", e.access_key_id}});
    }
    reply(res, 200, out);
  });
  admin.Delete("/admin/eks/log", [&eks](const httplib::Request&, httplib::Response& res) {
    eks.clearLog();
    reply(res, 200, json::object());
  });
}

}  // namespace aar::fakes
