#include "app/demo.hpp"

#include <fmt/ranges.h>
#include <limits.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/subprocess.hpp"
#include "core/aws_auth_codec.hpp"
#include "core/reconcile.hpp"
#include "kube/config.hpp"
#include "kube/config_maps.hpp"
#include "kube/encoding.hpp"
#include "kube/rest_client.hpp"
#include "net/http_client.hpp"

namespace aar::app {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr char kNamespace[] = "kube-system";
constexpr char kAccount[] = "1234567890";
// The demo's IAM credentials: accepted by the fake IAM only; not a secret anywhere.
constexpr char kDemoAccessKeyId[] = "AKIADEMO000000000001";
constexpr char kDemoSecretKey[] = "demo-secret-key-for-the-fake-iam-only-0001";

constexpr char kRules[] = R"(- arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
  username: foo
  groups:
  - system:masters
- arnRegex: ^arn:aws:iam::1234567890:user/tmp-bar-.*$
  username: bar
  groups:
  - developers
)";
constexpr char kNodeRoles[] = R"(- rolearn: arn:aws:iam::1234567890:role/eks-node-group
  username: system:node:{{EC2PrivateDNSName}}
  groups:
  - system:bootstrappers
  - system:nodes
)";

// Act 2: the same rules for the access-entries backend. EKS refuses `system:` groups on an access entry, so
// foo's system:masters becomes the cluster-admin access policy (refused unless --allow-cluster-admin-policy).
// EKS wants a real, 12-digit account id in a principal ARN (act 1's 1234567890 is the seed README's), so act
// 2 runs against a second fake AWS account of its own.
constexpr char kAccount2[] = "123456789012";
constexpr char kAccessEntryRules[] = R"(- arnRegex: ^arn:aws:iam::123456789012:user/tmp-foo-.*$
  username: foo
  groups: []
  accessPolicies:
  - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
    accessScope:
      type: cluster
- arnRegex: ^arn:aws:iam::123456789012:user/tmp-bar-.*$
  username: bar
  groups:
  - developers
)";
constexpr char kCluster[] = "demo";
constexpr char kOwnerTag[] = "aws-auth-refresher/owner";
constexpr char kOwnerId[] = "aws-auth-refresher";
// A hand-made entry (the cluster creator's, say): not ours, so the controller must leave it alone.
constexpr char kForeignArn[] = "arn:aws:iam::123456789012:role/cluster-creator";

std::string userArn(const std::string& name, const char* account = kAccount) {
  return std::string("arn:aws:iam::") + account + ":user/" + name;
}

std::string selfDir() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return ".";
  buf[n] = '\0';
  return fs::path(buf).parent_path().string();
}

std::string selfExe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "aws-auth-refresher";
  buf[n] = '\0';
  return buf;
}

// The given path, else $env, else the first candidate (relative to this executable's directory) that exists.
Result<std::string> locate(const std::string& given, const char* env,
                           const std::vector<std::string>& candidates) {
  if (!given.empty()) return given;
  if (const char* e = std::getenv(env); e != nullptr && *e != '\0') return std::string(e);
  std::string dir = selfDir();
  for (const auto& c : candidates) {
    fs::path p = fs::path(dir) / c;
    if (fs::exists(p)) return p.string();
  }
  return makeError(ErrorKind::kNotFound,
                   std::string("cannot find ") + fs::path(candidates.front()).filename().string() +
                       " next to " + dir + " (set $" + env +
                       ", or build it: cmake --build build --target fake-kube-apiserver fake-aws)");
}

