// ConfigMap content as the core sees it, Kubernetes' size limits, and the manifest codec used by `plan`.
//
// The core never talks to the API server: adapters hand it the `data` and `metadata.annotations` of
// kube-system/aws-auth as plain string maps, and write back what reconcile() returns.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace aar::core {

struct ConfigMapContent {
  std::map<std::string, std::string> data;
  std::map<std::string, std::string> annotations;

  bool operator==(const ConfigMapContent&) const = default;
};

// Kubernetes' limits, counted as the API server counts them (sum of len(key) + len(value), in bytes).
inline constexpr size_t kMaxConfigMapDataBytes = 1024 * 1024;  // data + binaryData (validation.MaxSecretSize)
inline constexpr size_t kMaxAnnotationsBytes =
    256 * 1024;  // metadata.annotations (TotalAnnotationSizeLimitB)

size_t dataSize(const std::map<std::string, std::string>& data);
size_t annotationsSize(const std::map<std::string, std::string>& annotations);

// A ConfigMap manifest as `kubectl get -o yaml` prints it. `source` is the original text: emitting keeps
// every field we do not own (apiVersion, kind, labels, resourceVersion, ...).
struct ConfigMapManifest {
  std::string name;
  std::string namespace_name;
  ConfigMapContent content;
  std::string source;
};

// Parses a manifest. Errors (kInvalidArgument): YAML syntax, not a map, kind other than ConfigMap, data or
// annotations not a map of strings, binaryData present with data we cannot count. `source_name` (a file name)
// prefixes messages.
Result<ConfigMapManifest> parseConfigMapManifest(std::string_view yaml, std::string_view source_name);

// The manifest `original` with its data and annotations replaced by `content`; every other field kept.
// Multi-line values are emitted as literal blocks (`|`) when that round-trips, else double-quoted. The output
// is parsed back and checked; kInternal if it does not read back as `content`.
Result<std::string> emitConfigMapManifest(const ConfigMapManifest& original, const ConfigMapContent& content);

}  // namespace aar::core
