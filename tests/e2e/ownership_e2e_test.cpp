// Issue 10, problem 5: silent loss of ownership. The real binary manages entries; someone removes the
// ownership annotation through the API server; the binary must say so on aws-auth (Event, metric, log) and
// keep treating those entries as not ours.
#include <httplib.h>

#include <fstream>
#include <string>

#include "e2e/harness.hpp"

namespace aar::e2e {
namespace {

using namespace std::chrono_literals;

constexpr char kRecord[] = "aws-auth-refresher/managed-users";
constexpr char kLostSeries[] = "aws_auth_refresher_ownership_record_lost_total{reason=\"absent\"}";

Entry foo(const std::string& name) { return {userArn(name), "foo", {"system:masters"}}; }

class OwnershipE2eTest : public E2eTest {
 protected:
  // GET /apis/events.k8s.io/v1/namespaces/kube-system/events from the fake API server, over HTTPS.
  nlohmann::json events() const {
    const std::string ca = dir_ + "/ownership-ca.pem";
    std::ofstream(ca) << kube_->caPem();
    httplib::SSLClient client("127.0.0.1", kube_->port());
    client.set_ca_cert_path(ca.c_str());
    client.enable_server_certificate_verification(true);
    client.set_bearer_token_auth("test-token");
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(2, 0);
    auto res = client.Get("/apis/events.k8s.io/v1/namespaces/kube-system/events");
    if (!res || res->status != 200) return nlohmann::json::array();
    return nlohmann::json::parse(res->body)["items"];
  }
  // Warning Events with `reason` about the ConfigMap `name`.
  std::vector<nlohmann::json> warnings(const std::string& reason, const std::string& name) const {
    std::vector<nlohmann::json> out;
    for (const auto& e : events()) {
      if (e.value("type", "") == "Warning" && e.value("reason", "") == reason &&
          e["regarding"].value("name", "") == name && e["regarding"].value("kind", "") == "ConfigMap") {
        out.push_back(e);
      }
    }
    return out;
  }
  void removeRecord() {
    auto cm = awsAuth();
    ASSERT_TRUE(cm.has_value());
    ASSERT_TRUE((*cm)["metadata"]["annotations"].contains(kRecord));
    (*cm)["metadata"]["annotations"].erase(kRecord);
    (*cm)["metadata"].erase("resourceVersion");
    kube_->putConfigMap(*cm);
  }
  std::string record() const {
    auto cm = awsAuth();
    if (!cm || !(*cm)["metadata"].contains("annotations")) return "";
    return (*cm)["metadata"]["annotations"].value(kRecord, "");
  }
  std::string metrics(int port) const { return httpGet(port, "/metrics").second; }
};

TEST_F(OwnershipE2eTest, ARemovedRecordIsReportedOnAwsAuthAndItsEntriesAreNoLongerOurs) {
  putRules(kSeedRules);
  putAwsAuth({});
  iam_->addUser("tmp-foo-a");
  iam_->addUser("tmp-foo-b");
  ChildProcess& c = start({"--refresh-interval", "200ms"});
  ASSERT_TRUE(eventually([&] {
    return mapUsers() == std::vector<Entry>{foo("tmp-foo-a"), foo("tmp-foo-b")};
  })) << c.err();
  ASSERT_FALSE(record().empty());
  const int port = loggedPort(c, "/metrics");
  ASSERT_GT(port, 0) << c.err();
  EXPECT_NE(metrics(port).find(std::string(kLostSeries) + " 0"), std::string::npos);

  removeRecord();
  // A Warning Event about aws-auth (not about the rules ConfigMap), the metric, and a log line.
  ASSERT_TRUE(eventually([&] { return !warnings("OwnershipRecordLost", "aws-auth").empty(); }, 10s))
      << c.err();
  auto event = warnings("OwnershipRecordLost", "aws-auth").front();
  EXPECT_NE(event.value("note", "").find(kRecord), std::string::npos) << event.dump();
  EXPECT_NE(event["regarding"].value("uid", ""), "") << event.dump();
  EXPECT_TRUE(warnings("OwnershipRecordLost", "aws-auth-refresher").empty());
  EXPECT_TRUE(eventually([&] {
    return metrics(port).find(std::string(kLostSeries) + " 1") != std::string::npos;
  })) << metrics(port);
  EXPECT_NE(c.err().find("was removed by someone else"), std::string::npos) << c.err();

  // The entries are hand-written now: deleting their IAM user removes nothing.
  ASSERT_TRUE(iam_->removeUser("tmp-foo-a"));
  const size_t listings = listUsersRequests();
  ASSERT_TRUE(eventually([&] { return listUsersRequests() >= listings + 3; }, 10s)) << c.err();
  EXPECT_EQ(mapUsers(), (std::vector<Entry>{foo("tmp-foo-a"), foo("tmp-foo-b")}));

  // A later user that a rule matches gets an entry that is ours: recorded, placed before the hand-written
  // ones, and removed with its user.
  iam_->addUser("tmp-foo-c");
  ASSERT_TRUE(eventually([&] {
    return mapUsers() == std::vector<Entry>{foo("tmp-foo-c"), foo("tmp-foo-a"), foo("tmp-foo-b")};
  })) << c.err();
  EXPECT_FALSE(record().empty());
  ASSERT_TRUE(iam_->removeUser("tmp-foo-c"));
  ASSERT_TRUE(eventually([&] {
    return mapUsers() == std::vector<Entry>{foo("tmp-foo-a"), foo("tmp-foo-b")};
  })) << c.err();
  // One loss, one report.
  EXPECT_NE(metrics(port).find(std::string(kLostSeries) + " 1"), std::string::npos) << metrics(port);
}

}  // namespace
}  // namespace aar::e2e
