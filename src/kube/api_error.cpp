#include "kube/api_error.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "kube/encoding.hpp"
#include "net/http_status.hpp"

namespace aar::kube {
namespace {

constexpr size_t kMaxMessage = 512;  // Status messages can quote a whole object; keep logs readable

std::string truncate(std::string s) {
  if (s.size() > kMaxMessage) {
    s.resize(kMaxMessage);
    s += "...";
  }
  return s;
}

std::optional<std::chrono::seconds> parseSeconds(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  long long v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 0) return std::nullopt;
  return std::chrono::seconds(v);
}

}  // namespace

ErrorKind errorKindForStatus(int code, std::string_view reason) {
  switch (code) {
    case 409:
      return reason == "AlreadyExists" ? ErrorKind::kAlreadyExists : ErrorKind::kConflict;
    case 410:
      return ErrorKind::kGone;
    case 413:
      return ErrorKind::kTooLarge;
    case 422:
      return ErrorKind::kInvalid;
    case 504:
      return ErrorKind::kTimeout;
    default:
      break;
  }
  if (code < 500 && (reason == "Expired" || reason == "Gone")) return ErrorKind::kGone;
  return net::errorKindForHttpStatus(code);
}

ApiError decodeApiError(int http_code, std::string_view body,
                        const std::optional<std::string>& retry_after_header, std::string_view context) {
  ApiError out;
  out.code = http_code;
  std::string message;
  std::optional<std::chrono::seconds> details_retry;
  nlohmann::json status = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (status.is_object() && jsonString(status, "kind") == "Status") {
    if (auto it = status.find("reason"); it != status.end() && it->is_string())
      out.reason = it->get<std::string>();
    if (auto it = status.find("message"); it != status.end() && it->is_string())
      message = it->get<std::string>();
    if (auto d = status.find("details"); d != status.end() && d->is_object()) {
      if (auto r = d->find("retryAfterSeconds");
          r != d->end() && r->is_number_integer() && r->get<int64_t>() >= 0) {
        details_retry = std::chrono::seconds(r->get<int64_t>());
      }
    }
  }
  if (retry_after_header) out.retry_after = parseSeconds(*retry_after_header);
  if (!out.retry_after) out.retry_after = details_retry;

  std::string text(context);
  text += ": HTTP " + std::to_string(http_code);
  if (!out.reason.empty()) text += " " + out.reason;
  if (!message.empty()) text += ": " + truncate(message);
  if (out.retry_after) text += " (retry after " + std::to_string(out.retry_after->count()) + "s)";
  out.error = makeError(errorKindForStatus(http_code, out.reason), std::move(text));
  return out;
}

}  // namespace aar::kube
