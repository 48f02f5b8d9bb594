// Fuzz target: EKS REST-JSON response bodies (cluster, access entries, pages, policies) and error bodies.
// Never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "aws/eks_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)aar::aws::parseEksDescribeCluster(body);
  (void)aar::aws::parseEksAccessEntryResponse(body);
  (void)aar::aws::parseEksListAccessEntries(body);
  (void)aar::aws::parseEksAssociateAccessPolicy(body);
  (void)aar::aws::parseEksListAssociatedAccessPolicies(body);
  (void)aar::aws::parseEksError(std::nullopt, body);
  (void)aar::aws::parseEksError(std::string(body.substr(0, 64)), body);
  return 0;
}
