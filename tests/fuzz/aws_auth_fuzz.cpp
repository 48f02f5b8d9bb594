// Fuzz target: the aws-auth ConfigMap codec (mapUsers, mapRoles, mapAccounts, the ownership record) and the
// ConfigMap manifest codec.
// Properties: never crash or hang; what parses as a manifest can be emitted again, and the emitted text
// parses to the same content (we must never write what we could not read back); every mapUsers value that
// parses can be written back entry for entry (each carried over as reconcile carries an unmanaged entry),
// passing emitMapUsers' own parse-back check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/aws_auth_codec.hpp"
#include "core/config_map.hpp"
#include "core/ownership.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto entries = aar::core::parseMapUsers(text); entries.ok()) {
    std::vector<aar::core::MapUsersItem> items;
    for (const auto& e : *entries) items.push_back(aar::core::MapUsersItem{e.mapping, e.node});
    auto emitted = aar::core::emitMapUsers(items);
    // Too deep or too large for libyaml to write is acceptable; any other refusal is a bug in the emitter.
    if (!emitted.ok() && emitted.error().message.find("does not read back") != std::string::npos)
      std::abort();
  }
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
