// Fuzz target: ConfigMap objects from the API server (kube::ConfigMap::fromJson, content(), setContent()).
// Properties: never crash or hang; a ConfigMap that reads has a name and string maps; setting its own content
// changes nothing; the object as request-body text (jsonText) reads back to the same content; a fresh
// ConfigMap given that content reports exactly it.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "fuzz_check.hpp"
#include "kube/config_maps.hpp"
#include "kube/encoding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
  if (object.is_discarded()) return 0;
  auto cm = aar::kube::ConfigMap::fromJson(object);
  if (!cm.ok()) return 0;
  FUZZ_CHECK(!cm->name().empty());
  const auto content = cm->content();
  FUZZ_CHECK(content.data == cm->data());
  FUZZ_CHECK(content.annotations == cm->annotations());
  for (const auto& [key, value] : content.data) FUZZ_CHECK(cm->dataValue(key) == value);

  aar::kube::ConfigMap same = *cm;
  same.setContent(content);
  FUZZ_CHECK(same.content() == content);
  FUZZ_CHECK(same.object() == cm->object());

  auto body = nlohmann::json::parse(aar::kube::jsonText(cm->object()), nullptr, false);
  FUZZ_CHECK(!body.is_discarded());
  auto reread = aar::kube::ConfigMap::fromJson(body);
  FUZZ_CHECK(reread.ok());
  FUZZ_CHECK(reread->content() == content);
  FUZZ_CHECK(reread->name() == cm->name());

  aar::kube::ConfigMap fresh(cm->namespaceName(), cm->name());
  fresh.setContent(content);
  FUZZ_CHECK(fresh.content() == content);
  return 0;
}
