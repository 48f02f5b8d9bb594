// Fuzz target: the aws-auth ConfigMap codec (mapUsers, mapRoles, mapAccounts, the ownership record) and the
// ConfigMap manifest codec.
// Properties: never crash or hang; what parses as a manifest can be emitted again, and the emitted text
// parses to the same content (we must never write what we could not read back).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/aws_auth_codec.hpp"
#include "core/config_map.hpp"
#include "core/ownership.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)aar::core::parseMapUsers(text);
  (void)aar::core::parseMapRoles(text);
  (void)aar::core::parseMapAccounts(text);
  (void)aar::core::parseOwnership(text);
  auto manifest = aar::core::parseConfigMapManifest(text, "fuzz");
  if (manifest.ok()) {
    auto emitted = aar::core::emitConfigMapManifest(*manifest, manifest->content);
    if (emitted.ok()) {
      auto reparsed = aar::core::parseConfigMapManifest(*emitted, "fuzz-emitted");
      if (!reparsed.ok() || !(reparsed->content == manifest->content)) std::abort();
    }
  }
  return 0;
}
