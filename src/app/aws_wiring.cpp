#include "app/aws_wiring.hpp"

#include <cstdlib>

#include "aws/endpoints.hpp"

namespace aar::app {
namespace {
// TEMPORARY until the credentials chain lands: static keys from the environment only.
class EnvOnlyProvider final : public aws::CredentialsProvider {
 public:
  Result<aws::Credentials> get() override {
    const char* id = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    if (!id || !secret) return makeError(ErrorKind::kUnavailable, "environment: AWS_ACCESS_KEY_ID not set");
    aws::Credentials c;
    c.access_key_id = id;
    c.secret_access_key = secret;
    if (const char* t = std::getenv("AWS_SESSION_TOKEN")) c.session_token = t;
    c.provider = "environment";
    return c;
  }
  const char* name() const override { return "environment"; }
};
}  // namespace

Result<std::unique_ptr<AwsClients>> makeAwsClients(controller::ControllerMetrics& metrics) {
  auto env = aws::processEnv();
  auto endpoint = aws::iamEndpoint(env);
  if (!endpoint.ok()) return endpoint.error();
  auto clients = std::make_unique<AwsClients>();
  clients->http = std::make_unique<net::HttpClient>();
  clients->credentials_http = std::make_unique<net::HttpClient>();
  clients->credentials = std::make_unique<EnvOnlyProvider>();
  aws::IamClientOptions options;
  options.endpoint = *endpoint;
  options.on_request = [&metrics](std::string_view operation, std::string_view code) {
    metrics.iamRequest(operation, code);
  };
  clients->iam = std::make_unique<aws::IamClient>(*clients->http, *clients->credentials, options);
  return clients;
}

}  // namespace aar::app
