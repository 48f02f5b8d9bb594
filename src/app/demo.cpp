#include "app/demo.hpp"

#include <limits.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
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

std::string userArn(const std::string& name) {
  return std::string("arn:aws:iam::") + kAccount + ":user/" + name;
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

 private:
  Status call(const std::string& method, const std::string& path, const nlohmann::json& body) {
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
    iam_.reset();
    kube_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    if (st.ok()) {
      auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::cout << "Done in " << fmt::format("{:.1f}", secs)
                << " s. The node role in mapRoles was never touched; every entry above came from a rule.\n";
    }
    return st;
  }

 private:
  // Where the fakes listen, from their ready lines.
  struct Fakes {
    std::string kubeconfig, kube_url, iam_url, admin_url;
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
    auto iam = Subprocess::spawn({*aws_bin, "--account-id", kAccount, "--access-key-id", kDemoAccessKeyId,
                                  "--secret-access-key", kDemoSecretKey},
                                 environmentWith({}), dir_ + "/fake-aws.log");
    if (!iam.ok()) return iam.error();
    iam_ = std::move(iam.value());
    auto iam_ready = readyLine(*iam_, "fake-aws");
    if (!iam_ready.ok()) return iam_ready.error();
    return Fakes{kube_ready->value("kubeconfig", ""), kube_ready->value("url", ""),
                 iam_ready->value("iam_url", ""), iam_ready->value("admin_url", "")};
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
  Status startController(const Fakes& fakes) {
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
    auto env =
        environmentWith({std::string("AWS_ACCESS_KEY_ID=") + kDemoAccessKeyId,
                         std::string("AWS_SECRET_ACCESS_KEY=") + kDemoSecretKey, "AWS_REGION=us-east-1",
                         "AWS_ENDPOINT_URL_IAM=" + fakes.iam_url, "AWS_EC2_METADATA_DISABLED=true"},
                        {"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                         "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                         "AWS_ENDPOINT_URL", "KUBECONFIG"});
    auto ctl = Subprocess::spawn(args, env);  // its log (warnings and errors) goes to our stderr
    if (!ctl.ok()) return ctl.error();
    controller_ = std::move(ctl.value());
    std::cout << "$ aws-auth-refresher --kubeconfig … --refresh-interval " << o_.refresh_interval.count()
              << "ms &\n\n";
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
    return Status::Ok();
  }

  DemoOptions o_;
  std::string dir_;
  std::unique_ptr<Subprocess> kube_, iam_, controller_;
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
