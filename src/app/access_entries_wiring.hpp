// The access-entries backend's side of the wiring (issue #13): which backend a run uses, and the EKS client
// and access-entry store it talks to the cluster through.
//
// - parseBackend: --backend's text as the controller's Backend (the controller asks the mode for auto each
//   cycle: CONFIG_MAP → aws-auth, API_AND_CONFIG_MAP or API → access entries).
// - makeEksParts: the EKS endpoint from the region (AWS_REGION, then AWS_DEFAULT_REGION, then the shared
//   config profile's `region`), overridden by AWS_ENDPOINT_URL_EKS then AWS_ENDPOINT_URL (docs/eks.md); an
//   EksClient for --cluster-name signed with the credentials given, its requests counted in
//   aws_auth_refresher_eks_requests_total; and an EksAccessEntryStore with --owner-id.
//
// Errors: kInvalidArgument naming what is missing (no region at all, a bad endpoint URL, no cluster name).
// Thread-safety: parseBackend and profileRegion are pure / read files only; EksParts as the objects it
// holds.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "app/eks_access_entry_store.hpp"
#include "app/run_options.hpp"
#include "aws/credentials.hpp"
#include "aws/eks_client.hpp"
#include "aws/endpoints.hpp"
#include "base/clock.hpp"
#include "controller/controller.hpp"
#include "controller/controller_metrics.hpp"
#include "core/access_entries.hpp"
#include "core/result.hpp"
#include "net/http_client.hpp"

namespace aar::app {

// `flag` is RunOptions::backend; kInvalidArgument for anything but aws-auth, access-entries and auto.
Result<controller::Backend> parseBackend(const std::string& flag);

// The `region` of the shared config profile (AWS_CONFIG_FILE, default $HOME/.aws/config; profile AWS_PROFILE,
// default "default": section "[default]" or "[profile NAME]"). "" when there is none or the file cannot be
// read (the region then must come from the environment, and eksEndpoint says so).
std::string profileRegion(const aws::EnvLookup& env);

struct EksParts {
  std::unique_ptr<net::HttpClient> http;  // EKS requests only; cancel() at shutdown
  std::unique_ptr<aws::EksClient> eks;
  std::unique_ptr<EksAccessEntryStore> store;
  std::string region;

  void cancel() {
    if (http) http->cancel();
  }
};

// credentials, clock and metrics must outlive the parts.
Result<std::unique_ptr<EksParts>> makeEksParts(const RunOptions& options,
                                               aws::CredentialsProvider& credentials,
                                               const aws::EnvLookup& env, base::Clock& clock,
                                               controller::ControllerMetrics& metrics);

}  // namespace aar::app
