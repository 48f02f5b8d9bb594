// Issue 12, "a rules ConfigMap with only the 2019 format makes exactly the same IAM and Kubernetes requests
// and writes the same bytes as before (a test compares)".
//
// The real binary runs a fixed 2019-format scenario with `--once` (first run writes; IAM changes; second run
// writes the change; third run changes nothing) and everything it does is recorded, normalised and compared
// with tests/data/compat_2019/golden.txt:
// - every IAM request, byte for byte (method, path, form body), seen by a recording proxy in front of the
//   fake IAM (the fake's own log keeps only a few fields; the proxy forwards the signed request unchanged,
//   so the fake still verifies its SigV4 signature);
// - every Kubernetes request (method, verb, path, query, status) from the fake API server's log;
// - every object the binary wrote to a ConfigMap (from the fake store's watch history), without the fields
//   the server makes up (uid, creationTimestamp);
// - aws-auth after each step.
// The golden file was produced by the pre-v2 binary (the 2019 behaviour); rules v2 must not change a byte of
// it. AAR_UPDATE_GOLDEN=1 rewrites it instead of comparing (only ever from a tree whose behaviour is the
// reference). On a mismatch the test prints a line diff.
#include <httplib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>

#include "e2e/harness.hpp"
#include "fakes/kube/object_store.hpp"

namespace aar::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kGoldenPath = std::string(AAR_SOURCE_DIR) + "/tests/data/compat_2019/golden.txt";

// The 2019 rules format: arnRegex, username, groups; nothing else (no mapRoles, no accounts, no iamGroup).
constexpr char kRules[] = R"(- arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
  username: foo
  groups:
  - system:masters
- arnRegex: ^arn:aws:iam::1234567890:user/tmp-bar-.*$
  username: bar
  groups:
  - developers
  - viewers
- arnRegex: ^arn:aws:iam::1234567890:user/ops/.*$
  username: ops-$name
  groups:
  - ops
)";

// Node roles and hand-written entries that must survive byte for byte.
constexpr char kNodeRoles[] = R"(- rolearn: arn:aws:iam::1234567890:role/eks-node
  username: system:node:{{EC2PrivateDNSName}}
  groups:
  - system:bootstrappers
  - system:nodes
)";
constexpr char kHandUsers[] = R"(- userarn: arn:aws:iam::1234567890:user/admin
  username: admin
  groups:
  - system:masters
- userarn: arn:aws:iam::1234567890:user/tmp-foo-handwritten
  username: hand
  groups: []
)";
constexpr char kAccounts[] = "- \"111122223333\"\n";

// An HTTP proxy on 127.0.0.1 that records each request and forwards it unchanged (headers included, so the
// SigV4 signature over Host and X-Amz-Date still verifies) to the fake IAM.
class RecordingProxy {
 public:
  explicit RecordingProxy(int upstream_port) : upstream_port_(upstream_port) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { forward(req, res); };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ > 0) thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~RecordingProxy() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  RecordingProxy(const RecordingProxy&) = delete;
  RecordingProxy& operator=(const RecordingProxy&) = delete;

  int port() const { return port_; }
  // The requests since the last take(), oldest first, one line each.
  std::vector<std::string> take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(log_, {});
  }

 private:
  void forward(const httplib::Request& req, httplib::Response& res) {
    httplib::Headers headers;
    for (const auto& [name, value] : req.headers) {
      // httplib adds the peer's and its own address as pseudo-headers; the length and type are set below.
      if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" || name == "LOCAL_PORT" ||
          name == "Content-Length" || name == "Content-Type") {
        continue;
      }
      headers.emplace(name, value);
    }
    httplib::Client client("127.0.0.1", upstream_port_);
    client.set_connection_timeout(5, 0);
    client.set_read_timeout(10, 0);
    httplib::Result up = req.method == "POST" ? client.Post(req.target, headers, req.body,
                                                            req.get_header_value("Content-Type"))
                                              : client.Get(req.target, headers);
    {
      std::lock_guard<std::mutex> lock(mu_);
      log_.push_back(req.method + " " + req.target + " " + req.body + " -> " +
                     (up ? std::to_string(up->status) : std::string("no answer")));
    }
    if (!up) {
      res.status = 502;
      return;
    }
    res.status = up->status;
    res.set_content(up->body, up->get_header_value("Content-Type"));
  }

  int upstream_port_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::string> log_;
};

