// Fuzz target: ExecCredential JSON from an exec plugin's stdout (both API versions). Never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kube/exec_credential.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  (void)aar::kube::parseExecCredential(json, aar::kube::kExecApiV1);
  (void)aar::kube::parseExecCredential(json, aar::kube::kExecApiV1beta1);
  return 0;
}
