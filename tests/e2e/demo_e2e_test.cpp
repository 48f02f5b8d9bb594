// README command 1: `aws-auth-refresher demo` walks through the seed README's three steps on its own, then
// (act 2, issue #13) the same rules written as EKS access entries against the fake EKS.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
    auto act2 = out.find("Act 2");
    auto step4 = out.find("Step 4");
    auto step5 = out.find("Step 5");
    ASSERT_NE(step1, std::string::npos) << out;
    ASSERT_NE(step2, std::string::npos) << out;
    ASSERT_NE(step3, std::string::npos) << out;
    ASSERT_NE(act2, std::string::npos) << out;
    ASSERT_NE(step4, std::string::npos) << out;
    ASSERT_NE(step5, std::string::npos) << out;
    ASSERT_TRUE(step3 < act2 && act2 < step4 && step4 < step5) << out;
    std::string s1 = out.substr(step1, step2 - step1), s2 = out.substr(step2, step3 - step2),
                s3 = out.substr(step3, act2 - step3);
    auto has = [](const std::string& s, const std::string& user) {
      return s.find("user/" + user + "\n") != std::string::npos;
    };
    EXPECT_TRUE(has(s1, "tmp-foo-one") && !has(s1, "tmp-bar-one") && !has(s1, "tmp-bar-two")) << s1;
    EXPECT_TRUE(has(s2, "tmp-foo-one") && has(s2, "tmp-bar-one") && has(s2, "tmp-bar-two")) << s2;
    EXPECT_TRUE(!has(s3, "tmp-foo-one") && has(s3, "tmp-bar-one") && !has(s3, "tmp-bar-two")) << s3;
    for (const auto* s : {&s1, &s2, &s3}) EXPECT_NE(s->find("role/eks-node-group"), std::string::npos) << *s;

    // Act 2: the same rules as access entries. One line per entry: ARN, type, username, groups, tags,
    // policies.
    std::string s4 = out.substr(step4, step5 - step4), s5 = out.substr(step5);
    auto line = [](const std::string& s, const std::string& principal) {
      auto at = s.find("arn:aws:iam::123456789012:" + principal + "  ");
      return at == std::string::npos ? std::string() : s.substr(at, s.find('\n', at) - at);
    };
    const std::string ours =
        "tags={aws-auth-refresher/owner=aws-auth-refresher,aws-auth-refresher/principal-id=AIDA";
    for (const char* u : {"user/tmp-foo-one", "user/tmp-bar-one", "user/tmp-bar-two"}) {
      const std::string l = line(s4, u);
      EXPECT_NE(l.find("type=STANDARD"), std::string::npos) << u << ": " << s4;
      EXPECT_NE(l.find(ours), std::string::npos) << u << ": " << s4;
    }
    EXPECT_NE(line(s4, "user/tmp-foo-one").find("username=foo  groups=[]"), std::string::npos) << s4;
    EXPECT_NE(line(s4, "user/tmp-foo-one").find("policy=AmazonEKSClusterAdminPolicy(cluster)"),
              std::string::npos)
        << s4;
    EXPECT_NE(line(s4, "user/tmp-bar-one").find("username=bar  groups=[developers]"), std::string::npos)
        << s4;
    // Step 5: tmp-bar-two's entry is gone, the others are still there.
    EXPECT_EQ(line(s5, "user/tmp-bar-two"), "") << s5;
    EXPECT_NE(line(s5, "user/tmp-bar-one").find(ours), std::string::npos) << s5;
    EXPECT_NE(line(s5, "user/tmp-foo-one").find(ours), std::string::npos) << s5;
    // The hand-made entry is left alone in both steps: its username, no tags of ours.
    for (const auto* s : {&s4, &s5}) {
      EXPECT_NE(line(*s, "role/cluster-creator").find("username=cluster-creator  groups=[]  tags={}"),
                std::string::npos)
          << *s;
    }
  }
  // The demo cleaned up its temporary directory (everything it made lives under TMPDIR).
  size_t left = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmpl))
    left += e.path().filename().string().rfind("aws-auth-refresher-demo-", 0) == 0;
  EXPECT_EQ(left, 0u);
}

// Act 2's failure path: its fake AWS (account 123456789012) does not start. The demo reports it, exits 1
// after act 1 went through, and still cleans up.
TEST(DemoE2eTest, ReportsAnActTwoFakeThatDoesNotStartAndExitsOne) {
  const test::TempDir dir("aar-demo-e2e");
  const std::string& tmpl = dir.path();
  const std::string wrapper = tmpl + "/fake-aws-act1-only";
  {
    std::ofstream w(wrapper);
    w << "#!/bin/sh\ncase \" $* \" in *\" 123456789012 \"*) echo 'no fake EKS account here' >&2; exit 3;; "
         "esac\n"
      << "exec " << AAR_BINARY_DIR << "/tests/fakes/aws/fake-aws \"$@\"\n";
  }
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  std::string bin = std::string(AAR_BINARY_DIR) + "/aws-auth-refresher";
  {
    test::ChildProcess demo({bin, "demo", "--fake-aws", wrapper},
                            {"PATH=/usr/bin:/bin", "HOME=" + tmpl, "TMPDIR=" + tmpl}, tmpl + "/out",
                            tmpl + "/err");
    auto code = demo.waitExit(30s);
    ASSERT_TRUE(code.has_value()) << demo.err();
    EXPECT_EQ(*code, 1) << demo.out() << demo.err();
    EXPECT_NE(demo.out().find("Step 3"), std::string::npos) << demo.out();
    EXPECT_EQ(demo.out().find("Step 4"), std::string::npos) << demo.out();
    EXPECT_NE(demo.err().find("demo failed"), std::string::npos) << demo.err();
    EXPECT_NE(demo.err().find("fake-aws did not start"), std::string::npos) << demo.err();
  }
  size_t left = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmpl))
    left += e.path().filename().string().rfind("aws-auth-refresher-demo-", 0) == 0;
  EXPECT_EQ(left, 0u);
}

}  // namespace
}  // namespace aar::e2e
