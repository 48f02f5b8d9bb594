#include "aws/signed_call.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "aws/credentials_util.hpp"
#include "aws/sigv4.hpp"

namespace aar::aws {

std::string hostHeader(const UrlParts& url) {
  std::string host = url.host;
  const std::string default_port = url.scheme == "https" ? ":443" : ":80";
  if (host.size() > default_port.size() &&
      host.compare(host.size() - default_port.size(), default_port.size(), default_port) == 0) {
    host.resize(host.size() - default_port.size());
  }
  return host;
}

AwsError parseQueryError(const net::HttpResponse& response) {
  AwsError aws = parseAwsErrorXml(response.body).value_or(AwsError{});
  if (aws.request_id.empty()) aws.request_id = response.header("x-amzn-requestid").value_or("");
  return aws;
}

bool waitBackoff(base::Clock& clock, const net::HttpClient& http, std::chrono::milliseconds delay) {
  while (delay > std::chrono::milliseconds::zero()) {
    if (http.cancelled()) return false;
    const auto slice = std::min(delay, kBackoffCancelCheck);
    clock.sleepFor(slice);
    delay -= slice;
  }
  return !http.cancelled();
}

Result<std::string> signedCall(const SignedCallContext& context, const SignedCall& call, AwsError* details) {
  const std::string prefix = std::string(call.label) + " " + std::string(call.operation);
  const int attempts = std::max(1, context.retry.max_attempts);
  for (int attempt = 1;; ++attempt) {
    if (context.http.cancelled()) return makeError(ErrorKind::kCancelled, prefix + ": cancelled");
    auto creds = context.credentials.get();
    if (!creds.ok()) {
      Error e = creds.error();
      e.message = prefix + ": no credentials: " + e.message;
      return e;
    }

    sigv4::Request to_sign;
    to_sign.method = call.method;
    to_sign.path = call.path;
    to_sign.query = call.query;
    to_sign.headers = call.headers;
    to_sign.body = call.body;
    sigv4::SigningParams params{call.signing_region, std::string(call.signing_service),
                                context.clock.wallNow()};

    net::HttpRequest request;
    request.method = call.method;
    request.url = call.url;
    request.headers = call.headers;
    for (auto& h : sigv4::sign(to_sign, *creds, params)) request.headers.push_back(std::move(h));
    request.body = call.body;
    request.timeout = call.timeout;
    request.max_response_bytes = call.max_response_bytes;

    auto response = context.http.perform(request);
    Error failure;
    AwsError aws;
    bool retryable = false;
    if (!response.ok()) {
      failure = response.error();
      if (context.on_request) context.on_request(call.operation, errorKindName(failure.kind));
      if (failure.kind == ErrorKind::kCancelled) return failure;
      retryable = isRetryableAwsFailure(0, "", failure.kind);
      failure.message = prefix + ": " + failure.message;
      aws.message = failure.message;
    } else {
      if (context.on_request) context.on_request(call.operation, std::to_string(response->status));
      if (response->status >= 200 && response->status < 300) return std::move(response->body);
      aws = call.parse_error ? call.parse_error(*response) : AwsError{};
      aws.http_status = response->status;
      aws.message = redact(std::move(aws.message), {creds->secret_access_key, creds->session_token});
      failure = toError(aws, call.label, call.operation);
      if (call.refine_kind) call.refine_kind(aws, failure);
      retryable = isRetryableAwsFailure(aws.http_status, aws.code, failure.kind);
    }

    if (!retryable || attempt >= attempts) {
      if (details != nullptr) *details = aws;
      if (attempt > 1) failure.message += " after " + std::to_string(attempt) + " attempts";
      return failure;
    }
    auto delay = backoffDelay(context.retry, attempt - 1, context.random());
    spdlog::warn("{} attempt {}/{} failed: {}; retrying in {} ms", prefix, attempt, attempts,
                 failure.toString(), delay.count());
    waitBackoff(context.clock, context.http, delay);  // a cancel ends the loop at the next attempt
  }
}

}  // namespace aar::aws