// The lines of `text` (without their '\n').
std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A line diff (longest common subsequence; the files are a few hundred lines): "-" golden, "+" actual, with
// the line numbers of the golden file.
std::string lineDiff(const std::string& expected, const std::string& actual) {
  const auto a = lines(expected);
  const auto b = lines(actual);
  std::vector<std::vector<size_t>> lcs(a.size() + 1, std::vector<size_t>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;) {
    for (size_t j = b.size(); j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::ostringstream out;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      ++i, ++j;
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out << "golden:" << i + 1 << " - " << a[i] << "\n";
      ++i;
    } else {
      out << "golden:" << i + 1 << " + " << b[j] << "\n";
      ++j;
    }
  }
  return out.str();
}

// A ConfigMap as written, without what the server makes up or bumps.
nlohmann::json normalised(nlohmann::json object) {
  if (object.contains("metadata")) {
    for (const char* field : {"uid", "creationTimestamp", "resourceVersion", "managedFields"}) {
      object["metadata"].erase(field);
    }
  }
  return object;
}

class Compat2019E2eTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    proxy_ = std::make_unique<RecordingProxy>(iam_->port());
    ASSERT_GT(proxy_->port(), 0);
    configmaps_ = testing::kube::findResourceType("", "v1", "configmaps");
    ASSERT_NE(configmaps_, nullptr);
    std::vector<testing::kube::WatchEvent> initial;
    ASSERT_TRUE(kube_->store().startWatch(*configmaps_, {}, "", &cursor_, &initial).ok());
    events_ = testing::kube::findResourceType("events.k8s.io", "v1", "events");
    ASSERT_NE(events_, nullptr);
    ASSERT_TRUE(kube_->store().startWatch(*events_, {}, "", &event_cursor_, &initial).ok());
  }
  void TearDown() override {
    proxy_.reset();
    E2eTest::TearDown();
  }

  // Runs `run --once` with IAM behind the proxy and appends what it did to record_.
  void step(const std::string& title) {
    kube_->clearRequests();
    drainWrites();  // the test's own setup writes are not the binary's
    ChildProcess* c = nullptr;
    const int code = runToExit(
        {"--once"}, {"AWS_ENDPOINT_URL_IAM=http://127.0.0.1:" + std::to_string(proxy_->port())}, 30s, &c);
    record_ << "## " << title << ": exit " << code << "\n";
    ASSERT_EQ(code, 0) << (c != nullptr ? c->err() : "");
    for (const auto& r : proxy_->take()) record_ << "iam " << r << "\n";
    // The fake logs a request just after answering it; the binary has exited, so the log is complete once
    // it stops growing.
    // (stable: unchanged across 100 ms, at most 2 s).
    size_t seen = 0;
    for (int i = 0; i < 20; ++i) {
      const size_t now = kube_->requests().size();
      if (now > 0 && now == seen) break;
      seen = now;
      std::this_thread::sleep_for(100ms);
    }
    // The binary reads its two ConfigMaps concurrently (two informers): the order within a run of reads
    // varies from run to run, so each run of GETs is compared sorted. Writes keep their place.
    std::vector<std::string> reads;
    auto flushReads = [&] {
      std::sort(reads.begin(), reads.end());
      for (const auto& r : reads) record_ << r;
      reads.clear();
    };
    for (const auto& r : kube_->requests()) {
      std::string line = "kube " + r.method + " " + r.verb + " " + r.path + (r.query.empty() ? "" : "?") +
                         r.query + " -> " + std::to_string(r.status) + "\n";
      if (r.method == "GET") {
        reads.push_back(std::move(line));
      } else {
        flushReads();
        record_ << line;
      }
    }
    flushReads();
    for (const auto& w : drainWrites()) record_ << w;
    auto cm = awsAuth();
    ASSERT_TRUE(cm.has_value());
    record_ << "aws-auth after " << title << ":\n" << normalised(*cm).dump(1) << "\n";
  }

  // The record with aws-auth's uid (made up by the API server, and part of the ownership annotation)
  // replaced by a placeholder.
  std::string record() const {
    std::string out = record_.str();
    auto cm = awsAuth();
    const std::string uid = cm ? (*cm)["metadata"].value("uid", "") : "";
    if (uid.empty()) return out;
    for (size_t at = out.find(uid); at != std::string::npos; at = out.find(uid, at)) {
      out.replace(at, uid.size(), "<aws-auth uid>");
    }
    return out;
  }

  // The ConfigMap writes since the last call, one block each.
  std::vector<std::string> drainWrites() {
    bool expired = false;
    auto events =
        kube_->store().waitForEvents(*configmaps_, {}, &cursor_, std::chrono::steady_clock::now(), &expired);
    EXPECT_FALSE(expired);
    std::vector<std::string> out;
    for (const auto& e : events) {
      out.push_back("write " + e.type + " " + e.namespace_name + "/" +
                    e.object["metadata"].value("name", "") + "\n" + normalised(e.object).dump(1) + "\n");
    }
    // Events: what they say, not their generated name, timestamps or uids.
    auto posted = kube_->store().waitForEvents(*events_, {}, &event_cursor_, std::chrono::steady_clock::now(),
                                               &expired);
    EXPECT_FALSE(expired);
    for (const auto& e : posted) {
      const auto& o = e.object;
      nlohmann::json said = {{"type", o.value("type", "")},
                             {"reason", o.value("reason", "")},
                             {"action", o.value("action", "")},
                             {"note", o.value("note", "")},
                             {"reportingController", o.value("reportingController", "")},
                             {"regarding", {{"kind", ""}, {"namespace", ""}, {"name", ""}}}};
      if (o.contains("regarding")) {
        for (const char* field : {"kind", "namespace", "name"}) {
          said["regarding"][field] = o["regarding"].value(field, "");
        }
      }
      out.push_back("event " + e.type + "\n" + said.dump(1) + "\n");
    }
    return out;
  }

  std::unique_ptr<RecordingProxy> proxy_;
  const testing::kube::ResourceType* configmaps_ = nullptr;
  uint64_t cursor_ = 0;
  const testing::kube::ResourceType* events_ = nullptr;
  uint64_t event_cursor_ = 0;
  std::ostringstream record_;
};

