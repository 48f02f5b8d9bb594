// CredentialSource: the bearer token and/or client certificate a request carries, kept fresh.
//
// - StaticCredentials: a kubeconfig token or client certificate; never changes.
// - TokenFileCredentials: tokenFile / the in-cluster token, re-read when older than the refresh period
//   (Default: 1 minute) and after a 401.
// - ExecCredentials (exec plugins): cached until expirationTimestamp (minus a small margin), re-run after a
// 401.
//
// Secrets: tokens and keys are never logged; errors name the file or command only.
//
// Thread-safety: get() and invalidate() are safe from any thread. An exec source runs its plugin with no lock
// held (the Lease renewal client shares the source and must not wait behind a slow plugin): concurrent
// callers share one run (single flight); while a refresh runs, callers whose cached credentials have entered
// the renewal margin but not expired get those at once; only callers with no usable credentials wait for it.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "core/result.hpp"
#include "kube/config.hpp"

namespace aar::kube {

struct ClientCredentials {
  std::string token;                            // empty: no Authorization header
  std::string client_cert_pem, client_key_pem;  // empty: no client certificate

  bool operator==(const ClientCredentials&) const = default;
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // The credentials to use now. An error (e.g. the plugin failed) fails the request that asked.
  virtual Result<ClientCredentials> get() = 0;
  // The server said 401 with the credentials `rejected`: the next get() fetches anew (re-reads the file,
  // re-runs the plugin) unless they have changed since. Returns true when fresh credentials may differ (so
  // one retry is worthwhile).
  virtual bool invalidate(const ClientCredentials& rejected) = 0;
};

struct CredentialOptions {
  base::Clock* clock = &base::systemClock();      // Default: base::systemClock()
  std::chrono::seconds token_file_refresh{60};    // Default: 60 s
  std::chrono::milliseconds exec_timeout{60000};  // Default: 60 s, like client-go's exec timeout
  // Cached exec credentials are renewed this long before their expirationTimestamp. Default: 10 s.
  std::chrono::seconds exec_expiry_margin{10};
};

// The source that `config.auth` describes. Errors: a token file that cannot be read now.
Result<std::unique_ptr<CredentialSource>> makeCredentialSource(const ConnectionConfig& config,
                                                               const CredentialOptions& options = {});

}  // namespace aar::kube
