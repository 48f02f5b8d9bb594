// The error kind an HTTP status means, for every client of ours (AWS and Kubernetes add their own finer kinds
// on top: see aws::toError and kube::errorKindForStatus). Pure; thread-safe.
#pragma once

#include "core/result.hpp"

namespace aar::net {

// 401 kUnauthorized, 403 kForbidden, 404 kNotFound, 429 kTooManyRequests, 5xx kServer, anything else
// kInvalidArgument (a request the server would not take as it was).
ErrorKind errorKindForHttpStatus(long status);

}  // namespace aar::net
