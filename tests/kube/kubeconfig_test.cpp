#include "kube/kubeconfig.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/config.hpp"
#include "kube/encoding.hpp"
#include "kube/in_cluster.hpp"
#include "kube_test_support.hpp"

namespace aar::kube {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;

const std::string kCaPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

std::string kubeconfig(const std::string& user_body, const std::string& cluster_extra = "") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: main\n"
         "clusters:\n- name: c1\n  cluster:\n    server: https://127.0.0.1:6443/\n" +
         cluster_extra +
         "contexts:\n- name: main\n  context:\n    cluster: c1\n    user: u1\n    namespace: team\n"
         "- name: other\n  context:\n    cluster: c1\n    user: u2\n"
         "users:\n- name: u1\n  user:\n" +
         user_body + "- name: u2\n  user:\n    token: other-token\n";
}

TEST(KubeconfigTest, ReadsServerTokenNamespaceAndEmbeddedCa) {
  auto c = parseKubeconfig(
      kubeconfig("    token: t0ken\n", "    certificate-authority-data: " + base64Encode(kCaPem) + "\n"),
      "/etc/kc.yaml", "");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://127.0.0.1:6443");
  EXPECT_EQ(c->auth.token, "t0ken");
  EXPECT_EQ(c->ca_pem, kCaPem);
  EXPECT_EQ(c->namespace_name, "team");
  EXPECT_FALSE(c->insecure_skip_tls_verify);
  EXPECT_THAT(c->source, HasSubstr("/etc/kc.yaml"));
}

TEST(KubeconfigTest, SelectsTheContextAskedFor) {
  auto c = parseKubeconfig(kubeconfig("    token: t0ken\n"), "/kc", "other");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->auth.token, "other-token");
  auto missing = parseKubeconfig(kubeconfig("    token: t0ken\n"), "/kc", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("no entry named \"nope\""));
}

TEST(KubeconfigTest, ResolvesRelativeFilesAgainstTheKubeconfigDirectory) {
  TempDir dir;
  dir.write("pki/ca.crt", kCaPem);
  dir.write("pki/client.crt", "CERT");
  dir.write("pki/client.key", "KEY");
  dir.write("token", "file-token\n");
  const std::string path = dir.write(
      "config",
      kubeconfig("    client-certificate: pki/client.crt\n    client-key: pki/client.key\n"
                 "    tokenFile: token\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
                 "      command: ./bin/get-token\n      args: [a, b]\n"
                 "      env:\n      - name: AWS_PROFILE\n        value: prod\n",
                 "    certificate-authority: pki/ca.crt\n"));
  auto c = loadKubeconfig(path, "");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->ca_pem, kCaPem);
  EXPECT_EQ(c->auth.client_cert_pem, "CERT");
  EXPECT_EQ(c->auth.client_key_pem, "KEY");
  EXPECT_EQ(c->auth.token_file, dir.file("token"));
  ASSERT_TRUE(c->auth.exec.has_value());
  EXPECT_EQ(c->auth.exec->command, dir.path() + "/./bin/get-token");
  EXPECT_EQ(c->auth.exec->args, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c->auth.exec->env.at(0).first, "AWS_PROFILE");
  EXPECT_EQ(c->auth.exec->api_version, kExecApiV1beta1);
}

TEST(KubeconfigTest, LeavesABareExecCommandToPath) {
  auto c = parseKubeconfig(kubeconfig("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                                      "      command: aws\n      args: [eks, get-token]\n"),
                           "/home/me/.kube/config", "");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->auth.exec->command, "aws");
}

TEST(KubeconfigTest, WarnsNothingButKeepsInsecureSkipTlsVerify) {
  auto c = parseKubeconfig(kubeconfig("    token: t\n", "    insecure-skip-tls-verify: true\n"), "/kc", "");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->insecure_skip_tls_verify);
}

TEST(KubeconfigTest, ErrorsNameTheFileAndTheFieldButNeverTheSecret) {
  struct Case {
    std::string yaml;
    std::string expected;
  };
  const Case cases[] = {
      {kubeconfig("    token: s3cret\n    client-key-data: '!!!'\n    client-certificate-data: QQ==\n"),
       "users[\"u1\"].user.client-key-data: not valid base64"},
      {kubeconfig("    token: s3cret\n    client-certificate-data: QQ==\n"),
       "client-certificate given without client-key"},
      {kubeconfig("    token: s3cret\n", "    certificate-authority: /nonexistent/ca.crt\n"),
       "certificate-authority"},
      {kubeconfig("    token: s3cret\n    auth-provider:\n      name: gcp\n"),
       "auth-provider: not supported"},
      {kubeconfig("    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n      command: x\n"),
       "users[\"u1\"].user.exec.apiVersion"},
      {kubeconfig("    token: s3cret\n", "    insecure-skip-tls-verify: maybe\n"),
       "clusters[\"c1\"].cluster.insecure-skip-tls-verify: not a boolean"},
      {"current-context: x\ncontexts: [}", "not valid YAML"},
      {"apiVersion: v1\nkind: Config\n", "current-context: not set"},
  };
  for (const auto& c : cases) {
    auto r = parseKubeconfig(c.yaml, "/path/to/kc", "");
    ASSERT_FALSE(r.ok()) << c.expected;
    EXPECT_THAT(r.error().message, HasSubstr("/path/to/kc")) << c.expected;
    EXPECT_THAT(r.error().message, HasSubstr(c.expected));
    EXPECT_THAT(r.error().message, Not(HasSubstr("s3cret")));
  }
}