// One JSON line from a fake server's stdout: its "ready" announcement.
Result<nlohmann::json> readyLine(Subprocess& p, const std::string& what) {
  auto line = p.readLine(10s);
  if (!line.ok()) return makeError(line.error().kind, what + " did not start: " + line.error().message);
  auto j = nlohmann::json::parse(*line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return makeError(ErrorKind::kParse, what + " printed: " + *line);
  return j;
}

// The fake IAM's admin API (plain HTTP on 127.0.0.1), through the product's own HTTP client.
class IamAdmin {
 public:
  explicit IamAdmin(std::string admin_url) : url_(std::move(admin_url)) {}
  Status addUser(const std::string& name) { return call("POST", "/admin/users", {{"name", name}}); }
  Status removeUser(const std::string& name) {
    return call("DELETE", "/admin/users/" + net::urlEncode(name), {});
  }
  // The fake EKS (fake_eks.hpp, admin routes under /admin/eks).
  Status addCluster(const std::string& name, const std::string& mode) {
    return call("POST", "/admin/eks/clusters", {{"name", name}, {"mode", mode}});
  }
  Status seedEntry(const nlohmann::json& entry) { return call("POST", "/admin/eks/entries", entry); }
  // The cluster's entries as the fake holds them: [{principalArn, type, username, kubernetesGroups, tags,
  // policies}].
  Result<nlohmann::json> entries(const std::string& cluster) {
    nlohmann::json out;
    if (auto s = call("GET", "/admin/eks/entries?cluster=" + net::urlEncode(cluster), {}, &out); !s.ok())
      return s.error();
    if (!out.is_object() || !out.contains("entries") || !out["entries"].is_array())
      return makeError(ErrorKind::kParse, "fake EKS admin: unexpected entries reply");
    return out["entries"];
  }

 private:
  Status call(const std::string& method, const std::string& path, const nlohmann::json& body,
              nlohmann::json* reply = nullptr) {
    net::HttpRequest req;
    req.method = method;
    req.url = url_ + path;
    if (!body.empty()) {
      req.body = kube::jsonText(body);
      req.headers.emplace_back("Content-Type", "application/json");
    }
    auto res = http_.perform(req);
    if (!res.ok()) return res.error();
    if (res->status / 100 != 2) {
      return makeError(ErrorKind::kServer, "fake IAM admin " + method + " " + path + ": HTTP " +
                                               std::to_string(res->status) + " " + res->body);
    }
    if (reply != nullptr) {
      *reply = nlohmann::json::parse(res->body, nullptr, false);
      if (reply->is_discarded()) return makeError(ErrorKind::kParse, "fake AWS admin " + path + ": not JSON");
    }
    return Status::Ok();
  }
  std::string url_;
  net::HttpClient http_;
};

// Indents every line of a block by `indent` spaces.
std::string indented(std::string_view text, int indent) {
  std::string out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    out += std::string(static_cast<size_t>(indent), ' ');
    out += text.substr(0, nl);
    out += '\n';
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return out;
}

// aws-auth as `kubectl get -o yaml` shows its interesting part (display only; names and values are ours).
std::string showAwsAuth(const kube::ConfigMap& cm) {
  std::string out = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + cm.name() +
                    "\n  namespace: " + cm.namespaceName() + "\ndata:\n";
  for (const auto& [k, v] : cm.data()) out += "  " + k + ": |\n" + indented(v, 4);
  return out;
}

std::vector<std::string> managedArns(const kube::ConfigMap& cm) {
  std::vector<std::string> arns;
  auto users = cm.dataValue(core::kMapUsersKey);
  if (!users) return arns;
  auto parsed = core::parseMapUsers(*users);
  if (!parsed.ok()) return arns;
  for (const auto& e : *parsed) arns.push_back(e.mapping.user_arn);
  return arns;
}

// One access entry per line, as `aws eks describe-access-entry` plus its tags and policies would tell it
// (display only; the fields come from the fake's admin view).
std::string showEntry(const nlohmann::json& e) {
  std::string out = e.value("principalArn", "") + "  type=" + e.value("type", "");
  if (!e.value("username", std::string()).empty()) out += "  username=" + e.value("username", "");
  std::vector<std::string> groups = e.value("kubernetesGroups", std::vector<std::string>{});
  out += "  groups=[" + fmt::format("{}", fmt::join(groups, ",")) + "]";
  std::map<std::string, std::string> tags = e.value("tags", std::map<std::string, std::string>{});
  std::vector<std::string> shown;
  for (const auto& [k, v] : tags) shown.push_back(k + "=" + v);
  out += "  tags={" + fmt::format("{}", fmt::join(shown, ",")) + "}";
  if (auto p = e.find("policies"); p != e.end() && p->is_object()) {
    for (auto it = p->begin(); it != p->end(); ++it) {
      const std::string& arn = it.key();
      out += "  policy=" + arn.substr(arn.rfind('/') + 1) + "(" + it.value().value("type", "") + ")";
    }
  }
  return out + "\n";
}

bool ours(const nlohmann::json& e) {
  return e.value("type", "") == "STANDARD" && e.contains("tags") && e["tags"].is_object() &&
         e["tags"].value(kOwnerTag, "") == kOwnerId;
}

class Demo {
 public:
  explicit Demo(const DemoOptions& o) : o_(o) {}

  Status run() {
    auto start = std::chrono::steady_clock::now();
    std::string tmpl = (fs::temp_directory_path() / "aws-auth-refresher-demo-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr)
      return makeError(ErrorKind::kInternal, "cannot create a temporary directory");
    dir_ = tmpl;
    Status st = steps();
    controller_.reset();
    aws2_.reset();
    iam_.reset();
    kube_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (st.ok()) {
      auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::cout
          << "Done in " << fmt::format("{:.1f}", secs)
          << " s. The node role in mapRoles and the hand-made access entry were never touched; every other "
             "entry above came from a rule.\n";
    }
    return st;
  }

 private:
  // Where the fakes listen, from their ready lines.
  struct Fakes {
    std::string kubeconfig, kube_url, iam_url, admin_url, eks_url;
  };

  // 1. The fake Kubernetes API server (HTTPS, token auth) and the fake IAM (SigV4 checked).
  Result<Fakes> startFakes() {
    auto kube_bin = locate(o_.fake_kube_apiserver, "AAR_FAKE_KUBE_APISERVER",
                           {"fake-kube-apiserver", "tests/fakes/kube/fake-kube-apiserver"});
    if (!kube_bin.ok()) return kube_bin.error();
    auto aws_bin = locate(o_.fake_aws, "AAR_FAKE_AWS", {"fake-aws", "tests/fakes/aws/fake-aws"});
    if (!aws_bin.ok()) return aws_bin.error();
    auto kube = Subprocess::spawn({*kube_bin, "--state-dir", dir_, "--admin-port", "-1"}, environmentWith({}),
                                  dir_ + "/fake-kube-apiserver.log");
    if (!kube.ok()) return kube.error();
    kube_ = std::move(kube.value());
    auto kube_ready = readyLine(*kube_, "fake-kube-apiserver");
    if (!kube_ready.ok()) return kube_ready.error();
    auto iam_ready = startAws(*aws_bin, kAccount, iam_);
    if (!iam_ready.ok()) return iam_ready.error();
    return Fakes{kube_ready->value("kubeconfig", ""), kube_ready->value("url", ""),
                 iam_ready->value("iam_url", ""), iam_ready->value("admin_url", ""),
                 iam_ready->value("eks_url", "")};
  }

  // A fake-aws (IAM, EKS, ...) for `account`, with the demo's keys; its ready line.
  Result<nlohmann::json> startAws(const std::string& bin, const std::string& account,
                                  std::unique_ptr<Subprocess>& slot) {
    auto aws = Subprocess::spawn({bin, "--account-id", account, "--access-key-id", kDemoAccessKeyId,
                                  "--secret-access-key", kDemoSecretKey},
                                 environmentWith({}), dir_ + "/fake-aws-" + account + ".log");
    if (!aws.ok()) return aws.error();
    slot = std::move(aws.value());
    return readyLine(*slot, "fake-aws");
  }

  // 2. Seed: the README's rules, and an aws-auth holding a node role that must survive.
  static Status seed(kube::ConfigMapClient& cms) {
    kube::ConfigMap rules(kNamespace, "aws-auth-refresher");
    rules.setDataValue("mapUsers", kRules);
    if (auto r = cms.create(rules); !r.ok()) return r.error();
    kube::ConfigMap aws_auth(kNamespace, "aws-auth");
    aws_auth.setDataValue("mapRoles", kNodeRoles);
    if (auto r = cms.create(aws_auth); !r.ok()) return r.error();
    std::cout << "$ kubectl -n kube-system get configmap aws-auth-refresher -o yaml   # the rules\n"
              << "data:\n  mapUsers: |\n"
              << indented(kRules, 4) << "\n";
    return Status::Ok();
  }

  // 3. The real controller, in its own process, against both fakes.
  // `backend_args` (act 2: the access-entries backend) are appended to `run`'s flags.
  Status startController(const Fakes& fakes, const std::vector<std::string>& backend_args = {}) {
    std::vector<std::string> args = {selfExe(),
                                     "run",
                                     "--kubeconfig",
                                     fakes.kubeconfig,
                                     "--refresh-interval",
                                     std::to_string(o_.refresh_interval.count()) + "ms",
                                     "--metrics-bind-address",
                                     "0",
                                     "--health-probe-bind-address",
                                     "0",
                                     "--log-level",
                                     o_.verbose ? "info" : "warn"};
    args.insert(args.end(), backend_args.begin(), backend_args.end());
    auto env = environmentWith({std::string("AWS_ACCESS_KEY_ID=") + kDemoAccessKeyId,
                                std::string("AWS_SECRET_ACCESS_KEY=") + kDemoSecretKey,
                                "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL_IAM=" + fakes.iam_url,
                                "AWS_ENDPOINT_URL_EKS=" + fakes.eks_url, "AWS_EC2_METADATA_DISABLED=true"},
                               {"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ROLE_ARN",
                                "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL", "KUBECONFIG"});
    auto ctl = Subprocess::spawn(args, env);  // its log (warnings and errors) goes to our stderr
    if (!ctl.ok()) return ctl.error();
    controller_ = std::move(ctl.value());
    std::cout << "$ aws-auth-refresher --kubeconfig … --refresh-interval " << o_.refresh_interval.count()
              << "ms";
    for (const auto& a : backend_args) std::cout << " " << a;
    std::cout << " &\n\n";
    return Status::Ok();
  }

  // Prints `title`, waits (up to the step timeout) until aws-auth's managed ARNs are `expected`, shows it.
  Status show(kube::ConfigMapClient& cms, const std::string& title,
              const std::vector<std::string>& expected) {
    std::cout << title << "\n";
    std::optional<kube::ConfigMap> seen;
    auto deadline = std::chrono::steady_clock::now() + o_.step_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto code = controller_->poll()) {
        return makeError(ErrorKind::kInternal, "the controller exited with code " + std::to_string(*code));
      }
      auto cm = cms.get(kNamespace, "aws-auth");
      if (cm.ok()) {
        auto arns = managedArns(*cm);
        std::sort(arns.begin(), arns.end());
        if (arns == expected) {
          seen = std::move(cm.value());
          break;
        }
      }
      std::this_thread::sleep_for(50ms);
    }
    if (!seen) return makeError(ErrorKind::kTimeout, "aws-auth did not reach the expected state in time");
    std::cout << "$ kubectl -n kube-system get configmap aws-auth -o yaml\n" << showAwsAuth(*seen) << "\n";
    return Status::Ok();
  }

  // Act 2: prints `title`, waits until the entries that are ours are exactly `expected` (sorted ARNs), each
  // tagged with a principal id, and every foo entry has its access policy; shows all of the cluster's
  // entries.
  Status showEntries(IamAdmin& admin, const std::string& title, const std::vector<std::string>& expected) {
    std::cout << title << "\n";
    std::optional<nlohmann::json> seen;
    auto deadline = std::chrono::steady_clock::now() + o_.step_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto code = controller_->poll()) {
        return makeError(ErrorKind::kInternal, "the controller exited with code " + std::to_string(*code));
      }
      auto all = admin.entries(kCluster);
      if (!all.ok()) return all.error();
      std::vector<std::string> arns;
      bool complete = false;  // true once the hand-made entry is seen, untouched
      for (const auto& e : *all) {
        if (e.value("principalArn", "") == kForeignArn)
          complete = e.value("username", "") == "cluster-creator" && !ours(e);
      }
      for (const auto& e : *all) {
        if (!ours(e)) continue;
        arns.push_back(e.value("principalArn", ""));
        complete = complete && !e["tags"].value("aws-auth-refresher/principal-id", "").empty();
        if (e.value("username", "") == "foo") {
          auto p = e.find("policies");
          complete = complete && p != e.end() && p->is_object() && !p->empty();
        }
      }
      std::sort(arns.begin(), arns.end());
      if (complete && arns == expected) {
        seen = std::move(all.value());
        break;
      }
      std::this_thread::sleep_for(50ms);
    }
    if (!seen)
      return makeError(ErrorKind::kTimeout, "the access entries did not reach the expected state in time");
    std::cout << "$ aws eks list-access-entries --cluster-name " << kCluster
              << "   # + describe, tags, policies\n";
    for (const auto& e : *seen) std::cout << showEntry(e);
    std::cout << "\n";
    return Status::Ok();
  }

  // Act 2: the same rules written as EKS access entries into a fake cluster in API_AND_CONFIG_MAP mode, next
  // to a hand-made entry that is not ours.
  Status actTwo(const Fakes& act1, kube::ConfigMapClient& cms) {
    auto aws_bin = locate(o_.fake_aws, "AAR_FAKE_AWS", {"fake-aws", "tests/fakes/aws/fake-aws"});
    if (!aws_bin.ok()) return aws_bin.error();
    auto ready = startAws(*aws_bin, kAccount2, aws2_);
    if (!ready.ok()) return ready.error();
    Fakes fakes = act1;
    fakes.iam_url = ready->value("iam_url", "");
    fakes.admin_url = ready->value("admin_url", "");
    fakes.eks_url = ready->value("eks_url", "");
    IamAdmin admin(fakes.admin_url);
    std::cout << "Act 2: the same rules as EKS access entries (account " << kAccount2 << ", cluster \""
              << kCluster << "\" in API_AND_CONFIG_MAP mode, fake IAM at " << fakes.iam_url
              << ", fake EKS at " << fakes.eks_url << ").\n\n";
    if (auto s = admin.addCluster(kCluster, "API_AND_CONFIG_MAP"); !s.ok()) return s;
    if (auto s = admin.seedEntry({{"cluster", kCluster},
                                  {"principalArn", kForeignArn},
                                  {"type", "STANDARD"},
                                  {"username", "cluster-creator"},
                                  {"kubernetesGroups", nlohmann::json::array()},
                                  {"tags", nlohmann::json::object()}});
        !s.ok())
      return s;
    auto rules = cms.get(kNamespace, "aws-auth-refresher");
    if (!rules.ok()) return rules.error();
    rules->setDataValue("mapUsers", kAccessEntryRules);
    if (auto r = cms.update(*rules); !r.ok()) return r.error();
    std::cout
        << "$ kubectl -n kube-system edit configmap aws-auth-refresher   # system:masters is not allowed on "
           "an access entry: a cluster-admin access policy instead\n"
        << "data:\n  mapUsers: |\n"
        << indented(kAccessEntryRules, 4) << "\n";
    for (const char* u : {"tmp-foo-one", "tmp-bar-one", "tmp-bar-two"}) {
      if (auto s = admin.addUser(u); !s.ok()) return s;
    }
    if (auto s = startController(fakes, {"--backend", "access-entries", "--cluster-name", kCluster,
                                         "--allow-cluster-admin-policy"});
        !s.ok())
      return s;
    if (auto s =
            showEntries(admin,
                        "Step 4: IAM users tmp-foo-one, tmp-bar-one and tmp-bar-two exist: one tagged entry "
                        "each; role/cluster-creator's hand-made entry is not ours.",
                        {userArn("tmp-bar-one", kAccount2), userArn("tmp-bar-two", kAccount2),
                         userArn("tmp-foo-one", kAccount2)});
        !s.ok())
      return s;
    if (auto s = admin.removeUser("tmp-bar-two"); !s.ok()) return s;
    if (auto s = showEntries(
            admin,
            "Step 5: tmp-bar-two is deleted: its entry is removed; role/cluster-creator's entry is "
            "left alone.",
            {userArn("tmp-bar-one", kAccount2), userArn("tmp-foo-one", kAccount2)});
        !s.ok())
      return s;
    int code = controller_->terminate();
    if (code != 0)
      return makeError(ErrorKind::kInternal, "the controller exited with code " + std::to_string(code));
    return Status::Ok();
  }

  Status steps() {
    auto fakes = startFakes();
    if (!fakes.ok()) return fakes.error();
    IamAdmin admin(fakes->admin_url);
    std::cout << "Started a fake Kubernetes API server at " << fakes->kube_url << " and a fake IAM at "
              << fakes->iam_url << " (127.0.0.1 only).\n\n";
    kube::LoadOptions load;
    load.kubeconfig_path = fakes->kubeconfig;
    auto config = kube::loadConnectionConfig(load);
    if (!config.ok()) return config.error();
    auto rest = kube::RestClient::create(*config);
    if (!rest.ok()) return rest.error();
    kube::ConfigMapClient cms(**rest);
    if (auto s = seed(cms); !s.ok()) return s;
    if (auto s = admin.addUser("tmp-foo-one"); !s.ok()) return s;
    if (auto s = startController(*fakes); !s.ok()) return s;

    if (auto s = show(cms, "Step 1: only the IAM user tmp-foo-one exists.", {userArn("tmp-foo-one")});
        !s.ok())
      return s;
    for (const char* u : {"tmp-bar-one", "tmp-bar-two"}) {
      if (auto s = admin.addUser(u); !s.ok()) return s;
    }
    if (auto s = show(cms, "Step 2: tmp-bar-one and tmp-bar-two are created.",
                      {userArn("tmp-bar-one"), userArn("tmp-bar-two"), userArn("tmp-foo-one")});
        !s.ok()) {
      return s;
    }
    for (const char* u : {"tmp-foo-one", "tmp-bar-two"}) {
      if (auto s = admin.removeUser(u); !s.ok()) return s;
    }
    if (auto s = show(cms, "Step 3: tmp-foo-one and tmp-bar-two are deleted.", {userArn("tmp-bar-one")});
        !s.ok()) {
      return s;
    }
    int code = controller_->terminate();
    if (code != 0)
      return makeError(ErrorKind::kInternal, "the controller exited with code " + std::to_string(code));
    return actTwo(*fakes, cms);
  }

  DemoOptions o_;
  std::string dir_;
  std::unique_ptr<Subprocess> kube_, iam_, aws2_, controller_;
};

}  // namespace

int runDemo(const DemoOptions& options) {
  Demo demo(options);
  Status st = demo.run();
  if (!st.ok()) {
    std::cerr << "demo failed: " << st.error().toString() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace aar::app
