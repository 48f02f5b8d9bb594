// Events about the rules ConfigMap against the fake API server: shape, aggregation of repeats, failures.
#include "kube/event_recorder.hpp"

#include <gtest/gtest.h>

#include "kube/encoding.hpp"
#include "kube_fake_fixture.hpp"
#include "kube_test_support.hpp"

namespace aar::kube {
namespace {

using namespace std::chrono_literals;
using aar::testing::kube::FaultSpec;
using testing::ManualClock;
using Outcome = EventRecorder::Outcome;

class EventRecorderTest : public testing::FakeServerTest {
 protected:
  EventRecorderOptions options() {
    EventRecorderOptions o;
    o.reporting_instance = "pod-1_abcd";
    o.clock = &clock_;
    o.regarding = [] {
      EventRegarding r;
      r.uid = "uid-rules";
      r.resource_version = "77";
      return r;
    };
    return o;
  }

  std::vector<nlohmann::json> events() {
    auto list = rest_->get("/apis/events.k8s.io/v1/namespaces/kube-system/events");
    EXPECT_TRUE(list.ok());
    return (*list)["items"].get<std::vector<nlohmann::json>>();
  }

  ManualClock clock_;
};

// A note quoting a server's error text may hold any bytes. nlohmann's plain dump() throws on invalid UTF-8;
// the body is written with U+FFFD in their place instead, and the Event is posted.
TEST_F(EventRecorderTest, ANoteWithInvalidUtf8IsPostedWithReplacementCharacters) {
  EventRecorder recorder(*rest_, options());
  const std::string note = "IAM said: bad \xff\xfe bytes and a cut \xe2\x82 sequence";
  Outcome outcome = Outcome::kFailed;
  EXPECT_NO_THROW(outcome = recorder.record(true, "IamListFailed", note));
  EXPECT_EQ(outcome, Outcome::kCreated);
  auto all = events();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["note"], "IAM said: bad \xef\xbf\xbd\xef\xbf\xbd bytes and a cut \xef\xbf\xbd sequence");
}

TEST(JsonTextTest, ReplacesInvalidUtf8InsteadOfThrowing) {
  nlohmann::json j = {{"note", std::string("a\xc3(b")}, {"ok", "caf\xc3\xa9"}};
  std::string text;
  EXPECT_NO_THROW(text = jsonText(j));
  EXPECT_EQ(text, "{\"note\":\"a\xef\xbf\xbd(b\",\"ok\":\"caf\xc3\xa9\"}");
  EXPECT_THROW((void)j.dump(), nlohmann::json::type_error);  // what jsonText protects against
}

TEST_F(EventRecorderTest, PostsAnEventRegardingTheRulesConfigMap) {
  EventRecorder recorder(*rest_, options());
  EXPECT_EQ(recorder.record(false, "Synced", "aws-auth updated: 2 users added"), Outcome::kCreated);
  auto all = events();
  ASSERT_EQ(all.size(), 1u);
  const auto& e = all[0];
  EXPECT_EQ(e["type"], "Normal");
  EXPECT_EQ(e["reason"], "Synced");
  EXPECT_EQ(e["note"], "aws-auth updated: 2 users added");
  EXPECT_EQ(e["reportingController"], "aws-auth-refresher");
  EXPECT_EQ(e["reportingInstance"], "pod-1_abcd");
  EXPECT_EQ(e["action"], "Reconcile");
  EXPECT_EQ(e["regarding"]["kind"], "ConfigMap");
  EXPECT_EQ(e["regarding"]["namespace"], "kube-system");
  EXPECT_EQ(e["regarding"]["name"], "aws-auth-refresher");
  EXPECT_EQ(e["regarding"]["uid"], "uid-rules");
  EXPECT_EQ(e["regarding"]["resourceVersion"], "77");
  EXPECT_TRUE(e["eventTime"].is_string());
}

TEST_F(EventRecorderTest, RepeatsUpdateTheSeriesAtMostOncePerIntervalInsteadOfPostingEveryCycle) {
  EventRecorder recorder(*rest_, options());
  ASSERT_EQ(recorder.record(true, "UpdateFailed", "conflict"), Outcome::kCreated);
  // A failing cycle every 15 s for two minutes.
  std::vector<Outcome> outcomes;
  for (int i = 0; i < 8; ++i) {
    clock_.advance(15s);
    outcomes.push_back(recorder.record(true, "UpdateFailed", "conflict"));
  }
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), Outcome::kSeriesUpdated), 2);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), Outcome::kCreated), 0);
  EXPECT_EQ(server_.countRequests("create", "events"), 1u);
  EXPECT_EQ(server_.countRequests("patch", "events"), 2u);
  recorder.flush();
  auto all = events();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["series"]["count"], 9);
  EXPECT_TRUE(all[0]["series"]["lastObservedTime"].is_string());
}

TEST_F(EventRecorderTest, DifferentReasonsOrNotesAreDifferentEvents) {
  EventRecorder recorder(*rest_, options());
  EXPECT_EQ(recorder.record(true, "InvalidRules", "rule 0: bad regex"), Outcome::kCreated);
  EXPECT_EQ(recorder.record(true, "InvalidRules", "rule 1: bad regex"), Outcome::kCreated);
  EXPECT_EQ(recorder.record(false, "Synced", "ok"), Outcome::kCreated);
  EXPECT_EQ(events().size(), 3u);
}

TEST_F(EventRecorderTest, ARepeatAfterTheWindowIsANewEvent) {
  auto o = options();
  o.aggregation_window = 600s;
  EventRecorder recorder(*rest_, o);
  EXPECT_EQ(recorder.record(false, "Synced", "ok"), Outcome::kCreated);
  clock_.advance(601s);
  EXPECT_EQ(recorder.record(false, "Synced", "ok"), Outcome::kCreated);
  EXPECT_EQ(events().size(), 2u);
}

TEST_F(EventRecorderTest, PostsANewEventWhenTheOldOneWasDeleted) {
  EventRecorder recorder(*rest_, options());
  ASSERT_EQ(recorder.record(false, "Synced", "ok"), Outcome::kCreated);
  const std::string name = events()[0]["metadata"]["name"];
  ASSERT_TRUE(rest_->remove("/apis/events.k8s.io/v1/namespaces/kube-system/events/" + name).ok());
  clock_.advance(61s);
  EXPECT_EQ(recorder.record(false, "Synced", "ok"), Outcome::kCreated);
  EXPECT_EQ(events().size(), 1u);
}

TEST_F(EventRecorderTest, AFailureToPostIsReportedNotFatal) {
  EventRecorder recorder(*rest_, options());
  server_.failNext(FaultSpec{"create", "events", "", 403, 1});
  EXPECT_EQ(recorder.record(true, "UpdateFailed", "x"), Outcome::kFailed);
  recorder.warning("UpdateFailed", "x");  // the interface callers use: returns nothing, throws nothing
  EXPECT_EQ(events().size(), 1u);
}

TEST_F(EventRecorderTest, TruncatesLongNotesToTheApiLimit) {
  EventRecorder recorder(*rest_, options());
  EXPECT_EQ(recorder.record(true, "InvalidRules", std::string(5000, 'x')), Outcome::kCreated);
  auto all = events();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_LE(all[0]["note"].get<std::string>().size(), 1024u);
}

}  // namespace
}  // namespace aar::kube
