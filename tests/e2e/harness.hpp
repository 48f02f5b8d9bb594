// E2eTest: the fixture of the end-to-end tests. Each test gets its own fake API server (HTTPS, token auth)
// and fake IAM (SigV4-checked) on ephemeral ports of 127.0.0.1, a temporary directory with a kubeconfig, and
// starts the real ${AAR_BINARY_DIR}/aws-auth-refresher as child processes with a clean environment pointing
// at them.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "fakes/aws/fake_iam.hpp"
#include "fakes/kube/fake_api_server.hpp"
#include "support/child_process.hpp"
#include "support/eventually.hpp"
#include "support/temp_dir.hpp"

namespace aar::e2e {

inline constexpr char kAccount[] = "1234567890";
inline constexpr char kAccessKeyId[] = "AKIDE2ETEST000000001";
inline constexpr char kSecretKey[] = "e2eSecretKeyThatMustNeverBeLogged0000001";

// The seed README's rules.
inline constexpr char kSeedRules[] = R"(- arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
  username: foo
  groups:
  - system:masters
- arnRegex: ^arn:aws:iam::1234567890:user/tmp-bar-.*$
  username: bar
  groups:
  - developers
)";

std::string userArn(const std::string& name);

using test::ChildProcess;
using test::eventually;

// A mapUsers entry as aws-iam-authenticator reads it.
struct Entry {
  std::string arn, username;
  std::vector<std::string> groups;
  bool operator==(const Entry&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Entry& e);

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the binary with `args` plus, unless given in args: --kubeconfig, --metrics-bind-address
  // 127.0.0.1:0,
  // --health-probe-bind-address 127.0.0.1:0. `env` adds to (or overrides) baseEnv(); "NAME=" removes NAME.
  ChildProcess& start(std::vector<std::string> args, const std::vector<std::string>& env = {},
                      bool with_static_keys = true);
  // Runs the binary to completion (bounded); returns the exit code (-1 on timeout).
  int runToExit(std::vector<std::string> args, const std::vector<std::string>& env = {},
                std::chrono::milliseconds limit = std::chrono::seconds(20), ChildProcess** out = nullptr);
  // PATH, HOME and the AWS settings for the fake IAM (static keys unless with_static_keys is false).
  std::vector<std::string> baseEnv(bool with_static_keys = true) const;

  void putRules(const std::string& map_users);
  // The rules ConfigMap with exactly these data keys (mapUsers, mapRoles, accounts, ...).
  void putRulesData(const std::map<std::string, std::string>& data);
  // Warning Events (events.k8s.io/v1, kube-system) with `reason` about the ConfigMap `name`.
  std::vector<nlohmann::json> warningEvents(const std::string& reason, const std::string& name) const;
  void putAwsAuth(const std::map<std::string, std::string>& data);
  std::optional<nlohmann::json> awsAuth() const;
  std::string awsAuthData(const std::string& key) const;
  std::vector<Entry> mapUsers() const;
  // ConfigMap writes (create, update, patch) seen by the API server.
  size_t configMapWrites() const;
  // ListUsers requests seen by IAM (one per page).
  size_t listUsersRequests() const;

  // The port a child logged for "serving <what> on host:port" (0 when not logged yet).
  static int loggedPort(const ChildProcess& child, const std::string& what);
  // HTTP GET on 127.0.0.1:port; status (0 on failure) and body.
  static std::pair<int, std::string> httpGet(int port, const std::string& path);

  std::unique_ptr<test::TempDir> tmp_;
  std::string dir_;  // tmp_'s path
  std::string kubeconfig_;
  std::unique_ptr<testing::kube::FakeApiServer> kube_;
  std::unique_ptr<fakes::FakeIam> iam_;
  std::vector<std::unique_ptr<ChildProcess>> children_;
};

}  // namespace aar::e2e
