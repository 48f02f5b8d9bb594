#include "kube/credentials.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <cstdint>
#include <exception>

namespace aar::kube {
namespace {

std::string trimmedToken(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  return s;
}

class StaticCredentials final : public CredentialSource {
 public:
  explicit StaticCredentials(ClientCredentials creds) : creds_(std::move(creds)) {}
  Result<ClientCredentials> get() override { return creds_; }
  bool invalidate(const ClientCredentials&) override { return false; }

 private:
  const ClientCredentials creds_;
};

class TokenFileCredentials final : public CredentialSource {
 public:
  TokenFileCredentials(std::string path, ClientCredentials base, const CredentialOptions& options)
      : path_(std::move(path)), base_(std::move(base)), options_(options) {}

  Result<ClientCredentials> get() override {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = options_.clock->now();
    if (!read_once_ || stale_ || now - last_read_ >= options_.token_file_refresh) {
      auto text = readFileText(path_, "bearer token file");
      if (text && !trimmedToken(*text).empty()) {
        token_ = trimmedToken(std::move(*text));
        read_once_ = true;
        stale_ = false;
        last_read_ = now;
      } else if (read_once_) {
        // Keep the last good token: a rotation in progress may briefly leave the file missing or empty.
        spdlog::warn("could not re-read the bearer token file {}: {}; keeping the previous token", path_,
                     text ? "file is empty" : text.error().message);
        last_read_ = now;
      } else {
        return text ? makeError(ErrorKind::kInvalidArgument, "bearer token file " + path_ + " is empty")
                    : text.error();
      }
    }
    ClientCredentials c = base_;
    c.token = token_;
    return c;
  }

  bool invalidate(const ClientCredentials&) override {
    std::lock_guard<std::mutex> lock(mu_);
    stale_ = true;
    return true;
  }

 private:
  const std::string path_;
  const ClientCredentials base_;
  const CredentialOptions options_;
  std::mutex mu_;
  bool read_once_ = false;
  bool stale_ = false;
  std::string token_;
  std::chrono::steady_clock::time_point last_read_{};
};

// The plugin runs with no lock held: the Lease renewal client shares this source with every other client, and
// a plugin may take up to exec_timeout (60 s), longer than the renew deadline. Single flight: one caller runs
// the plugin; while it runs, a caller with cached credentials that have not yet expired (only entered the
// renewal margin) gets those at once, and a caller without usable credentials waits for that run's outcome
// instead of starting its own.
class ExecCredentials final : public CredentialSource {
 public:
  ExecCredentials(ExecConfig exec, ExecClusterInfo cluster, ClientCredentials base,
                  const CredentialOptions& options)
      : exec_(std::move(exec)), cluster_(std::move(cluster)), base_(std::move(base)), options_(options) {}

  Result<ClientCredentials> get() override {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      const auto now = options_.clock->wallNow();
      if (cached_ && (!expiration_ || now + options_.exec_expiry_margin < *expiration_)) return *cached_;
      if (running_) {
        // Someone is refreshing: a token that has not expired yet is still good meanwhile.
        if (cached_ && expiration_ && now < *expiration_) return *cached_;
        const uint64_t waited_for = run_id_;
        done_.wait(lock, [&] { return run_id_ != waited_for; });
        if (!last_run_) return last_run_.error();
        if (cached_) return *cached_;
        continue;  // invalidated meanwhile: look again
      }
      running_ = true;
      lock.unlock();
      // Whatever happens, the run must end (running_ false, waiters woken): an exception here would otherwise
      // leave every later caller waiting for ever.
      Result<ClientCredentials> outcome = makeError(ErrorKind::kInternal, "exec plugin: not run");
      try {
        outcome = runOutsideLock();
      } catch (const std::exception& e) {
        outcome = makeError(ErrorKind::kInternal, "exec plugin " + exec_.command + ": " + e.what());
      }
      lock.lock();
      running_ = false;
      ++run_id_;
      last_run_ = outcome.ok() ? Status::Ok() : Status(outcome.error());
      done_.notify_all();
      return outcome;
    }
  }

  bool invalidate(const ClientCredentials& rejected) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ && *cached_ == rejected) {
      cached_.reset();
      expiration_.reset();
    }
    return true;
  }

 private:
  // Runs the plugin (no lock held on entry), then stores its result under the lock.
  Result<ClientCredentials> runOutsideLock() {
    auto cred = runExecPlugin(exec_, &cluster_, options_.exec_timeout);
    if (!cred) return cred.error();
    ClientCredentials c = base_;
    if (!cred->token.empty()) c.token = cred->token;
    if (!cred->client_cert_pem.empty()) {
      c.client_cert_pem = cred->client_cert_pem;
      c.client_key_pem = cred->client_key_pem;
    }
    std::lock_guard<std::mutex> lock(mu_);
    cached_ = c;
    expiration_ = cred->expiration;
    ++runs_;
    spdlog::debug("exec plugin {} supplied credentials (run {})", exec_.command, runs_);
    return c;
  }

  const ExecConfig exec_;
  const ExecClusterInfo cluster_;
  const ClientCredentials base_;
  const CredentialOptions options_;
  std::mutex mu_;
  std::condition_variable done_;  // a run ended (run_id_ moved)
  bool running_ = false;          // a plugin run is in flight
  uint64_t run_id_ = 0;           // runs ended so far
  Status last_run_;               // the outcome of the last run that ended
  std::optional<ClientCredentials> cached_;
  std::optional<std::chrono::system_clock::time_point> expiration_;
  int runs_ = 0;
};

}  // namespace

Result<std::unique_ptr<CredentialSource>> makeCredentialSource(const ConnectionConfig& config,
                                                               const CredentialOptions& options) {
  ClientCredentials base;
  base.client_cert_pem = config.auth.client_cert_pem;
  base.client_key_pem = config.auth.client_key_pem;
  if (!config.auth.token.empty()) {
    base.token = config.auth.token;
    return std::unique_ptr<CredentialSource>(std::make_unique<StaticCredentials>(std::move(base)));
  }
  if (!config.auth.token_file.empty()) {
    auto source = std::make_unique<TokenFileCredentials>(config.auth.token_file, std::move(base), options);
    auto first = source->get();
    if (!first) return first.error();
    return std::unique_ptr<CredentialSource>(std::move(source));
  }
  if (config.auth.exec) {
    ExecClusterInfo cluster{config.server, config.ca_pem, config.insecure_skip_tls_verify};
    return std::unique_ptr<CredentialSource>(
        std::make_unique<ExecCredentials>(*config.auth.exec, std::move(cluster), std::move(base), options));
  }
  return std::unique_ptr<CredentialSource>(std::make_unique<StaticCredentials>(std::move(base)));
}

}  // namespace aar::kube
