#include "fakes/aws/huge_body.hpp"

#include <algorithm>
#include <memory>

namespace aar::fakes {

namespace {

constexpr size_t kPiece = 64 * 1024;

// Writes the bytes [offset, offset + length) of the virtual body. False when the client went away.
bool writeRange(httplib::DataSink& sink, const std::string& prefix, const std::string& fill, size_t offset,
                size_t length) {
  while (length > 0) {
    size_t n = 0;
    bool ok = false;
    if (offset < prefix.size()) {
      n = std::min(length, prefix.size() - offset);
      ok = sink.write(prefix.data() + offset, n);
    } else {
      n = std::min(length, fill.size());
      ok = sink.write(fill.data(), n);
    }
    if (!ok || !sink.is_writable()) return false;
    offset += n;
    length -= n;
  }
  return true;
}

}  // namespace

void setHugeBody(httplib::Response& res, size_t bytes, const std::string& content_type,
                 const std::string& prefix, char filler, bool announce_length) {
  auto fill = std::make_shared<const std::string>(kPiece, filler);
  auto head = std::make_shared<const std::string>(prefix.substr(0, bytes));
  if (announce_length) {
    res.set_content_provider(bytes, content_type.c_str(),
                             [fill, head](size_t offset, size_t length, httplib::DataSink& sink) {
                               return writeRange(sink, *head, *fill, offset, std::min(length, kPiece));
                             });
    return;
  }
  res.set_chunked_content_provider(
      content_type.c_str(), [fill, head, bytes](size_t offset, httplib::DataSink& sink) {
        if (offset >= bytes) {
          sink.done();
          return true;
        }
        return writeRange(sink, *head, *fill, offset, std::min(bytes - offset, kPiece));
      });
}

}  // namespace aar::fakes
