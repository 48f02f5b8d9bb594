// A response body of any size, streamed in 64 KiB pieces and never held in memory: for faults in which an
// endpoint (or a proxy in front of it) answers 200 with far more than any client should read.
//
// The body is `prefix` followed by filler bytes up to `bytes` in all. With announce_length the response has a
// Content-Length of `bytes`; otherwise it is chunked, so that a client can only notice while reading. The
// stream ends early (and the server thread is freed) as soon as the client stops reading or disconnects.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <string>

namespace aar::fakes {

void setHugeBody(httplib::Response& res, size_t bytes, const std::string& content_type,
                 const std::string& prefix, char filler, bool announce_length);

}  // namespace aar::fakes
