// makeAwsClients(): the AWS side of the wiring — the standard credential chain, the IAM endpoint for the
// environment, and an IAM client whose requests are counted in aws_auth_refresher_iam_requests_total.
// AWS is configured only through the standard AWS environment variables (AWS_REGION, AWS_ENDPOINT_URL_IAM,
// AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE for IRSA, AWS_CONTAINER_CREDENTIALS_FULL_URI for Pod Identity,
// ...).
//
// Thread-safety: as the clients it holds.
#pragma once

#include <memory>

#include "aws/credentials.hpp"
#include "aws/iam_client.hpp"
#include "controller/controller_metrics.hpp"
#include "core/result.hpp"
#include "net/http_client.hpp"

namespace aar::app {

struct AwsClients {
  std::unique_ptr<net::HttpClient> http;                  // IAM requests; cancel() at shutdown
  std::unique_ptr<net::HttpClient> credentials_http;      // STS, container and IMDS requests
  std::unique_ptr<aws::CredentialsProvider> credentials;  // Cached(Chain(...))
  std::unique_ptr<aws::IamClient> iam;

  // Cancels every in-flight AWS request (shutdown).
  void cancel() {
    if (http) http->cancel();
    if (credentials_http) credentials_http->cancel();
  }
};

// kInvalidArgument when the environment names a bad endpoint URL.
Result<std::unique_ptr<AwsClients>> makeAwsClients(controller::ControllerMetrics& metrics);

}  // namespace aar::app
