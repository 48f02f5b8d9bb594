// Fuzz target: IAM ListUsers/ListRoles response pages and AWS error XML. Never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "aws/aws_error.hpp"
#include "aws/iam_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  std::vector<aar::aws::IamEntity> out;
  (void)aar::aws::parseIamListPageInto(xml, aar::aws::IamListKind::kUsers, out);
  (void)aar::aws::parseIamListPageInto(xml, aar::aws::IamListKind::kRoles, out);
  (void)aar::aws::parseAwsErrorXml(xml);
  return 0;
}
