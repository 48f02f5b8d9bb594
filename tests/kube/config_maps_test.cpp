// ConfigMap reads and writes over HTTPS against the fake API server.
#include "kube/config_maps.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "kube_fake_fixture.hpp"

namespace aar::kube {
namespace {

using aar::testing::kube::FaultSpec;
using ::testing::HasSubstr;

class ConfigMapClientTest : public testing::FakeServerTest {};

nlohmann::json awsAuthWithForeignFields() {
  return nlohmann::json::parse(R"({
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "aws-auth", "namespace": "kube-system",
                 "labels": {"app.kubernetes.io/managed-by": "eksctl"},
                 "annotations": {"theirs": "keep"},
                 "ownerReferences": [{"apiVersion": "v1", "kind": "Namespace", "name": "kube-system", "uid": "ns-1"}]},
    "data": {"mapRoles": "- rolearn: arn:aws:iam::1:role/node\n", "mapUsers": "[]\n"},
    "binaryData": {"blob": "AAE="}
  })");
}

TEST_F(ConfigMapClientTest, UpdateChangesOnlyWhatTheCallerChanged) {
  nlohmann::json stored = server_.putConfigMap(awsAuthWithForeignFields());
  ConfigMapClient cms(*rest_);
  auto cm = cms.get("kube-system", "aws-auth");
  ASSERT_TRUE(cm.ok()) << cm.error().message;
  cm->setDataValue("mapUsers", "- userarn: arn:aws:iam::1:user/a\n");
  cm->setAnnotation("aws-auth-refresher/managed", "v1:x");
  auto updated = cms.update(*cm);
  ASSERT_TRUE(updated.ok()) << updated.error().message;

  nlohmann::json after = *server_.getConfigMap("kube-system", "aws-auth");
  nlohmann::json expected = stored;
  expected["data"]["mapUsers"] = "- userarn: arn:aws:iam::1:user/a\n";
  expected["metadata"]["annotations"]["aws-auth-refresher/managed"] = "v1:x";
  expected["metadata"]["resourceVersion"] = after["metadata"]["resourceVersion"];
  EXPECT_EQ(after, expected);
  EXPECT_NE(after["metadata"]["resourceVersion"], stored["metadata"]["resourceVersion"]);
  EXPECT_EQ(updated->resourceVersion(), after["metadata"]["resourceVersion"]);
}

TEST_F(ConfigMapClientTest, AStaleResourceVersionIsAConflict) {
  server_.putConfigMap(awsAuthWithForeignFields());
  ConfigMapClient cms(*rest_);
  auto cm = cms.get("kube-system", "aws-auth");
  ASSERT_TRUE(cm.ok());
  putConfigMap("kube-system", "aws-auth", {{"mapUsers", "outside\n"}});  // someone else writes
  cm->setDataValue("mapUsers", "ours\n");
  auto r = cms.update(*cm);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kConflict);
  EXPECT_EQ((*server_.getConfigMap("kube-system", "aws-auth"))["data"]["mapUsers"], "outside\n");
}

TEST_F(ConfigMapClientTest, CreateFindAndListByName) {
  ConfigMapClient cms(*rest_);
  auto none = cms.find("kube-system", "aws-auth");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ConfigMap fresh("kube-system", "aws-auth");
  fresh.setDataValue("mapUsers", "[]\n");
  auto created = cms.create(fresh);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_FALSE(created->uid().empty());
  putConfigMap("kube-system", "other", {{"x", "y"}});
  auto list = cms.list("kube-system", "metadata.name=aws-auth");
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].name(), "aws-auth");
  EXPECT_FALSE(list->resource_version.empty());
}

TEST_F(ConfigMapClientTest, RejectsAConfigMapOverTheSizeLimitAsInvalid) {
  ConfigMapClient cms(*rest_);
  ConfigMap big("kube-system", "aws-auth");
  big.setDataValue("mapUsers", std::string(1024 * 1024 + 1, 'x'));
  auto r = cms.create(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
}

}  // namespace
}  // namespace aar::kube
