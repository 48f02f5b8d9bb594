// Fuzz target: Kubernetes Status error bodies. The first two bytes choose the HTTP code and whether a
// Retry-After header is present. Never crash or hang.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kube/api_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static constexpr int kCodes[] = {400, 401, 403, 404, 409, 410, 422, 429,
                                   500, 503, 504, 200, 301, 418, 999, 0};
  const int code = kCodes[data[0] % (sizeof kCodes / sizeof kCodes[0])];
  const std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  std::optional<std::string> retry_after;
  if (data[1] & 1) retry_after = std::string(rest.substr(0, 16));
  (void)aar::kube::decodeApiError(code, rest, retry_after, "GET /fuzz");
  (void)aar::kube::errorKindForStatus(code, rest.substr(0, 32));
  return 0;
}
