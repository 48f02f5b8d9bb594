// fake-aws: the fake AWS services in one process, for the end-to-end tests and the demo.
//
// Runs on 127.0.0.1, each on its own ephemeral port: FakeIam (IAM ListUsers/ListRoles/GetGroup,
// SigV4-verified, several accounts), FakeSts (AssumeRoleWithWebIdentity; AssumeRole into another account),
// FakeContainerCredentials (ECS / EKS Pod Identity), FakeImds (IMDSv2), and a small admin API. Credentials
// issued by STS, the container endpoint and IMDS are accepted by the fake IAM and the fake EKS. When every
// server listens it prints ONE line of JSON on stdout and flushes it:
//   {"iam":P1,"sts":P2,"container":P3,"imds":P4,"admin":P5,"iam_url":"http://127.0.0.1:P1",
//    "sts_url":"...","container_url":"http://127.0.0.1:P3/v1/credentials","imds_url":"...","admin_url":"..."}
//   plus "eks":P6,"eks_url":"..." for FakeEks (fake_eks.hpp; controlled under /admin/eks).
// It exits 0 at once on SIGTERM or SIGINT (without waiting for clients' idle keep-alive connections).
// Binary: ${PROJECT_BINARY_DIR}/tests/fakes/aws/fake-aws.
//
// Flags:
//   --access-key-id ID --secret-access-key KEY   long-term keys IAM accepts (repeatable in pairs; default
//   none)
//   --user NAME | --user PATH:NAME               seed a user (repeatable); PATH like /team/ (default "/")
//   --users-file FILE                            seed users: one per line, "NAME" or "PATH NAME"; '#'
//   comments
//   --users-count N --users-prefix P             seed P00000..P{N-1} (zero-padded to 5 digits)
//   --role NAME                                  seed a role (repeatable)
//   --account-id ID                              default 123456789012
//   --web-identity-token T                       the only token STS accepts (default: any non-empty token)
//   --role-arn ARN                               the only role STS lets you assume (default: any)
//   --container-token T                          the Authorization value the container endpoint wants
//   (default: none)
//   --container-path P                           default /v1/credentials
//   --imds-role NAME                             the instance role (default aws-auth-refresher-node; "" =
//   none)
//   --credentials-duration SECONDS               lifetime of issued credentials (default 3600)
//   --page-cap N                                 IAM returns at most N items per page (default 0: no cap)
//
// Admin API (JSON bodies; answers JSON; 400 on a malformed body, 404 on an unknown user):
//   GET    /admin/health                           {"ok":true}
//   GET    /admin/users                            {"count":N}
//   POST   /admin/users       {"name":"tmp-foo-one","path":"/"}  or  {"prefix":"u","count":100,"path":"/"}  →
//   201 DELETE /admin/users/<name>                     204, or 404 when absent POST   /admin/roles
//   {"name":"r","path":"/"}                                                    → 201 POST /admin/credentials
//   {"access_key_id":"...","secret_access_key":"...","session_token":""}       → 201 POST
//   /admin/credentials/expire {"access_key_id":"..."}  IAM answers ExpiredToken for that key      → 200 POST
//   /admin/faults      any of:
//            {"iam":{"throttle_next":N,"throttle_code":"Throttling","fail_page":K,"fail_status":500,
//                    "fail_times":-1,"delay_ms":D,"drop_next":N,"page_cap":N,
//                    "huge_body_next":N,"huge_body_bytes":B,"huge_body_announce_length":false},
//             "sts":{"fail_next":N,"status":503,"code":"ServiceUnavailable","token_expired":true},
//             "container":{"fail_next":N,"status":500,"huge_body_next":N,"huge_body_bytes":B},
//             "imds":{"fail_next":N,"status":500,"delay_next":N,"delay_ms":D,"huge_body_next":N,
//                     "huge_body_bytes":B}}
//            (huge_body: the next N answers are 200 with a body of B bytes, default 512 MiB, streamed) →
//             200
//   Rules v2 (several accounts: every "account" below is optional and defaults to --account-id; an account
//   exists once something is seeded in it; credentials from STS AssumeRole see the role's account):
//   GET    /admin/users?account=ID                 {"count":N}
//   POST   /admin/users  ... ,"account":"222233334444"                           → 201 {"arn":...}
//   DELETE /admin/users/<name>?account=ID          204 (also leaves every group), 404 when absent
//   POST   /admin/roles  {"name":"r","path":"/aws-reserved/sso.amazonaws.com/","account":"..."} → 201 {"arn"}
//   DELETE /admin/roles/<name>?account=ID          204, 404 when absent
//   POST   /admin/groups {"name":"Admins","path":"/","account":"..."}            → 201 {"arn"}
//   DELETE /admin/groups/<name>?account=ID         204, 404 when absent (GetGroup then answers NoSuchEntity)
//   POST   /admin/groups/<name>/members {"user":"alice","account":"..."}         → 201; 404 when the group or
//                                                                                  the user is absent
//   DELETE /admin/groups/<name>/members/<user>?account=ID                        → 204, 404 when not a member
//   POST   /admin/sts/deny {"role_arn":"arn:aws:iam::222233334444:role/r","deny":true}
//          AssumeRole into that role answers 403 AccessDenied until the same call with "deny":false (or
//          DELETE /admin/faults)                                                 → 200
//   POST   /admin/sts/external-id {"role_arn":"...","external_id":"x"}  AssumeRole into the role needs that
//          ExternalId ("" removes the requirement)                               → 200
//   POST   /admin/credentials ... ,"account":"..."  the keys see that account's IAM
//   Faults: "iam":{"fail_action":"GetGroup","fail_action_status":500,"fail_action_code":"ServiceFailure",
//          "fail_action_times":-1} fails every request of one action (after authentication).
//   Log: iam entries also carry group_name and account; sts entries external_id, duration_seconds and
//          caller_access_key_id (AssumeRole).
//   DELETE /admin/faults                           clears every fault
//   GET    /admin/log {"iam":[{action,marker,path_prefix,max_items,page,status,error_code,access_key_id}],
//                              "sts":[{action,role_arn,role_session_name,status,error_code,access_key_id}],
//                              "container":[{method,path,status,access_key_id}],
//                              "imds":[{method,path,status,access_key_id}]}   (never a secret or token)
//   DELETE /admin/log                              clears every log
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fakes/aws/fake_container_credentials.hpp"
#include "fakes/aws/fake_eks.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "fakes/aws/fake_imds.hpp"
#include "fakes/aws/fake_issued_credentials.hpp"
#include "fakes/aws/fake_sts.hpp"

