// README command 1: `aws-auth-refresher demo` walks through the seed README's three steps on its own.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace aar::e2e {
namespace {

using namespace std::chrono_literals;

TEST(DemoE2eTest, WalksThroughTheSeedReadmesThreeStepsAndExitsZero) {
  const test::TempDir dir("aar-demo-e2e");
  const std::string& tmpl = dir.path();
  std::string bin = std::string(AAR_BINARY_DIR) + "/aws-auth-refresher";
  {
    test::ChildProcess demo({bin, "demo"}, {"PATH=/usr/bin:/bin", "HOME=" + tmpl, "TMPDIR=" + tmpl},
                            tmpl + "/out", tmpl + "/err");
    auto code = demo.waitExit(30s);
    ASSERT_TRUE(code.has_value()) << demo.err();
    EXPECT_EQ(*code, 0) << demo.out() << demo.err();
    std::string out = demo.out();
    auto step1 = out.find("Step 1");
    auto step2 = out.find("Step 2");
    auto step3 = out.find("Step 3");
    ASSERT_NE(step1, std::string::npos) << out;
    ASSERT_NE(step2, std::string::npos) << out;
    ASSERT_NE(step3, std::string::npos) << out;
    std::string s1 = out.substr(step1, step2 - step1), s2 = out.substr(step2, step3 - step2),
                s3 = out.substr(step3);
    auto has = [](const std::string& s, const std::string& user) {
      return s.find("user/" + user + "\n") != std::string::npos;
    };
    EXPECT_TRUE(has(s1, "tmp-foo-one") && !has(s1, "tmp-bar-one") && !has(s1, "tmp-bar-two")) << s1;
    EXPECT_TRUE(has(s2, "tmp-foo-one") && has(s2, "tmp-bar-one") && has(s2, "tmp-bar-two")) << s2;
    EXPECT_TRUE(!has(s3, "tmp-foo-one") && has(s3, "tmp-bar-one") && !has(s3, "tmp-bar-two")) << s3;
    for (const auto* s : {&s1, &s2, &s3}) EXPECT_NE(s->find("role/eks-node-group"), std::string::npos) << *s;
  }
  // The demo cleaned up its temporary directory (everything it made lives under TMPDIR).
  size_t left = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmpl))
    left += e.path().filename().string().rfind("aws-auth-refresher-demo-", 0) == 0;
  EXPECT_EQ(left, 0u);
}

}  // namespace
}  // namespace aar::e2e
