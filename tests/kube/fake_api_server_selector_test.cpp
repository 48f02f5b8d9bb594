// Field and label selectors of the fake API server (pure code).
#include <gtest/gtest.h>

#include "fakes/kube/selector.hpp"

namespace aar::testing::kube {
namespace {

using nlohmann::json;

json object(const std::string& name, json labels) {
  return {{"metadata", {{"name", name}, {"namespace", "kube-system"}, {"labels", std::move(labels)}}},
          {"involvedObject", {{"name", "aws-auth-refresher"}}}};
}

Selector labels(const std::string& text) {
  std::string error;
  auto selector = Selector::parseLabels(text, &error);
  EXPECT_TRUE(selector) << error;
  return selector ? *selector : Selector();
}

Selector fields(const std::string& text) {
  std::string error;
  auto selector = Selector::parseFields(text, &error);
  EXPECT_TRUE(selector) << error;
  return selector ? *selector : Selector();
}

TEST(FakeApiServerSelectorTest, AnEmptySelectorMatchesEverything) {
  EXPECT_TRUE(labels("").matches(object("a", json::object())));
  EXPECT_TRUE(fields("").matches(object("a", json::object())));
}

TEST(FakeApiServerSelectorTest, FieldSelectorsCompareDottedPaths) {
  EXPECT_TRUE(fields("metadata.name=aws-auth").matches(object("aws-auth", {})));
  EXPECT_FALSE(fields("metadata.name=aws-auth").matches(object("other", {})));
  EXPECT_TRUE(fields("metadata.name!=aws-auth,metadata.namespace==kube-system").matches(object("other", {})));
  EXPECT_TRUE(fields("involvedObject.name=aws-auth-refresher").matches(object("e", {})));
  EXPECT_TRUE(fields("spec.missing=").matches(object("e", {})));
}

TEST(FakeApiServerSelectorTest, LabelSelectorsSupportEqualitySetsAndExistence) {
  json app = object("a", {{"app", "iam"}, {"tier", "ops"}});
  EXPECT_TRUE(labels("app=iam").matches(app));
  EXPECT_TRUE(labels("app==iam,tier!=dev").matches(app));
  EXPECT_TRUE(labels("tier in (ops, dev)").matches(app));
  EXPECT_FALSE(labels("tier notin (ops)").matches(app));
  EXPECT_TRUE(labels("app").matches(app));
  EXPECT_FALSE(labels("!app").matches(app));
  EXPECT_TRUE(labels("!missing,app in (iam)").matches(app));
  EXPECT_FALSE(labels("missing=x").matches(app));
  EXPECT_TRUE(labels("missing!=x").matches(app));
}

TEST(FakeApiServerSelectorTest, MalformedSelectorsAreRefusedWithAMessage) {
  std::string error;
  EXPECT_FALSE(Selector::parseFields("metadata.name", &error));
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_FALSE(Selector::parseLabels("tier in (ops", &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(Selector::parseLabels("a,,b", &error));
}

}  // namespace
}  // namespace aar::testing::kube