namespace {

using aar::fakes::FakeContainerCredentials;
using aar::fakes::FakeIam;
using aar::fakes::FakeImds;
using aar::fakes::FakeSts;
using nlohmann::json;

struct Services {
  FakeIam* iam;
  FakeSts* sts;
  FakeContainerCredentials* container;
  FakeImds* imds;
};

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

// Parses the body as a JSON object; answers 400 and returns nullopt when it is not one.
std::optional<json> body(const httplib::Request& req, httplib::Response& res) {
  json doc = json::parse(req.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    reply(res, 400, {{"error", "body must be a JSON object"}});
    return std::nullopt;
  }
  return doc;
}

bool validPath(const std::string& path) { return !path.empty() && path.front() == '/' && path.back() == '/'; }

void applyFaults(const json& f, const Services& s) {
  if (auto it = f.find("iam"); it != f.end() && it->is_object()) {
    const json& i = *it;
    if (i.contains("throttle_next")) {
      s.iam->throttleNext(i["throttle_next"].get<int>(), i.value("throttle_code", std::string("Throttling")));
    }
    if (i.contains("fail_page")) {
      s.iam->failPage(i["fail_page"].get<int>(), i.value("fail_status", 500), i.value("fail_times", -1));
    }
    if (i.contains("delay_ms")) s.iam->setDelay(std::chrono::milliseconds(i["delay_ms"].get<int>()));
    if (i.contains("drop_next")) s.iam->dropNext(i["drop_next"].get<int>());
    if (i.contains("page_cap")) s.iam->setPageCap(i["page_cap"].get<int>());
    if (i.contains("fail_action")) {
      s.iam->failAction(i["fail_action"].get<std::string>(), i.value("fail_action_status", 500),
                        i.value("fail_action_code", std::string("ServiceFailure")),
                        i.value("fail_action_times", -1));
    }
    if (i.contains("huge_body_next")) {
      s.iam->hugeBodyNext(i["huge_body_next"].get<int>(), i.value("huge_body_bytes", size_t{512} << 20),
                          i.value("huge_body_announce_length", false));
    }
  }
  if (auto it = f.find("sts"); it != f.end() && it->is_object()) {
    const json& t = *it;
    if (t.contains("fail_next")) {
      s.sts->failNext(t["fail_next"].get<int>(), t.value("status", 503),
                      t.value("code", std::string("ServiceUnavailable")));
    }
    if (t.contains("token_expired")) s.sts->setTokenExpired(t["token_expired"].get<bool>());
  }
  if (auto it = f.find("container"); it != f.end() && it->is_object()) {
    if (it->contains("fail_next"))
      s.container->failNext((*it)["fail_next"].get<int>(), it->value("status", 500));
    if (it->contains("huge_body_next")) {
      s.container->hugeBodyNext((*it)["huge_body_next"].get<int>(),
                                it->value("huge_body_bytes", size_t{512} << 20));
    }
  }
  if (auto it = f.find("imds"); it != f.end() && it->is_object()) {
    if (it->contains("fail_next")) s.imds->failNext((*it)["fail_next"].get<int>(), it->value("status", 500));
    if (it->contains("huge_body_next")) {
      s.imds->hugeBodyNext((*it)["huge_body_next"].get<int>(),
                           it->value("huge_body_bytes", size_t{512} << 20));
    }
    if (it->contains("delay_next")) {
      s.imds->delayNext((*it)["delay_next"].get<int>(),
                        std::chrono::milliseconds(it->value("delay_ms", 1000)));
    }
  }
}

json logs(const Services& s) {
  json out = {
      {"iam", json::array()}, {"sts", json::array()}, {"container", json::array()}, {"imds", json::array()}};
  for (const auto& e : s.iam->requests()) {
    out["iam"].push_back({{"action", e.action},
                          {"marker", e.marker},
                          {"path_prefix", e.path_prefix},
                          {"max_items", e.max_items},
                          {"page", e.page},
                          {"status", e.status},
                          {"error_code", e.error_code},
                          {"access_key_id", e.access_key_id},
                          {"group_name", e.group_name},
                          {"account", e.account}});
  }
  for (const auto& e : s.sts->requests()) {
    out["sts"].push_back({{"action", e.action},
                          {"role_arn", e.role_arn},
                          {"role_session_name", e.role_session_name},
                          {"status", e.status},
                          {"error_code", e.error_code},
                          {"access_key_id", e.access_key_id},
                          {"external_id", e.external_id},
                          {"duration_seconds", e.duration_seconds},
                          {"caller_access_key_id", e.caller_access_key_id}});
  }
  for (const auto& e : s.container->requests()) {
    out["container"].push_back(
        {{"method", e.method}, {"path", e.path}, {"status", e.status}, {"access_key_id", e.access_key_id}});
  }
  for (const auto& e : s.imds->requests()) {
    out["imds"].push_back(
        {{"method", e.method}, {"path", e.path}, {"status", e.status}, {"access_key_id", e.access_key_id}});
  }
  return out;
}

void registerAdmin(httplib::Server& admin, const Services& s) {
  admin.Get("/admin/health", [](const httplib::Request&, httplib::Response& res) {
    reply(res, 200, {{"ok", true}});
  });
  admin.Get("/admin/users", [s](const httplib::Request& req, httplib::Response& res) {
    reply(res, 200, {{"count", s.iam->userCount(req.get_param_value("account"))}});
  });
  admin.Post("/admin/users", [s](const httplib::Request& req, httplib::Response& res) {
    auto b = body(req, res);
    if (!b) return;
    const std::string path = b->value("path", std::string("/"));
    const std::string account = b->value("account", std::string());
    if (!validPath(path)) return reply(res, 400, {{"error", "path must start and end with '/'"}});
    if (b->contains("prefix") && b->contains("count")) {
      s.iam->addUsers((*b)["count"].get<int>(), (*b)["prefix"].get<std::string>(), path, account);
      return reply(res, 201, {{"count", s.iam->userCount(account)}});
    }
    const std::string name = b->value("name", std::string());
    if (name.empty()) return reply(res, 400, {{"error", "name is required"}});
    s.iam->addUser(name, path, account);
    reply(res, 201, {{"arn", s.iam->userArn(name, path, account)}});
  });
  admin.Delete(R"(/admin/users/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    if (!s.iam->removeUser(req.matches[1], req.get_param_value("account"))) {
      return reply(res, 404, {{"error", "no such user"}});
    }
    res.status = 204;
  });
  admin.Delete(R"(/admin/roles/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    if (!s.iam->removeRole(req.matches[1], req.get_param_value("account"))) {
      return reply(res, 404, {{"error", "no such role"}});
    }
    res.status = 204;
  });
  admin.Post("/admin/groups", [s](const httplib::Request& req, httplib::Response& res) {
    auto b = body(req, res);
    if (!b) return;
    const std::string name = b->value("name", std::string());
    const std::string path = b->value("path", std::string("/"));
    if (name.empty() || !validPath(path)) {
      return reply(res, 400, {{"error", "name and a /path/ are required"}});
    }
    const std::string account = b->value("account", std::string());
    s.iam->addGroup(name, path, account);
    reply(res, 201,
          {{"arn",
            "arn:aws:iam::" + (account.empty() ? s.iam->accountId() : account) + ":group" + path + name}});
  });
  admin.Delete(R"(/admin/groups/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
    if (!s.iam->removeGroup(req.matches[1], req.get_param_value("account"))) {
      return reply(res, 404, {{"error", "no such group"}});
    }
    res.status = 204;
  });
  admin.Post(R"(/admin/groups/([^/]+)/members)", [s](const httplib::Request& req, httplib::Response& res) {
    auto b = body(req, res);
    if (!b) return;
    const std::string user = b->value("user", std::string());
    if (user.empty()) return reply(res, 400, {{"error", "user is required"}});
    if (!s.iam->addGroupMember(req.matches[1], user, b->value("account", std::string()))) {
      return reply(res, 404, {{"error", "no such group or user"}});
    }
    reply(res, 201, json::object());
  });
  admin.Delete(
      R"(/admin/groups/([^/]+)/members/([^/]+))", [s](const httplib::Request& req, httplib::Response& res) {
        if (!s.iam->removeGroupMember(req.matches[1], req.matches[2], req.get_param_value("account"))) {
          return reply(res, 404, {{"error", "not a member"}});
        }
        res.status = 204;
      });
  admin.Post("/admin/sts/deny", [s](const httplib::Request& req, httplib::Response& res) {
    auto b = body(req, res);
    if (!b) return;
    const std::string role_arn = b->value("role_arn", std::string());
    if (role_arn.empty()) return reply(res, 400, {{"error", "role_arn is required"}});
    s.sts->denyAssumeRole(role_arn, b->value("deny", true));
    reply(res, 200, json::object());
  });
  admin.Post("/admin/sts/external-id", [s](const httplib::Request& req, httplib::Response& res) {
    auto b = body(req, res);
    if (!b) return;
    const std::string role_arn = b->value("role_arn", std::string());
    if (role_arn.empty()) return reply(res, 400, {{"error", "role_arn is required"}});
    s.sts->requireExternalId(role_arn, b->value("external_id", std::string()));
    reply(res, 200, json::object());
  });
  admin.Post("/admin/roles", [s](const httplib::Request& req, httplib::Response& res) {
    auto b = body(req, res);
    if (!b) return;
    const std::string name = b->value("name", std::string());
    const std::string path = b->value("path", std::string("/"));
    if (name.empty() || !validPath(path))
      return reply(res, 400, {{"error", "name and a /path/ are required"}});
    const std::string account = b->value("account", std::string());
    s.iam->addRole(name, path, account);
    reply(res, 201, {{"arn", s.iam->roleArn(name, path, account)}});
  });
  admin.Post("/admin/credentials", [s](const httplib::Request& req, httplib::Response& res) {
    auto b = body(req, res);
    if (!b) return;
    const std::string akid = b->value("access_key_id", std::string());
    const std::string secret = b->value("secret_access_key", std::string());
    if (akid.empty() || secret.empty()) {
      return reply(res, 400, {{"error", "access_key_id and secret_access_key are required"}});
    }
    s.iam->allowCredentials(akid, secret, b->value("session_token", std::string()),
                            b->value("account", std::string()));
    reply(res, 201, json::object());
  });
  admin.Post("/admin/credentials/expire", [s](const httplib::Request& req, httplib::Response& res) {
    auto b = body(req, res);
    if (!b) return;
    s.iam->expireCredentials(b->value("access_key_id", std::string()));
    reply(res, 200, json::object());
  });
  admin.Post("/admin/faults", [s](const httplib::Request& req, httplib::Response& res) {
    auto b = body(req, res);
    if (!b) return;
    try {
      applyFaults(*b, s);
    } catch (const json::exception& e) {
      return reply(res, 400, {{"error", std::string("bad fault description: ") + e.what()}});
    }
    reply(res, 200, json::object());
  });
  admin.Delete("/admin/faults", [s](const httplib::Request&, httplib::Response& res) {
    s.iam->clearFaults();
    s.sts->clearFaults();
    s.container->clearFaults();
    s.imds->clearFaults();
    reply(res, 200, json::object());
  });
  admin.Get("/admin/log", [s](const httplib::Request&, httplib::Response& res) { reply(res, 200, logs(s)); });
  admin.Delete("/admin/log", [s](const httplib::Request&, httplib::Response& res) {
    s.iam->clearLog();
    s.sts->clearLog();
    s.container->clearLog();
    s.imds->clearLog();
    reply(res, 200, json::object());
  });
}

