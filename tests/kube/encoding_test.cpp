#include "kube/encoding.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace aar::kube {
namespace {

using std::chrono::system_clock;

TEST(Base64Test, RoundTripsEveryPaddingLength) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto decoded = base64Decode(base64Encode(s));
    ASSERT_TRUE(decoded.has_value()) << s;
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(base64Encode("hello"), "aGVsbG8=");
}

TEST(Base64Test, IgnoresLineBreaksAndRejectsOtherCharacters) {
  EXPECT_EQ(base64Decode("aGVs\nbG8=\n").value_or("?"), "hello");
  EXPECT_FALSE(base64Decode("aGVs*bG8=").has_value());
  EXPECT_FALSE(base64Decode("aGVsbG8=x").has_value());
}

TEST(Rfc3339Test, ParsesUtcOffsetsAndFractions) {
  auto t = parseRfc3339("2024-02-29T12:34:56Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count(), 1709210096);
  auto offset = parseRfc3339("2024-02-29T14:34:56+02:00");
  ASSERT_TRUE(offset.has_value());
  EXPECT_EQ(*offset, *t);
  auto frac = parseRfc3339("2024-02-29T12:34:56.123456Z");
  ASSERT_TRUE(frac.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::microseconds>(*frac - *t).count(), 123456);
}

TEST(Rfc3339Test, RejectsMalformedTimestamps) {
  for (const char* bad : {"", "2024-02-29", "2024-02-29T12:34:56", "2024-13-01T00:00:00Z",
                          "2024-02-29T12:34:56.Z", "2024-02-29T12:34:56Zjunk", "2024-02-29 12:34:56Z"}) {
    EXPECT_FALSE(parseRfc3339(bad).has_value()) << bad;
  }
}

TEST(Rfc3339Test, FormatsTimeAndMicroTimeThatParseBack) {
  const auto t = system_clock::time_point(std::chrono::microseconds(1709210096123456LL));
  EXPECT_EQ(formatRfc3339(t), "2024-02-29T12:34:56Z");
  EXPECT_EQ(formatRfc3339Micro(t), "2024-02-29T12:34:56.123456Z");
  EXPECT_EQ(parseRfc3339(formatRfc3339Micro(t)).value(), t);
}

TEST(Rfc3339Test, RejectsYearsTheClockCannotRepresent) {
  // Found by the exec_credential fuzzer: year 0026 overflowed the nanosecond conversion.
  EXPECT_FALSE(parseRfc3339("0026-11-28T16:00:00Z").has_value());
  EXPECT_FALSE(parseRfc3339("9999-12-31T23:59:59Z").has_value());
  EXPECT_TRUE(parseRfc3339("1678-01-01T00:00:00Z").has_value());
  EXPECT_TRUE(parseRfc3339("2261-01-01T00:00:00Z").has_value());
  // An offset that carries the time out of those years is refused too: it would format as a year we refuse.
  EXPECT_FALSE(parseRfc3339("2261-12-31T23:30:00-01:00").has_value());
  EXPECT_FALSE(parseRfc3339("1678-01-01T00:30:00+01:00").has_value());
  EXPECT_TRUE(parseRfc3339("2261-12-31T23:30:00+01:00").has_value());
}

TEST(JsonFieldTest, ReadsStringsAndIntegersAndNeverThrowsOnOtherTypes) {
  const auto j = nlohmann::json::parse(
      R"({"s":"x","n":42,"big":18446744073709551615,"neg":-3,"f":1.5,"o":{},"a":[],"null":null})");
  EXPECT_EQ(jsonString(j, "s"), "x");
  EXPECT_EQ(jsonInt(j, "n"), 42);
  EXPECT_EQ(jsonInt(j, "neg"), -3);
  for (const char* key : {"n", "f", "o", "a", "null", "missing"}) EXPECT_EQ(jsonString(j, key), "") << key;
  for (const char* key : {"s", "big", "f", "o", "a", "null", "missing"}) EXPECT_FALSE(jsonInt(j, key)) << key;
  EXPECT_EQ(jsonString(nlohmann::json::array(), "s"), "");
  EXPECT_FALSE(jsonInt(nlohmann::json("text"), "n"));
}

}  // namespace
}  // namespace aar::kube
