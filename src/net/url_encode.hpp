// Percent-encoding (RFC 3986) and the form content type: the one encoder for Kubernetes paths and query
// strings, AWS query bodies and SigV4's canonical request. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace aar::net {

// The content type of a body of `name=value&...` pairs, each side urlEncode()d (AWS query APIs, STS).
inline constexpr char kFormContentType[] = "application/x-www-form-urlencoded; charset=utf-8";

// Percent-encodes every byte except the unreserved characters A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash),
// with upper-case hex digits: what Kubernetes paths, AWS query strings and SigV4 canonical URIs need.
std::string urlEncode(std::string_view s, bool keep_slash = false);

}  // namespace aar::net
