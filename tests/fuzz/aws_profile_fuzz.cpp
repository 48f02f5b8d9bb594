// Fuzz target: the AWS shared config and credentials files (parseIni, as ProfileCredentialsProvider reads
// them).
// Properties: never crash or hang; what parses, written back as INI (a multi-line value as continuation
// lines), parses to the same sections, keys and values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aws/credentials_profile.hpp"
#include "fuzz_check.hpp"

namespace {

// True when `v` written after "key = " would lose a trailing comment: whitespace then '#' or ';'.
bool looksLikeItHasAComment(std::string_view v) {
  for (size_t i = 1; i < v.size(); ++i) {
    if ((v[i] == '#' || v[i] == ';') && (v[i - 1] == ' ' || v[i - 1] == '\t')) return true;
  }
  return false;
}

std::string writeIni(const aar::aws::IniSections& sections) {
  std::string out;
  for (const auto& [name, keys] : sections) {
    out += "[" + name + "]\n";
    for (const auto& [key, value] : keys) {
      const size_t nl = value.find('\n');
      const std::string_view first = std::string_view(value).substr(0, nl);
      // A first line that came from a continuation may hold what reads as a comment on a "key = " line:
      // write the whole value as continuation lines then.
      if (looksLikeItHasAComment(first)) {
        out += key + " =\n  " + std::string(first) + "\n";
      } else {
        // No space after '=': a value may begin with '#' or ';' ("k =;x"), which after a space reads as a
        // comment (found by fuzzing).
        out += key + "=" + std::string(first) + "\n";
      }
      for (size_t pos = nl; pos != std::string::npos;) {
        const size_t next = value.find('\n', pos + 1);
        out += "  " + value.substr(pos + 1, next == std::string::npos ? std::string::npos : next - pos - 1) +
               "\n";
        pos = next;
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sections = aar::aws::parseIni(text, "fuzz");
  if (!sections.ok()) return 0;
  const std::string written = writeIni(*sections);
  auto again = aar::aws::parseIni(written, "fuzz-written");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *sections);
  return 0;
}
