// Fuzz target: Lease objects as the leader election reads and writes them (leaseRecordFromJson,
// leaseRecordToJson), and the decision taken on what was read.
// Properties: never crash, hang or overflow (UBSan); a record that reads, written into the object and read
// back, is the same but for times truncated to the microsecond (MicroTime); writing and reading it again
// changes nothing; the object as request-body text (jsonText) reads back to the same record.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "fuzz_check.hpp"
#include "kube/encoding.hpp"
#include "kube/leader_election.hpp"

namespace {

bool withinAMicrosecond(const std::optional<std::chrono::system_clock::time_point>& a,
                        const std::optional<std::chrono::system_clock::time_point>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  const auto d = *a > *b ? *a - *b : *b - *a;
  return d < std::chrono::microseconds(1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  nlohmann::json lease = nlohmann::json::parse(text, nullptr, false);
  if (lease.is_discarded()) return 0;
  auto first = aar::kube::leaseRecordFromJson(lease);
  if (!first.ok()) return 0;

  aar::kube::leaseRecordToJson(*first, &lease);
  auto second = aar::kube::leaseRecordFromJson(lease);
  FUZZ_CHECK(second.ok());
  FUZZ_CHECK(second->holder_identity == first->holder_identity);
  FUZZ_CHECK(second->lease_duration_seconds == first->lease_duration_seconds);
  FUZZ_CHECK(second->lease_transitions == first->lease_transitions);
  FUZZ_CHECK(withinAMicrosecond(second->acquire_time, first->acquire_time));
  FUZZ_CHECK(withinAMicrosecond(second->renew_time, first->renew_time));

  aar::kube::leaseRecordToJson(*second, &lease);
  auto third = aar::kube::leaseRecordFromJson(lease);
  FUZZ_CHECK(third.ok() && *third == *second);

  auto body = nlohmann::json::parse(aar::kube::jsonText(lease), nullptr, false);
  FUZZ_CHECK(!body.is_discarded());
  auto from_body = aar::kube::leaseRecordFromJson(body);
  FUZZ_CHECK(from_body.ok() && *from_body == *second);
  return 0;
}