// "NAME" or "PATH NAME" (file) / "PATH:NAME" (flag).
std::pair<std::string, std::string> splitUser(const std::string& spec, char sep) {
  const auto at = spec.find(sep);
  if (at == std::string::npos) return {"/", spec};
  return {spec.substr(0, at), spec.substr(at + 1)};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"fake-aws: fake IAM, STS, container credentials and IMDSv2 on 127.0.0.1"};
  std::vector<std::string> akids, secrets, users, roles;
  std::string users_file, users_prefix = "user", account_id = "123456789012";
  int users_count = 0, page_cap = 0, duration = 3600;
  FakeSts::Options sts_options;
  FakeContainerCredentials::Options container_options;
  FakeImds::Options imds_options;
  app.add_option("--access-key-id", akids, "long-term access key id IAM accepts");
  app.add_option("--secret-access-key", secrets, "its secret access key");
  app.add_option("--user", users, "seed a user: NAME or PATH:NAME");
  app.add_option("--users-file", users_file, "seed users from a file: NAME or PATH NAME per line");
  app.add_option("--users-count", users_count, "seed this many numbered users");
  app.add_option("--users-prefix", users_prefix, "prefix of the numbered users");
  app.add_option("--role", roles, "seed a role");
  app.add_option("--account-id", account_id, "account id in ARNs");
  app.add_option("--web-identity-token", sts_options.expected_token, "the web identity token STS accepts");
  app.add_option("--role-arn", sts_options.expected_role_arn, "the role ARN STS lets callers assume");
  app.add_option("--container-token", container_options.expected_authorization,
                 "container Authorization value");
  app.add_option("--container-path", container_options.path, "container credentials path");
  app.add_option("--imds-role", imds_options.role_name, "IMDS instance role name");
  app.add_option("--credentials-duration", duration, "seconds issued credentials last");
  app.add_option("--page-cap", page_cap, "IAM items per page at most");
  CLI11_PARSE(app, argc, argv);
  if (akids.size() != secrets.size()) {
    std::cerr << "fake-aws: --access-key-id and --secret-access-key must come in pairs\n";
    return 2;
  }

  // Every thread started from here on inherits the blocked signals; main waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  FakeIam::Options iam_options;
  iam_options.account_id = account_id;
  FakeIam iam(iam_options);
  for (size_t i = 0; i < akids.size(); ++i) iam.allowCredentials(akids[i], secrets[i]);
  for (const auto& spec : users) {
    auto [path, name] = splitUser(spec, ':');
    if (!validPath(path) || name.empty()) {
      std::cerr << "fake-aws: bad --user " << spec << "\n";
      return 2;
    }
    iam.addUser(name, path);
  }
  if (!users_file.empty()) {
    std::ifstream in(users_file);
    if (!in) {
      std::cerr << "fake-aws: cannot read " << users_file << "\n";
      return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string a, b;
      if (!(words >> a) || a[0] == '#') continue;
      if (words >> b) {
        if (!validPath(a)) {
          std::cerr << "fake-aws: bad path in " << users_file << ": " << a << "\n";
          return 2;
        }
        iam.addUser(b, a);
      } else {
        iam.addUser(a);
      }
    }
  }
  if (users_count > 0) iam.addUsers(users_count, users_prefix);
  for (const auto& r : roles) iam.addRole(r);
  iam.setPageCap(page_cap);

  sts_options.account_id = account_id;
  sts_options.duration = std::chrono::seconds(duration);
  sts_options.iam = &iam;
  container_options.duration = std::chrono::seconds(duration);
  container_options.iam = &iam;
  imds_options.duration = std::chrono::seconds(duration);
  imds_options.iam = &iam;
  FakeSts sts(sts_options);
  FakeContainerCredentials container(container_options);
  FakeImds imds(imds_options);
  aar::fakes::ServerThread admin;
  registerAdmin(admin.server(), Services{&iam, &sts, &container, &imds});
  // EKS (fake_eks.hpp): the same long-term keys; clusters, entries and faults under /admin/eks.
  aar::fakes::FakeEks eks(aar::fakes::FakeEks::Options{account_id, "us-east-1", 3000});
  for (size_t i = 0; i < akids.size(); ++i) eks.allowCredentials(akids[i], secrets[i]);
  // Credentials issued by STS, the container endpoint and IMDS (registered with the fake IAM) sign EKS too.
  eks.setCredentialsFallback(
      [&iam](const std::string& akid) -> std::optional<aar::fakes::FakeEks::SharedCredentials> {
        auto accepted = iam.acceptedCredentials(akid);
        if (!accepted) return std::nullopt;
        return aar::fakes::FakeEks::SharedCredentials{accepted->secret_access_key, accepted->session_token,
                                                      accepted->expired};
      });
  aar::fakes::registerFakeEksAdmin(admin.server(), eks);

  if (iam.start() <= 0 || sts.start() <= 0 || container.start() <= 0 || imds.start() <= 0 ||
      eks.start() <= 0 || admin.start() <= 0) {
    std::cerr << "fake-aws: could not listen on 127.0.0.1\n";
    return 1;
  }
  const json ready = {{"iam", iam.port()},
                      {"sts", sts.port()},
                      {"container", container.port()},
                      {"imds", imds.port()},
                      {"admin", admin.port()},
                      {"iam_url", iam.url()},
                      {"sts_url", sts.url()},
                      {"container_url", container.credentialsUrl()},
                      {"imds_url", imds.url()},
                      {"admin_url", admin.url()},
                      {"eks", eks.port()},
                      {"eks_url", eks.url()}};
  std::cout << ready.dump() << std::endl;

  int sig = 0;
  sigwait(&signals, &sig);
  // httplib's stop() waits for idle keep-alive connections (IAM's: up to 5 s) of clients that may still be
  // alive; a test fake must not hold up its caller, so flush and leave at once, letting the kernel close the
  // sockets. Nothing here has state to persist.
  std::cerr << "fake-aws: stopping on signal " << sig << std::endl;
  std::cout.flush();
  std::_Exit(0);
}
