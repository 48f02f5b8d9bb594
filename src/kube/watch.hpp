// Watches: the newline-delimited JSON stream of `?watch=1` and one watch connection over the REST client.
//
// The API server sends one JSON object per line, {"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object":
// ...}, in a chunked body: a chunk may hold part of an event, or several. WatchDecoder reassembles them. An
// ERROR event's object is a metav1.Status (code 410 "Expired" means: re-list).
//
// Thread-safety: WatchDecoder is a value for one thread. watchOnce may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "kube/rest_client.hpp"

namespace aar::kube {

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  nlohmann::json object;

  // metadata.resourceVersion of the object ("" for ERROR events or when absent).
  std::string resourceVersion() const;
};

const char* watchEventTypeName(WatchEvent::Type type);

// One line (without its newline). kParse for bad JSON, an unknown type, or a missing object.
Result<WatchEvent> decodeWatchEvent(std::string_view line);

class WatchDecoder {
 public:
  // Lines longer than this are an error (a ConfigMap is at most ~1.5 MiB as JSON). Default: 16 MiB.
  explicit WatchDecoder(size_t max_line_bytes = 16u << 20) : max_line_bytes_(max_line_bytes) {}

  // Appends every event completed by `chunk` to *out. Blank lines are skipped. An error (bad line, line too
  // long) leaves the decoder unusable: the caller drops the connection.
  Status feed(std::string_view chunk, std::vector<WatchEvent>* out);
  // Bytes of an unfinished line held back.
  size_t pending() const { return buffer_.size(); }

 private:
  size_t max_line_bytes_;
  std::string buffer_;
};

struct WatchOptions {
  std::string field_selector;    // unencoded, e.g. "metadata.name=aws-auth"
  std::string resource_version;  // where to resume; "" = from now with the current state as ADDED events
  bool allow_bookmarks = true;
  int timeout_seconds = 300;  // server-side timeoutSeconds. Default: 300
  // The connection is dropped when nothing (not even a bookmark) arrives for this long. Default: 330 s.
  std::chrono::milliseconds idle_timeout{330000};
};

// "<collection_path>?watch=1&fieldSelector=...&allowWatchBookmarks=true&resourceVersion=...&timeoutSeconds=N"
std::string watchPath(const std::string& collection_path, const WatchOptions& options);

// Runs one watch connection, handing each event to on_event (return false to stop). Ok when the server ended
// the stream (timeoutSeconds) or on_event stopped it; the HTTP status error (kGone for 410 and so on) when it
// refused; kParse when a line was undecodable; transport errors as the RestClient reports them. ERROR events
// are passed to on_event like the others.
Status watchOnce(RestClient& rest, const std::string& collection_path, const WatchOptions& options,
                 const std::function<bool(const WatchEvent&)>& on_event);

}  // namespace aar::kube
