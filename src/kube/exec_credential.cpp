#include "kube/exec_credential.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "kube/child_process.hpp"
#include "kube/encoding.hpp"

extern char** environ;

namespace aar::kube {
namespace {

constexpr size_t kMaxOutput = 4u << 20;   // an ExecCredential is small; a runaway plugin is cut off
constexpr size_t kMaxStderrQuoted = 400;  // bytes of stderr quoted in an error

// A file descriptor that closes itself.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

bool makePipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end->reset(fds[0]);
  write_end->reset(fds[1]);
  return true;
}

std::string tail(const std::string& s) {
  std::string t = s.size() > kMaxStderrQuoted ? s.substr(s.size() - kMaxStderrQuoted) : s;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  return t;
}

}  // namespace

Result<ExecCredential> parseExecCredential(std::string_view json, std::string_view expected_api_version) {
  nlohmann::json doc = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (!doc.is_object()) return makeError(ErrorKind::kParse, "exec plugin output is not a JSON object");
  if (jsonString(doc, "kind") != "ExecCredential") {
    return makeError(ErrorKind::kParse, "exec plugin output: kind is not ExecCredential");
  }
  const std::string api_version = jsonString(doc, "apiVersion");
  if (api_version != expected_api_version) {
    return makeError(ErrorKind::kParse, "exec plugin output: apiVersion \"" + api_version +
                                            "\" does not match the kubeconfig's \"" +
                                            std::string(expected_api_version) + "\"");
  }
  auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) {
    return makeError(ErrorKind::kParse, "exec plugin output: no status");
  }
  ExecCredential cred;
  auto str = [&](const char* field, std::string* out) -> Status {
    auto it = status->find(field);
    if (it == status->end() || it->is_null()) return Status::Ok();
    if (!it->is_string())
      return makeError(ErrorKind::kParse,
                       std::string("exec plugin output: status.") + field + " is not a string");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  std::string expiry;
  for (auto [field, out] : {std::pair{"token", &cred.token},
                            {"clientCertificateData", &cred.client_cert_pem},
                            {"clientKeyData", &cred.client_key_pem},
                            {"expirationTimestamp", &expiry}}) {
    if (Status s = str(field, out); !s) return s.error();
  }
  if (cred.client_cert_pem.empty() != cred.client_key_pem.empty()) {
    return makeError(
        ErrorKind::kParse,
        "exec plugin output: status.clientCertificateData and status.clientKeyData must come together");
  }
  if (cred.token.empty() && cred.client_cert_pem.empty()) {
    return makeError(ErrorKind::kParse,
                     "exec plugin output: status has neither token nor clientCertificateData/clientKeyData");
  }
  if (!expiry.empty()) {
    auto t = parseRfc3339(expiry);
    if (!t)
      return makeError(ErrorKind::kParse, "exec plugin output: status.expirationTimestamp is not RFC 3339");
    cred.expiration = *t;
  }
  return cred;
}

std::string execInfoJson(const ExecConfig& config, const ExecClusterInfo* cluster) {
  nlohmann::json info = {
      {"apiVersion", config.api_version.empty() ? std::string(kExecApiV1) : config.api_version},
      {"kind", "ExecCredential"},
      {"spec", {{"interactive", false}}}};
  if (config.provide_cluster_info && cluster != nullptr) {
    nlohmann::json c = {{"server", cluster->server}};
    if (!cluster->ca_pem.empty()) c["certificate-authority-data"] = base64Encode(cluster->ca_pem);
    if (cluster->insecure_skip_tls_verify) c["insecure-skip-tls-verify"] = true;
    info["spec"]["cluster"] = std::move(c);
  }
  return jsonText(info);
}

