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

// bugprone-exception-escape: the implicit noexcept default constructor runs nlohmann::json's noexcept default
// constructor, whose json_value(value_t) holds a throw the null value never reaches; the check cannot see
// that. NOLINTNEXTLINE(bugprone-exception-escape)
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

// The longest watch line (one event) accepted: 8 MiB. Why: an object the API server stores is at most ~1.5
// MiB (etcd's request limit), and JSON escaping of its data in the event at most doubles typical text (a
// ConfigMap of YAML), so a real event is a few MiB at worst; the pod's memory limit is 64 MiB and a line is
// held once as text and once as parsed JSON (a few times its size), so 8 MiB keeps one line well inside it.
inline constexpr size_t kMaxWatchLineBytes = size_t{8} << 20;

class WatchDecoder {
 public:
  // Lines longer than max_line_bytes are an error. Default: kMaxWatchLineBytes.
  explicit WatchDecoder(size_t max_line_bytes = kMaxWatchLineBytes) : max_line_bytes_(max_line_bytes) {}

  // Appends every event completed by `chunk` to *out. Blank lines are skipped. An error (bad line; kParse
  // "watch: an event line exceeds the N-byte limit" for a line that grows past max_line_bytes, detected
  // before the excess is buffered) leaves the decoder unusable: the caller drops the connection.
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
// refused; kParse when a line was undecodable or longer than kMaxWatchLineBytes (the connection is dropped at
// once); transport errors as the RestClient reports them. ERROR events
// are passed to on_event like the others.
Status watchOnce(RestClient& rest, const std::string& collection_path, const WatchOptions& options,
                 const std::function<bool(const WatchEvent&)>& on_event);

}  // namespace aar::kube
