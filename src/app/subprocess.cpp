#include "app/subprocess.hpp"

extern char** environ;

namespace aar::app {

Result<std::unique_ptr<Subprocess>> Subprocess::spawn(const std::vector<std::string>& argv,
                                                      const std::vector<std::string>& env,
                                                      const std::string& stderr_path) {
  kube::SpawnOptions options;
  options.argv = argv;
  options.env = env;
  options.stderr_path = stderr_path;
  auto child = kube::ChildProcess::spawn(options);
  if (!child) return makeError(child.error().kind, "spawn " + child.error().message);
  return std::make_unique<Subprocess>(std::move(*child));
}

Subprocess::~Subprocess() { terminate(); }

std::vector<std::string> environmentWith(const std::vector<std::string>& overrides,
                                         const std::vector<std::string>& remove) {
  auto nameOf = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    std::string name = nameOf(kv);
    bool drop = false;
    for (const auto& r : remove) drop = drop || r == name;
    for (const auto& o : overrides) drop = drop || nameOf(o) == name;
    if (!drop) out.push_back(kv);
  }
  out.insert(out.end(), overrides.begin(), overrides.end());
  return out;
}

}  // namespace aar::app