TEST_F(Compat2019E2eTest, A2019RulesConfigMapMakesTheSameRequestsAndWritesTheSameBytesAsBefore) {
  putRules(kRules);
  putAwsAuth({{"mapRoles", kNodeRoles}, {"mapUsers", kHandUsers}, {"mapAccounts", kAccounts}});
  // Several pages (Marker) in every listing.
  iam_->setPageCap(2);
  for (const char* name :
       {"admin", "tmp-foo-one", "tmp-foo-two", "tmp-bar-one", "tmp-foo-handwritten", "carol"}) {
    iam_->addUser(name);
  }
  iam_->addUser("deploy", "/ops/");
  // Roles exist in IAM, but no 2019 rule can ask for them: ListRoles must never be called.
  iam_->addRole("eks-node");
  iam_->addRole("AWSReservedSSO_Admin_0123456789abcdef", "/aws-reserved/sso.amazonaws.com/eu-west-1/");

  ASSERT_NO_FATAL_FAILURE(step("step 1 (first run, writes)"));
  ASSERT_TRUE(iam_->removeUser("tmp-foo-one"));
  iam_->addUser("tmp-bar-two");
  ASSERT_NO_FATAL_FAILURE(step("step 2 (IAM changed, writes)"));
  ASSERT_NO_FATAL_FAILURE(step("step 3 (nothing changed)"));

  // What the golden file holds, checked on its own too: users listed page by page, never roles; the
  // managed entries first (by ARN), then the hand-written ones untouched (tmp-foo-handwritten keeps its own
  // entry).
  const std::string actual = record();
  EXPECT_NE(actual.find("Action=ListUsers"), std::string::npos) << actual;
  EXPECT_NE(actual.find("Marker="), std::string::npos) << actual;
  EXPECT_EQ(actual.find("ListRoles"), std::string::npos) << actual;
  EXPECT_EQ(awsAuthData("mapRoles"), kNodeRoles);
  EXPECT_EQ(awsAuthData("mapAccounts"), kAccounts);
  EXPECT_EQ(mapUsers(), (std::vector<Entry>{{"arn:aws:iam::1234567890:user/ops/deploy", "ops-$name", {"ops"}},
                                            {userArn("tmp-bar-one"), "bar", {"developers", "viewers"}},
                                            {userArn("tmp-bar-two"), "bar", {"developers", "viewers"}},
                                            {userArn("tmp-foo-two"), "foo", {"system:masters"}},
                                            {userArn("admin"), "admin", {"system:masters"}},
                                            {userArn("tmp-foo-handwritten"), "hand", {}}}));

  if (const char* update = std::getenv("AAR_UPDATE_GOLDEN");
      update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(std::filesystem::path(kGoldenPath).parent_path());
    std::ofstream(kGoldenPath, std::ios::binary | std::ios::trunc) << actual;
    GTEST_SKIP() << "rewrote " << kGoldenPath;
  }
  std::ifstream in(kGoldenPath, std::ios::binary);
  ASSERT_TRUE(in.good()) << kGoldenPath << " is missing (AAR_UPDATE_GOLDEN=1 writes it)";
  const std::string golden((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(golden == actual) << "the 2019 behaviour changed; diff (golden:line -/+):\n"
                                << lineDiff(golden, actual);
}

}  // namespace
}  // namespace aar::e2e
