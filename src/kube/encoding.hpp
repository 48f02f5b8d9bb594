// Wire encodings the Kubernetes API uses: base64 (kubeconfig *-data fields, ExecCredential, binaryData) and
// RFC 3339 timestamps (metav1.Time with seconds, metav1.MicroTime with microseconds).
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace aar::kube {

// Standard alphabet with padding. Whitespace (newlines in PEM-like pastes) is ignored; anything else that is
// not base64 yields nullopt.
std::optional<std::string> base64Decode(std::string_view text);
std::string base64Encode(std::string_view bytes);

// Accepts "2006-01-02T15:04:05Z", with optional fraction (any number of digits) and a Z or ±hh:mm offset.
// nullopt when malformed or when the time, as written or in UTC, lies outside the years 1678..2261 that
// system_clock (int64 nanoseconds) can hold.
std::optional<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);
// "2006-01-02T15:04:05Z" (metav1.Time).
std::string formatRfc3339(std::chrono::system_clock::time_point t);
// "2006-01-02T15:04:05.000000Z" (metav1.MicroTime, as Lease and events.k8s.io/v1 Event fields need).
std::string formatRfc3339Micro(std::chrono::system_clock::time_point t);

// Members of JSON from servers and plugins, read without exceptions: nlohmann's value() throws type_error
// when the member exists with another type (found by fuzzing: {"kind": 429}). jsonString: the member when
// `object` is an object and the member is a string, else "". jsonInt: the member when it is an integer that
// fits.
std::string jsonString(const nlohmann::json& object, const char* key);
std::optional<int64_t> jsonInt(const nlohmann::json& object, const char* key);

// `value` as compact JSON text for a request body or a plugin's environment. Never throws: a string holding
// invalid UTF-8 (a server's error text quoted in an Event note, a name read from elsewhere) is written with
// each bad byte replaced by U+FFFD, where nlohmann's plain dump() would throw type_error 316. Every JSON body
// we send goes through this.
std::string jsonText(const nlohmann::json& value);

}  // namespace aar::kube
