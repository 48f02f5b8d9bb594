#include "kube/watch.hpp"

#include <gtest/gtest.h>

namespace aar::kube {
namespace {

std::string event(const std::string& type, const std::string& rv) {
  return R"({"type":")" + type +
         R"(","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":")" + rv + R"("}}})";
}

TEST(WatchDecoderTest, DecodesSeveralEventsInOneChunk) {
  WatchDecoder d;
  std::vector<WatchEvent> out;
  ASSERT_TRUE(
      d.feed(event("ADDED", "1") + "\n" + event("MODIFIED", "2") + "\n" + event("BOOKMARK", "3") + "\n", &out)
          .ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].type, WatchEvent::Type::kAdded);
  EXPECT_EQ(out[1].type, WatchEvent::Type::kModified);
  EXPECT_EQ(out[2].type, WatchEvent::Type::kBookmark);
  EXPECT_EQ(out[2].resourceVersion(), "3");
  EXPECT_EQ(d.pending(), 0u);
}

TEST(WatchDecoderTest, ReassemblesAnEventSplitAtEveryByte) {
  const std::string stream = event("ADDED", "10") + "\n" + event("DELETED", "11") + "\n";
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    WatchDecoder d;
    std::vector<WatchEvent> out;
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(0, cut), &out).ok());
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(cut), &out).ok());
    ASSERT_EQ(out.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(out[0].resourceVersion(), "10");
    EXPECT_EQ(out[1].type, WatchEvent::Type::kDeleted);
  }
}

TEST(WatchDecoderTest, ByteByByteFeedingYieldsTheSameEvents) {
  const std::string stream = event("ADDED", "1") + "\r\n\n" + event("MODIFIED", "2") + "\n";
  WatchDecoder d;
  std::vector<WatchEvent> out;
  for (char c : stream) ASSERT_TRUE(d.feed(std::string_view(&c, 1), &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].resourceVersion(), "2");
}

TEST(WatchDecoderTest, HoldsBackAnUnfinishedLine) {
  WatchDecoder d;
  std::vector<WatchEvent> out;
  ASSERT_TRUE(d.feed(event("ADDED", "1"), &out).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_GT(d.pending(), 0u);
}

TEST(WatchDecoderTest, DecodesAnErrorEventCarryingAGoneStatus) {
  WatchDecoder d;
  std::vector<WatchEvent> out;
  ASSERT_TRUE(d.feed(R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})"
                     "\n",
                     &out)
                  .ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, WatchEvent::Type::kError);
  EXPECT_EQ(out[0].object["code"], 410);
}

TEST(WatchDecoderTest, RejectsGarbageUnknownTypesAndOverlongLines) {
  for (const char* bad : {"not json\n",
                          R"({"type":"SURPRISE","object":{}})"
                          "\n",
                          R"({"type":"ADDED"})"
                          "\n"}) {
    WatchDecoder d;
    std::vector<WatchEvent> out;
    EXPECT_FALSE(d.feed(bad, &out).ok()) << bad;
  }
  WatchDecoder small(16);
  std::vector<WatchEvent> out;
  EXPECT_FALSE(small.feed(std::string(32, 'x'), &out).ok());
}

TEST(WatchPathTest, CarriesSelectorBookmarksResourceVersionAndTimeout) {
  WatchOptions o;
  o.field_selector = "metadata.name=aws-auth";
  o.resource_version = "123";
  o.timeout_seconds = 60;
  EXPECT_EQ(watchPath("/api/v1/namespaces/kube-system/configmaps", o),
            "/api/v1/namespaces/kube-system/configmaps?watch=1&fieldSelector=metadata.name%3Daws-auth"
            "&allowWatchBookmarks=true&resourceVersion=123&timeoutSeconds=60");
}

}  // namespace
}  // namespace aar::kube
