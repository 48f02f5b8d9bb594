// Validation the real kube-apiserver applies to the objects the fake stores (a subset: what clients of
// ConfigMaps, Leases and Events can trip over).
//
// - metadata.name: required (or generateName on create), a lowercase RFC 1123 subdomain, at most 253 bytes.
// - metadata.annotations: keys plus values at most 262,144 bytes in total.
// - ConfigMap: data and binaryData keys match [-._a-zA-Z0-9]+ (at most 253 bytes) and appear in only one of
//   the two maps; the values (binaryData decoded from base64) total at most 1,048,576 bytes; data must be
//   strings and binaryData valid base64; an immutable ConfigMap keeps its data, binaryData and immutable
//   flag.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "fakes/kube/api_status.hpp"

namespace aar::testing::kube {

inline constexpr size_t kMaxConfigMapBytes = 1024 * 1024;   // core.MaxSecretSize
inline constexpr size_t kMaxAnnotationsBytes = 256 * 1024;  // TotalAnnotationSizeLimitB

struct ResourceType;

// Empty when the object is valid. `existing` is the stored object on update (nullptr on create).
std::vector<StatusCause> validateObject(const ResourceType& type, const nlohmann::json& object,
                                        const nlohmann::json* existing);

// Decoded size of a base64 string, or nullopt-like -1 if it is not valid base64.
long long base64DecodedSize(const std::string& text);

}  // namespace aar::testing::kube
