#include "kube/watch.hpp"

#include "net/http_client.hpp"

namespace aar::kube {

std::string WatchEvent::resourceVersion() const {
  if (!object.is_object()) return "";
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return "";
  auto rv = m->find("resourceVersion");
  return rv != m->end() && rv->is_string() ? rv->get<std::string>() : "";
}

const char* watchEventTypeName(WatchEvent::Type type) {
  switch (type) {
    case WatchEvent::Type::kAdded:
      return "ADDED";
    case WatchEvent::Type::kModified:
      return "MODIFIED";
    case WatchEvent::Type::kDeleted:
      return "DELETED";
    case WatchEvent::Type::kBookmark:
      return "BOOKMARK";
    case WatchEvent::Type::kError:
      return "ERROR";
  }
  return "?";
}

Result<WatchEvent> decodeWatchEvent(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  nlohmann::json doc = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (!doc.is_object()) return makeError(ErrorKind::kParse, "watch: event is not a JSON object");
  auto type = doc.find("type");
  if (type == doc.end() || !type->is_string())
    return makeError(ErrorKind::kParse, "watch: event without type");
  WatchEvent ev;
  const std::string& t = type->get_ref<const std::string&>();
  if (t == "ADDED") {
    ev.type = WatchEvent::Type::kAdded;
  } else if (t == "MODIFIED") {
    ev.type = WatchEvent::Type::kModified;
  } else if (t == "DELETED") {
    ev.type = WatchEvent::Type::kDeleted;
  } else if (t == "BOOKMARK") {
    ev.type = WatchEvent::Type::kBookmark;
  } else if (t == "ERROR") {
    ev.type = WatchEvent::Type::kError;
  } else {
    return makeError(ErrorKind::kParse, "watch: unknown event type \"" + t.substr(0, 32) + "\"");
  }
  auto object = doc.find("object");
  if (object == doc.end() || !object->is_object()) {
    return makeError(ErrorKind::kParse, std::string("watch: ") + t.c_str() + " event without an object");
  }
  ev.object = std::move(*object);
  return ev;
}

namespace {

Error lineTooLong(size_t limit) {
  return makeError(ErrorKind::kParse, "watch: an event line exceeds the " + std::to_string(limit) +
                                          "-byte limit; the stream is dropped");
}

}  // namespace

Status WatchDecoder::feed(std::string_view chunk, std::vector<WatchEvent>* out) {
  size_t start = 0;
  while (start < chunk.size()) {
    const size_t nl = chunk.find('\n', start);
    if (nl == std::string_view::npos) {
      const std::string_view rest = chunk.substr(start);
      if (buffer_.size() + rest.size() > max_line_bytes_) return lineTooLong(max_line_bytes_);
      buffer_.append(rest);
      return Status::Ok();
    }
    std::string_view line = chunk.substr(start, nl - start);
    start = nl + 1;
    if (buffer_.size() + line.size() > max_line_bytes_) return lineTooLong(max_line_bytes_);
    Result<WatchEvent> ev = makeError(ErrorKind::kInternal, "");
    if (buffer_.empty()) {
      // The common case: a whole line inside this chunk is decoded without copying it.
      if (line.empty() || line == "\r") continue;
      ev = decodeWatchEvent(line);
    } else {
      buffer_.append(line);
      ev = decodeWatchEvent(buffer_);
      buffer_.clear();
    }
    if (!ev) return ev.error();
    out->push_back(std::move(*ev));
  }
  return Status::Ok();
}

std::string watchPath(const std::string& collection_path, const WatchOptions& options) {
  std::string path = collection_path + "?watch=1";
  if (!options.field_selector.empty()) path += "&fieldSelector=" + net::urlEncode(options.field_selector);
  if (options.allow_bookmarks) path += "&allowWatchBookmarks=true";
  if (!options.resource_version.empty())
    path += "&resourceVersion=" + net::urlEncode(options.resource_version);
  if (options.timeout_seconds > 0) path += "&timeoutSeconds=" + std::to_string(options.timeout_seconds);
  return path;
}

Status watchOnce(RestClient& rest, const std::string& collection_path, const WatchOptions& options,
                 const std::function<bool(const WatchEvent&)>& on_event) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  Status decode_error;
  bool stopped = false;
  Status s = rest.stream(
      watchPath(collection_path, options),
      [&](std::string_view chunk) {
        events.clear();
        decode_error = decoder.feed(chunk, &events);
        for (const auto& ev : events) {
          if (!on_event(ev)) {
            stopped = true;
            return false;
          }
        }
        return decode_error.ok();
      },
      options.idle_timeout);
  if (!decode_error) return decode_error;
  if (stopped) return Status::Ok();
  return s;
}

}  // namespace aar::kube
