// fake-kube-apiserver: the FakeApiServer as a process, for end-to-end tests and the demo.
//
//   fake-kube-apiserver [--port 0] [--token T]... [--admin-port 0] [--admin-token A] [--state-dir DIR]
//                       [--bookmark-interval-ms 1000] [--history-limit 1000] [--no-client-certs]
//
// With --state-dir it writes ca.crt, client.crt, client.key (user "test-admin", group system:masters),
// kubeconfig (token of the first --token) and kubeconfig-cert (client certificate) into DIR.
// When ready it prints one JSON line on stdout:
//   {"port":N,"url":"https://127.0.0.1:N","adminPort":M,"adminUrl":"http://127.0.0.1:M","stateDir":"…",
//    "caFile":"…","kubeconfig":"…","kubeconfigCert":"…","clientCert":"…","clientKey":"…","pid":P}
// The admin API (plain HTTP on 127.0.0.1) is documented in admin_server.hpp. Exits 0 on SIGTERM or SIGINT.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "fakes/kube/admin_server.hpp"
#include "fakes/kube/fake_api_server.hpp"

namespace {

void writeFile(const std::string& path, const std::string& content, mode_t mode) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
  ::chmod(path.c_str(), mode);
}

}  // namespace

int main(int argc, char** argv) {
  using aar::testing::kube::AdminServer;
  using aar::testing::kube::FakeApiServer;
  using aar::testing::kube::FakeApiServerOptions;
  using aar::testing::kube::KubeconfigOptions;

  CLI::App app{"A fake Kubernetes API server for tests (HTTPS on 127.0.0.1)"};
  int port = 0, admin_port = 0;
  long bookmark_ms = 1000;
  size_t history_limit = 1000;
  std::vector<std::string> tokens;
  std::string admin_token, state_dir;
  bool no_client_certs = false;
  app.add_option("--port", port, "API port (0 = ephemeral)");
  app.add_option("--token", tokens, "Valid bearer token (repeatable). Default: test-token");
  app.add_option("--admin-port", admin_port, "Admin HTTP port on 127.0.0.1 (0 = ephemeral, -1 = none)");
  app.add_option("--admin-token", admin_token, "Bearer token the admin API requires (empty = none)");
  app.add_option("--state-dir", state_dir, "Directory for ca.crt, client.crt/key and kubeconfig files");
  app.add_option("--bookmark-interval-ms", bookmark_ms, "Interval of watch BOOKMARK events");
  app.add_option("--history-limit", history_limit, "Watch events kept per resource type");
  app.add_flag("--no-client-certs", no_client_certs, "Do not accept client certificates");
  CLI11_PARSE(app, argc, argv);

  // Block the signals before any thread starts, so that only sigwait() below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  try {
    FakeApiServerOptions options;
    if (!tokens.empty()) options.tokens = tokens;
    options.port = port;
    options.bookmark_interval = std::chrono::milliseconds(bookmark_ms);
    options.history_limit = history_limit;
    options.accept_client_certificates = !no_client_certs;
    FakeApiServer server(options);
    server.start();
    std::unique_ptr<AdminServer> admin;
    if (admin_port >= 0) {
      admin = std::make_unique<AdminServer>(server, admin_token);
      admin->start(admin_port);
    }
    nlohmann::json ready = {{"port", server.port()}, {"url", server.url()}, {"pid", ::getpid()}};
    if (admin) {
      ready["adminPort"] = admin->port();
      ready["adminUrl"] = "http://127.0.0.1:" + std::to_string(admin->port());
    }
    if (!state_dir.empty()) {
      ::mkdir(state_dir.c_str(), 0700);
      std::string ca = state_dir + "/ca.crt", cert = state_dir + "/client.crt",
                  key = state_dir + "/client.key";
      writeFile(ca, server.caPem(), 0644);
      writeFile(cert, server.pki().client.cert, 0644);
      writeFile(key, server.pki().client.key, 0600);
      KubeconfigOptions token_config;
      token_config.ca_file = ca;
      writeFile(state_dir + "/kubeconfig", server.kubeconfigYaml(token_config), 0600);
      KubeconfigOptions cert_config;
      cert_config.use_client_certificate = true;
      writeFile(state_dir + "/kubeconfig-cert", server.kubeconfigYaml(cert_config), 0600);
      ready["stateDir"] = state_dir;
      ready["caFile"] = ca;
      ready["clientCert"] = cert;
      ready["clientKey"] = key;
      ready["kubeconfig"] = state_dir + "/kubeconfig";
      ready["kubeconfigCert"] = state_dir + "/kubeconfig-cert";
    }
    std::cout << ready.dump() << std::endl;

    int received = 0;
    sigwait(&signals, &received);
    if (admin) admin->stop();
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << "fake-kube-apiserver: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
