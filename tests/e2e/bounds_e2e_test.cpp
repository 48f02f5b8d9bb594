// Bounded responses in the real binary (issue 10, problem 3): an IAM endpoint (or a proxy in front of it)
// that answers ListUsers with 200 and a 512 MiB body, and an instance metadata service that does the same,
// make `run --once` fail with an error that names the limit, write nothing, and stay far inside the pod's
// 64 MiB memory limit. Before the limits the binary read the whole body (over 1 GiB of RSS).
#include <fstream>

#include "e2e/harness.hpp"
#include "fakes/aws/fake_imds.hpp"

namespace aar::e2e {
namespace {

using namespace std::chrono_literals;

constexpr size_t kHugeBody = size_t{512} << 20;
// The pod's memory limit is 64 MiB; the measure is an upper bound (see ChildProcess::peakRssKiB). Under
// AddressSanitizer the same binary carries shadow memory and a quarantine of freed blocks (about 100 MiB seen
// here), so the sanitizer build gets a looser bound that still tells a bounded read from an unbounded one
// (the unbounded read of a 512 MiB body peaked above 1 GiB without a sanitizer).
#if defined(__SANITIZE_ADDRESS__)
constexpr long kPeakRssLimitKiB = 320 * 1024;
#else
constexpr long kPeakRssLimitKiB = 48 * 1024;
#endif

// This test process's resident size (KiB): the floor of every child's ru_maxrss (see peakRssKiB), printed
// with a failure so that a bloated test process is not mistaken for a bloated binary.
long selfRssKiB() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

class BoundsE2eTest : public E2eTest {};

TEST_F(BoundsE2eTest, AHugeListUsersBodyFailsTheCycleAtTheLimitWithBoundedMemoryAndNoWrite) {
  putRules(kSeedRules);
  putAwsAuth(
      {{"mapUsers", "- userarn: " + userArn("hand-written") + "\n  username: hand\n  groups:\n  - view\n"}});
  iam_->addUser("tmp-foo-one");
  const auto before = mapUsers();
  const size_t writes_before = configMapWrites();
  for (bool announce : {false, true}) {
    iam_->hugeBodyNext(100, kHugeBody, announce);
    ChildProcess* c = nullptr;
    const int code = runToExit({"--once"}, {}, 60s, &c);
    const std::string how = announce ? "with Content-Length" : "chunked";
    EXPECT_NE(code, 0) << how << "\n" << c->err();
    EXPECT_NE(code, -1) << how << ": did not exit in time";
    EXPECT_NE(c->err().find("8388608-byte limit"), std::string::npos) << how << "\n" << c->err();
    EXPECT_EQ(configMapWrites(), writes_before) << how;
    EXPECT_EQ(mapUsers(), before) << how;
    ASSERT_TRUE(c->peakRssKiB().has_value());
    EXPECT_LT(*c->peakRssKiB(), kPeakRssLimitKiB)
        << how << ": peak RSS " << *c->peakRssKiB() << " KiB (this test process: " << selfRssKiB() << " KiB)";
    RecordProperty(announce ? "peak_rss_kib_content_length" : "peak_rss_kib_chunked",
                   std::to_string(*c->peakRssKiB()));
    iam_->clearFaults();
  }
  // The same binary against the same IAM, once the fault is gone, does its job: the limit is not in the way.
  ChildProcess* ok = nullptr;
  ASSERT_EQ(runToExit({"--once"}, {}, 30s, &ok), 0) << ok->err();
  EXPECT_EQ(configMapWrites(), writes_before + 1);
}

TEST_F(BoundsE2eTest, AHugeInstanceMetadataAnswerFailsAtTheImdsLimitWithBoundedMemoryAndNoWrite) {
  fakes::FakeImds::Options o;
  o.iam = iam_.get();
  fakes::FakeImds imds(o);
  ASSERT_GT(imds.start(), 0);
  imds.hugeBodyNext(100, kHugeBody);
  putRules(kSeedRules);
  iam_->addUser("tmp-foo-one");
  const size_t writes_before = configMapWrites();
  const std::vector<std::string> env = {
      "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_EC2_METADATA_DISABLED=false",
      "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + imds.url()};
  ChildProcess* c = nullptr;
  const int code = runToExit({"--once"}, env, 60s, &c);
  EXPECT_NE(code, 0) << c->err();
  EXPECT_NE(code, -1) << "did not exit in time";
  EXPECT_NE(c->err().find("65536-byte limit"), std::string::npos) << c->err();
  EXPECT_EQ(configMapWrites(), writes_before);
  EXPECT_EQ(iam_->requests().size(), 0u) << "IAM was called without credentials";
  ASSERT_TRUE(c->peakRssKiB().has_value());
  EXPECT_LT(*c->peakRssKiB(), kPeakRssLimitKiB)
      << "peak RSS " << *c->peakRssKiB() << " KiB (this test process: " << selfRssKiB() << " KiB)";
}

}  // namespace
}  // namespace aar::e2e
