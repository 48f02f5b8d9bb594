#include <gtest/gtest.h>

#include "kube/config_maps.hpp"

namespace aar::kube {
namespace {

nlohmann::json awsAuth() {
  return nlohmann::json::parse(R"({
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "aws-auth", "namespace": "kube-system", "uid": "u-1", "resourceVersion": "42",
                 "labels": {"app": "eks"},
                 "annotations": {"theirs": "keep", "aws-auth-refresher/managed": "v1:"},
                 "ownerReferences": [{"apiVersion": "v1", "kind": "Thing", "name": "o", "uid": "o-1"}],
                 "managedFields": [{"manager": "eksctl", "operation": "Update"}]},
    "data": {"mapRoles": "- rolearn: x\n", "mapUsers": "[]\n"},
    "binaryData": {"blob": "AAE="},
    "immutable": false
  })");
}

TEST(ConfigMapTest, ExposesATypedViewOfTheObject) {
  auto cm = ConfigMap::fromJson(awsAuth());
  ASSERT_TRUE(cm.ok()) << cm.error().message;
  EXPECT_EQ(cm->name(), "aws-auth");
  EXPECT_EQ(cm->namespaceName(), "kube-system");
  EXPECT_EQ(cm->uid(), "u-1");
  EXPECT_EQ(cm->resourceVersion(), "42");
  EXPECT_EQ(cm->data().at("mapRoles"), "- rolearn: x\n");
  EXPECT_EQ(cm->annotations().at("theirs"), "keep");
  EXPECT_EQ(cm->dataValue("mapUsers").value_or("?"), "[]\n");
  EXPECT_FALSE(cm->dataValue("absent").has_value());
}

TEST(ConfigMapTest, ChangingContentKeepsEveryOtherField) {
  auto cm = ConfigMap::fromJson(awsAuth());
  ASSERT_TRUE(cm.ok());
  core::ConfigMapContent content = cm->content();
  content.data["mapUsers"] = "- userarn: a\n";
  content.annotations["aws-auth-refresher/managed"] = "v1:abc";
  cm->setContent(content);
  nlohmann::json expected = awsAuth();
  expected["data"]["mapUsers"] = "- userarn: a\n";
  expected["metadata"]["annotations"]["aws-auth-refresher/managed"] = "v1:abc";
  EXPECT_EQ(cm->object(), expected);
}

TEST(ConfigMapTest, SettingContentRemovesDroppedKeysAndAddsNoEmptyMaps) {
  ConfigMap fresh("kube-system", "aws-auth");
  fresh.setContent({{{"mapUsers", "[]"}}, {}});
  EXPECT_FALSE(fresh.object()["metadata"].contains("annotations"));
  EXPECT_EQ(fresh.object()["data"]["mapUsers"], "[]");
  auto cm = ConfigMap::fromJson(awsAuth());
  ASSERT_TRUE(cm.ok());
  cm->setContent({{{"mapRoles", "- rolearn: x\n"}}, {{"theirs", "keep"}}});
  EXPECT_FALSE(cm->object()["data"].contains("mapUsers"));
  EXPECT_FALSE(cm->object()["metadata"]["annotations"].contains("aws-auth-refresher/managed"));
  EXPECT_EQ(cm->object()["binaryData"]["blob"], "AAE=");
}

TEST(ConfigMapTest, RefusesObjectsItCannotRead) {
  EXPECT_FALSE(ConfigMap::fromJson(nlohmann::json::array()).ok());
  EXPECT_FALSE(ConfigMap::fromJson({{"metadata", {{"namespace", "x"}}}}).ok());
  auto bad_data = awsAuth();
  bad_data["data"]["mapUsers"] = 5;
  EXPECT_EQ(ConfigMap::fromJson(bad_data).error().kind, ErrorKind::kParse);
  auto bad_annotations = awsAuth();
  bad_annotations["metadata"]["annotations"] = "x";
  EXPECT_FALSE(ConfigMap::fromJson(bad_annotations).ok());
}

TEST(ConfigMapTest, PathsAreEncoded) {
  EXPECT_EQ(configMapPath("kube-system", "aws-auth"), "/api/v1/namespaces/kube-system/configmaps/aws-auth");
  EXPECT_EQ(configMapPath("kube-system"), "/api/v1/namespaces/kube-system/configmaps");
}

}  // namespace
}  // namespace aar::kube
