#include <algorithm>
#include <cctype>

#include "app/cli.hpp"

namespace aar::app {

namespace {

constexpr const char* kSubcommands[] = {"run", "plan", "demo", "version"};
// Flags that print and exit at the root; they do not select `run`.
constexpr const char* kRootFlags[] = {"--help", "-h", "--version", "-help", "-version"};

bool isSubcommand(const std::string& a) {
  return std::find(std::begin(kSubcommands), std::end(kSubcommands), a) != std::end(kSubcommands);
}

}  // namespace

std::vector<std::string> normalizeArgs(const std::vector<std::string>& args) {
  std::vector<std::string> out = args;
  if (!out.empty() &&
      std::find(std::begin(kRootFlags), std::end(kRootFlags), out[0]) != std::end(kRootFlags)) {
    if (out[0] == "-help") out[0] = "--help";
    if (out[0] == "-version") out[0] = "--version";
    return out;
  }
  if (!out.empty() && isSubcommand(out[0]) && out[0] != "run") return out;  // plan, demo, version: as given
  if (out.empty() || out[0] != "run") out.insert(out.begin(), "run");
  // Go's flag package: "-name" and "--name" are the same flag. CLI11 reads "-name" as a cluster of short
  // flags, so rewrite single-dash words of two or more letters (never a lone "-x", "-" or a negative number).
  for (size_t i = 1; i < out.size(); ++i) {
    const std::string& a = out[i];
    if (a == "--") break;
    if (a.size() > 2 && a[0] == '-' && a[1] != '-' && std::isalpha(static_cast<unsigned char>(a[1])) &&
        std::isalpha(static_cast<unsigned char>(a[2]))) {
      out[i] = "-" + a;
    }
  }
  return out;
}

}  // namespace aar::app
