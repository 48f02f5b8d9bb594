#include "app/duration.hpp"

#include <gtest/gtest.h>

namespace aar::app {
namespace {

using namespace std::chrono_literals;

TEST(GoDurationTest, ParsesWhatGoParses) {
  EXPECT_EQ(*parseGoDuration("15s"), 15s);
  EXPECT_EQ(*parseGoDuration("1m30s"), 90s);
  EXPECT_EQ(*parseGoDuration("500ms"), 500ms);
  EXPECT_EQ(*parseGoDuration("1.5h"), 90min);
  EXPECT_EQ(*parseGoDuration("2h45m"), 165min);
  EXPECT_EQ(*parseGoDuration("10us"), 10us);
  EXPECT_EQ(*parseGoDuration("10\xC2\xB5s"), 10us);
  EXPECT_EQ(*parseGoDuration("7ns"), 7ns);
  EXPECT_EQ(*parseGoDuration(".5s"), 500ms);
  EXPECT_EQ(*parseGoDuration("0"), 0s);
  EXPECT_EQ(*parseGoDuration("-1s"), -1s);
  EXPECT_EQ(*parseGoDuration("+2s"), 2s);
}

TEST(GoDurationTest, RejectsWhatGoRejects) {
  for (const char* bad : {"", "15", "s", "1x", "1.s.", "1sm", ".s", "--1s", "1 s", "99999999999h"}) {
    auto r = parseGoDuration(bad);
    EXPECT_FALSE(r.ok()) << "\"" << bad << "\"";
    if (!r.ok()) {
      EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
    }
  }
}

TEST(GoDurationTest, FormatsLikeGo) {
  EXPECT_EQ(formatGoDuration(15s), "15s");
  EXPECT_EQ(formatGoDuration(90s), "1m30s");
  EXPECT_EQ(formatGoDuration(500ms), "500ms");
  EXPECT_EQ(formatGoDuration(1h), "1h0m0s");
  EXPECT_EQ(formatGoDuration(1500ms), "1.5s");
  EXPECT_EQ(formatGoDuration(0s), "0s");
}

}  // namespace
}  // namespace aar::app
