#include "kube/watch.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "support/eventually.hpp"
#include "support/server_thread.hpp"

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

TEST(WatchDecoderTest, TheDefaultLineLimitIsEightMiBWellInsideThePodLimit) {
  EXPECT_EQ(kMaxWatchLineBytes, size_t{8} << 20);
  // A line of exactly the limit is accepted (here: one event padded with a long string).
  const std::string head = R"({"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a"},"pad":")";
  const std::string tail = R"("}})";
  std::string line = head + std::string(kMaxWatchLineBytes - head.size() - tail.size(), 'x') + tail;
  ASSERT_EQ(line.size(), kMaxWatchLineBytes);
  {
    WatchDecoder d;
    std::vector<WatchEvent> out;
    ASSERT_TRUE(d.feed(line.substr(0, 1000), &out).ok());
    auto s = d.feed(line.substr(1000) + "\n", &out);
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_EQ(out.size(), 1u);
  }
  // One byte more is refused, split across chunks or inside one, before the excess is buffered.
  line.insert(head.size(), "y");
  {
    WatchDecoder d;
    std::vector<WatchEvent> out;
    ASSERT_TRUE(d.feed(line.substr(0, 1000), &out).ok());
    auto s = d.feed(line.substr(1000), &out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().kind, ErrorKind::kParse);
    EXPECT_EQ(s.error().message,
              "watch: an event line exceeds the 8388608-byte limit; the stream is dropped");
    EXPECT_EQ(d.pending(), 1000u);
  }
  {
    WatchDecoder d;
    std::vector<WatchEvent> out;
    auto s = d.feed(line + "\n", &out);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.error().message.find("exceeds the 8388608-byte limit"), std::string::npos);
    EXPECT_TRUE(out.empty());
  }
}

// A server that sends one event line that never ends: watchOnce fails with the limit's error and drops the
// connection (the server's next write fails) instead of buffering without bound.
TEST(WatchOnceTest, DropsTheStreamWhenALineExceedsTheLimit) {
  httplib::Server server;
  std::atomic<size_t> sent{0};
  std::atomic<bool> write_failed{false};
  server.Get("/api/v1/configmaps", [&](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider("application/json", [&](size_t, httplib::DataSink& sink) {
      const std::string piece(64 * 1024, 'x');
      if (sent == 0 && !sink.write("{\"type\":\"ADDED\",\"object\":{\"pad\":\"", 33)) {
        write_failed = true;
        return false;
      }
      // Bounded: at most 4x the limit, then the stream ends on its own.
      if (sent > 4 * kMaxWatchLineBytes) return false;
      if (!sink.write(piece.data(), piece.size())) {
        write_failed = true;
        return false;
      }
      sent += piece.size();
      return true;
    });
  });
  test::ServerThread serving(server);
  const int port = serving.port();

  ConnectionConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(port);
  config.auth.token = "t";
  auto rest = RestClient::create(config);
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  WatchOptions options;
  options.idle_timeout = std::chrono::milliseconds(5000);
  int events = 0;
  Status s = watchOnce(**rest, "/api/v1/configmaps", options, [&](const WatchEvent&) {
    ++events;
    return true;
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kParse);
  EXPECT_NE(s.error().message.find("exceeds the 8388608-byte limit"), std::string::npos) << s.error().message;
  EXPECT_EQ(events, 0);
  // The connection is gone: the server's writes fail well before it would have ended the stream itself.
  test::eventually([&] { return write_failed.load(); }, std::chrono::seconds(10));
  EXPECT_TRUE(write_failed);
  EXPECT_LT(sent.load(), 4 * kMaxWatchLineBytes);
  serving.stop();
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
