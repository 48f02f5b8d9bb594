#include "app/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>

#include <nlohmann/json.hpp>

namespace aar::app {
namespace {

std::string formatJson(spdlog::level::level_enum level, std::string_view text) {
  auto f = makeJsonFormatter();
  spdlog::details::log_msg msg(spdlog::source_loc{}, "aws-auth-refresher", level,
                               spdlog::string_view_t(text.data(), text.size()));
  spdlog::memory_buf_t buf;
  f->format(msg, buf);
  return std::string(buf.data(), buf.size());
}

TEST(JsonLogFormatTest, WritesOneJsonObjectPerLine) {
  std::string line = formatJson(spdlog::level::info, "mapUsers entry added arn=arn:aws:iam::1:user/x");
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["msg"], "mapUsers entry added arn=arn:aws:iam::1:user/x");
  EXPECT_EQ(j["logger"], "aws-auth-refresher");
  EXPECT_EQ(j["ts"].get<std::string>().back(), 'Z');
}

TEST(JsonLogFormatTest, EscapesQuotesNewlinesAndInvalidUtf8) {
  std::string line = formatJson(spdlog::level::err, "bad \"rule\"\nline 2 \xff end");
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "error");
  EXPECT_NE(j["msg"].get<std::string>().find("bad \"rule\"\nline 2"), std::string::npos);
}

TEST(LoggingTest, RejectsUnknownLevelsAndFormats) {
  EXPECT_FALSE(configureLogging("trace", "text").ok());
  EXPECT_FALSE(configureLogging("info", "xml").ok());
  EXPECT_TRUE(configureLogging("debug", "json").ok());
  EXPECT_TRUE(configureLogging("info", "text").ok());
}

}  // namespace
}  // namespace aar::app
