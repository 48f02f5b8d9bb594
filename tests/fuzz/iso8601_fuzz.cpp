// Fuzz target: ISO 8601 / RFC 3339 timestamps as AWS sends them (parseIso8601, formatIso8601).
// Properties: never crash, hang or overflow (UBSan); what parses is inside the clock's range; formatted and
// parsed again it is the same time floored to the second, and formatting that gives the same text.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aws/credentials_util.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = aar::aws::parseIso8601(text);
  if (!t) return 0;
  const std::string formatted = aar::aws::formatIso8601(*t);
  FUZZ_CHECK(formatted.size() == 20);  // YYYY-MM-DDTHH:MM:SSZ
  auto again = aar::aws::parseIso8601(formatted);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == std::chrono::floor<std::chrono::seconds>(*t));
  FUZZ_CHECK(aar::aws::formatIso8601(*again) == formatted);
  return 0;
}
