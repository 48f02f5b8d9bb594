// Fuzz target: kubeconfig parsing and context resolution. Never crash or hang.
// (Files named by the input are resolved against a directory that does not exist.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kube/kubeconfig.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  (void)aar::kube::parseKubeconfig(yaml, "/nonexistent-aar-fuzz/kubeconfig", "");
  (void)aar::kube::parseKubeconfig(yaml, "/nonexistent-aar-fuzz/kubeconfig", "other");
  return 0;
}
