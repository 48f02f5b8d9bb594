#include "aws/aws_error.hpp"

#include <pugixml.hpp>

#include "aws/retry.hpp"
#include "net/http_status.hpp"

namespace aar::aws {

std::optional<AwsError> parseAwsErrorXml(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return std::nullopt;
  pugi::xml_node root = doc.child("ErrorResponse");
  if (!root) return std::nullopt;
  pugi::xml_node error = root.child("Error");
  if (!error) return std::nullopt;
  AwsError out;
  out.code = error.child_value("Code");
  out.message = error.child_value("Message");
  out.type = error.child_value("Type");
  out.request_id = root.child_value("RequestId");
  if (out.code.empty()) return std::nullopt;
  return out;
}

Error toError(const AwsError& error, std::string_view service, std::string_view operation) {
  ErrorKind kind;
  if (isThrottlingCode(error.code) || error.http_status == 429) {
    kind = ErrorKind::kTooManyRequests;
  } else {
    kind = net::errorKindForHttpStatus(error.http_status);
  }
  std::string msg(service);
  msg += ' ';
  msg += operation;
  msg += ": HTTP ";
  msg += std::to_string(error.http_status);
  if (!error.code.empty()) {
    msg += ' ';
    msg += error.code;
  }
  if (!error.message.empty()) {
    msg += ": ";
    msg += error.message;
  }
  if (!error.request_id.empty()) {
    msg += " (request id ";
    msg += error.request_id;
    msg += ')';
  }
  return makeError(kind, std::move(msg));
}

}  // namespace aar::aws
