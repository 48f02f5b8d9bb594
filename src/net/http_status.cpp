#include "net/http_status.hpp"

namespace aar::net {

ErrorKind errorKindForHttpStatus(long status) {
  if (status == 401) return ErrorKind::kUnauthorized;
  if (status == 403) return ErrorKind::kForbidden;
  if (status == 404) return ErrorKind::kNotFound;
  if (status == 429) return ErrorKind::kTooManyRequests;
  if (status >= 500) return ErrorKind::kServer;
  return ErrorKind::kInvalidArgument;
}

}  // namespace aar::net
