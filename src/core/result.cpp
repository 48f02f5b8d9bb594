#include "core/result.hpp"

namespace aar {

const char* errorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return "InvalidArgument";
    case ErrorKind::kParse:
      return "Parse";
    case ErrorKind::kNotFound:
      return "NotFound";
    case ErrorKind::kConflict:
      return "Conflict";
    case ErrorKind::kAlreadyExists:
      return "AlreadyExists";
    case ErrorKind::kUnauthorized:
      return "Unauthorized";
    case ErrorKind::kForbidden:
      return "Forbidden";
    case ErrorKind::kInvalid:
      return "Invalid";
    case ErrorKind::kGone:
      return "Gone";
    case ErrorKind::kTooManyRequests:
      return "TooManyRequests";
    case ErrorKind::kServer:
      return "Server";
    case ErrorKind::kNetwork:
      return "Network";
    case ErrorKind::kTimeout:
      return "Timeout";
    case ErrorKind::kCancelled:
      return "Cancelled";
    case ErrorKind::kTooLarge:
      return "TooLarge";
    case ErrorKind::kUnavailable:
      return "Unavailable";
    case ErrorKind::kInternal:
      return "Internal";
  }
  return "Unknown";
}

bool Error::retryable() const {
  switch (kind) {
    case ErrorKind::kNetwork:
    case ErrorKind::kTimeout:
    case ErrorKind::kTooManyRequests:
    case ErrorKind::kServer:
      return true;
    default:
      return false;
  }
}

std::string Error::toString() const { return std::string(errorKindName(kind)) + ": " + message; }

}  // namespace aar
