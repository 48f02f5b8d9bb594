#include "app/aws_wiring.hpp"

#include "aws/credentials_default.hpp"
#include "aws/endpoints.hpp"

namespace aar::app {

Result<std::unique_ptr<AwsClients>> makeAwsClients(controller::ControllerMetrics& metrics) {
  auto env = aws::processEnv();
  auto endpoint = aws::iamEndpoint(env);
  if (!endpoint.ok()) return endpoint.error();
  auto clients = std::make_unique<AwsClients>();
  clients->http = std::make_unique<net::HttpClient>();
  clients->credentials_http = std::make_unique<net::HttpClient>();
  clients->credentials = aws::makeDefaultCredentialsProvider(env, *clients->credentials_http);
  aws::IamClientOptions options;
  options.endpoint = *endpoint;
  options.on_request = [&metrics](std::string_view operation, std::string_view code) {
    metrics.iamRequest(operation, code);
  };
  clients->iam = std::make_unique<aws::IamClient>(*clients->http, *clients->credentials, options);
  return clients;
}

}  // namespace aar::app