TEST(KubeconfigTest, RefusesAPlainHttpServerNamingTheCluster) {
  for (const char* server : {"http://127.0.0.1:8080", "HTTP://api.example.com"}) {
    std::string yaml = kubeconfig("    token: s3cret\n");
    yaml.replace(yaml.find("https://127.0.0.1:6443/"), std::string("https://127.0.0.1:6443/").size(), server);
    auto r = parseKubeconfig(yaml, "/path/to/kc", "");
    ASSERT_FALSE(r.ok()) << server;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr("/path/to/kc"));
    EXPECT_THAT(r.error().message, HasSubstr("clusters[\"c1\"].cluster.server"));
    EXPECT_THAT(r.error().message, HasSubstr("cluster \"c1\" must be reached over https"));
    EXPECT_THAT(r.error().message, Not(HasSubstr("s3cret")));
  }
  std::string yaml = kubeconfig("    token: t\n");
  yaml.replace(yaml.find("https://"), 8, "ftp://");
  auto r = parseKubeconfig(yaml, "/kc", "");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("is not an https URL"));
}

TEST(KubeconfigTest, RefusesInsecureSkipTlsVerifyTogetherWithACaAsKubectlDoes) {
  TempDir dir;
  const std::string ca_file = dir.write("ca.crt", kCaPem);
  for (const std::string& ca : {"    certificate-authority-data: " + base64Encode(kCaPem) + "\n",
                                "    certificate-authority: " + ca_file + "\n"}) {
    auto r =
        parseKubeconfig(kubeconfig("    token: t\n", ca + "    insecure-skip-tls-verify: true\n"), "/kc", "");
    ASSERT_FALSE(r.ok()) << ca;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    EXPECT_THAT(r.error().message, HasSubstr("clusters[\"c1\"].cluster.insecure-skip-tls-verify"));
    EXPECT_THAT(r.error().message, HasSubstr("for cluster \"c1\""));
    EXPECT_THAT(r.error().message, HasSubstr("a CA with the insecure flag is not allowed"));
  }
  // Either alone is accepted; insecure-skip-tls-verify: false with a CA is the normal case.
  auto with_ca =
      parseKubeconfig(kubeconfig("    token: t\n", "    certificate-authority-data: " + base64Encode(kCaPem) +
                                                       "\n    insecure-skip-tls-verify: false\n"),
                      "/kc", "");
  ASSERT_TRUE(with_ca.ok()) << with_ca.error().message;
  EXPECT_EQ(with_ca->ca_pem, kCaPem);
}

// The search order: --kubeconfig, $KUBECONFIG (first entry), in-cluster, ~/.kube/config.
struct Fixture {
  TempDir dir;
  std::map<std::string, std::string> vars;
  LoadOptions options() {
    LoadOptions o;
    o.env.get = [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    o.env.in_cluster_dir = dir.file("sa");
    return o;
  }
  std::string kc(const std::string& name, const std::string& token) {
    return dir.write(name, kubeconfig("    token: " + token + "\n"));
  }
  void inCluster() {
    dir.write("sa/ca.crt", kCaPem);
    dir.write("sa/token", "sa-token\n");
    dir.write("sa/namespace", "kube-system\n");
    vars["KUBERNETES_SERVICE_HOST"] = "10.0.0.1";
    vars["KUBERNETES_SERVICE_PORT"] = "443";
  }
};

TEST(ConfigSearchTest, ExplicitPathWinsOverEverything) {
  Fixture f;
  f.inCluster();
  f.vars["KUBECONFIG"] = f.kc("env.yaml", "env");
  f.vars["HOME"] = f.dir.path();
  auto o = f.options();
  o.kubeconfig_path = f.kc("flag.yaml", "flag");
  auto c = loadConnectionConfig(o);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->auth.token, "flag");
}

TEST(ConfigSearchTest, KubeconfigVariableUsesOnlyItsFirstFile) {
  Fixture f;
  f.inCluster();
  f.vars["KUBECONFIG"] = ":" + f.kc("first.yaml", "first") + ":" + f.kc("second.yaml", "second");
  auto c = loadConnectionConfig(f.options());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->auth.token, "first");
}

TEST(ConfigSearchTest, InClusterBeforeTheHomeKubeconfig) {
  Fixture f;
  f.inCluster();
  f.dir.write("home/.kube/config", kubeconfig("    token: home\n"));
  f.vars["HOME"] = f.dir.file("home");
  auto c = loadConnectionConfig(f.options());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://10.0.0.1:443");
  EXPECT_EQ(c->auth.token_file, f.dir.file("sa/token"));
  EXPECT_EQ(c->ca_pem, kCaPem);
  EXPECT_EQ(c->namespace_name, "kube-system");
}

TEST(ConfigSearchTest, FallsBackToTheHomeKubeconfig) {
  Fixture f;
  f.dir.write("home/.kube/config", kubeconfig("    token: home\n"));
  f.vars["HOME"] = f.dir.file("home");
  auto c = loadConnectionConfig(f.options());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->auth.token, "home");
}

TEST(ConfigSearchTest, SaysWhatItLookedForWhenNothingIsConfigured) {
  Fixture f;
  f.vars["HOME"] = f.dir.file("home");
  auto c = loadConnectionConfig(f.options());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, ErrorKind::kNotFound);
  EXPECT_THAT(c.error().message, HasSubstr("KUBERNETES_SERVICE_HOST"));
  EXPECT_THAT(c.error().message, HasSubstr(".kube/config"));
}

TEST(InClusterTest, BracketsAnIpv6HostAndNamesAMissingFile) {
  Fixture f;
  f.inCluster();
  f.vars["KUBERNETES_SERVICE_HOST"] = "fd00::1";
  auto o = f.options();
  auto c = loadInClusterConfig(o.env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://[fd00::1]:443");
  std::filesystem::remove(f.dir.file("sa/ca.crt"));
  auto missing = loadInClusterConfig(o.env);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("sa/ca.crt"));
}

}  // namespace
}  // namespace aar::kube