Result<ProcessResult> runProcess(const std::string& command, const std::vector<std::string>& args,
                                 const std::vector<std::pair<std::string, std::string>>& extra_env,
                                 std::chrono::milliseconds timeout) {
  // Everything the child needs is built before fork(): only async-signal-safe calls may follow it.
  std::map<std::string, std::string> env_map;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env_map[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  for (const auto& [k, v] : extra_env) env_map[k] = v;
  std::vector<std::string> env_strings;
  env_strings.reserve(env_map.size());
  for (const auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings{command};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  Fd out_r, out_w, err_r, err_w, status_r, status_w;
  if (!makePipe(&out_r, &out_w) || !makePipe(&err_r, &err_w) || !makePipe(&status_r, &status_w)) {
    return makeError(ErrorKind::kInternal, "exec plugin " + command + ": pipe: " + std::strerror(errno));
  }
  const pid_t pid = ::fork();
  if (pid < 0)
    return makeError(ErrorKind::kInternal, "exec plugin " + command + ": fork: " + std::strerror(errno));
  if (pid == 0) {
    // The child: only async-signal-safe calls. Its own process group (a timeout kills the whole group); the
    // pipes moved above the standard descriptors first (so dup2 onto 0/1/2 cannot clobber one of them, were
    // one of ours 0, 1 or 2); stdin from /dev/null; the exec-status pipe at 3, close-on-exec; then a clean
    // signal state and nothing else open (see child_process.hpp).
    ::setpgid(0, 0);
    const int out = ::fcntl(out_w.get(), F_DUPFD, 10);
    const int err = ::fcntl(err_w.get(), F_DUPFD, 10);
    const int status = ::fcntl(status_w.get(), F_DUPFD_CLOEXEC, 10);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || status < 0 || devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out, 1) < 0 ||
        ::dup2(err, 2) < 0 || ::dup3(status, 3, O_CLOEXEC) < 0) {
      ::_exit(127);
    }
    int failure = resetChildForExec(4);
    if (failure == 0) {
      ::execvpe(argv[0], argv.data(), envp.data());
      failure = errno;
    }
    ssize_t ignored = ::write(3, &failure, sizeof failure);
    (void)ignored;
    ::_exit(127);
  }
  out_w.reset();
  err_w.reset();
  status_w.reset();

  int exec_errno = 0;
  ssize_t n = ::read(status_r.get(), &exec_errno, sizeof exec_errno);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    return makeError(ErrorKind::kUnavailable,
                     "exec plugin " + command + " could not be started: " + std::strerror(exec_errno));
  }

  ProcessResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  char buf[8192];
  while (out_r.get() >= 0 || err_r.get() >= 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2] = {{out_r.get(), POLLIN, 0}, {err_r.get(), POLLIN, 0}};
    int rc = ::poll(fds, 2, static_cast<int>(left));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      Fd& fd = i == 0 ? out_r : err_r;
      std::string& sink = i == 0 ? result.out : result.err;
      ssize_t got = ::read(fd.get(), buf, sizeof buf);
      if (got <= 0) {
        fd.reset();
      } else if (sink.size() < kMaxOutput) {
        sink.append(buf, static_cast<size_t>(got));
      }
    }
  }
  if (timed_out) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return makeError(ErrorKind::kTimeout, "exec plugin " + command + " did not finish within " +
                                              std::to_string(timeout.count()) + " ms and was killed");
  }
  result.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  return result;
}

Result<ExecCredential> runExecPlugin(const ExecConfig& config, const ExecClusterInfo* cluster,
                                     std::chrono::milliseconds timeout) {
  auto env = config.env;
  env.emplace_back("KUBERNETES_EXEC_INFO", execInfoJson(config, cluster));
  auto run = runProcess(config.command, config.args, env, timeout);
  if (!run) {
    Error e = run.error();
    if (e.kind == ErrorKind::kUnavailable && !config.install_hint.empty())
      e.message += "; " + config.install_hint;
    return e;
  }
  if (run->exit_code != 0) {
    return makeError(ErrorKind::kUnauthorized, "exec plugin " + config.command + " exited with code " +
                                                   std::to_string(run->exit_code) + ": " + tail(run->err));
  }
  auto cred = parseExecCredential(run->out, config.api_version);
  if (!cred) return makeError(cred.error().kind, config.command + ": " + cred.error().message);
  return cred;
}

}  // namespace aar::kube
