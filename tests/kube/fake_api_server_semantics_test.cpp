// The fake API server's Kubernetes semantics, over real HTTPS with the project's HttpClient: authentication,
// resourceVersion and optimistic concurrency, size limits, patch, list/watch (order, resume, bookmarks, 410,
// timeoutSeconds), fault injection, the request log, and stop/start on the same port.
#include <thread>

#include "kube/fake_api_server_test_support.hpp"

namespace aar::testing::kube {
namespace {

using nlohmann::json;

class FakeApiServerSemanticsTest : public FakeApiServerFixture {};

const char kCmPath[] = "/api/v1/namespaces/kube-system/configmaps";

TEST_F(FakeApiServerSemanticsTest, RejectsARequestWithoutTokenWithAnUnauthorizedStatus) {
  auto response = call("GET", std::string(kCmPath) + "/aws-auth", "", "", "");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(parse(response),
            json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
      "message":"Unauthorized","reason":"Unauthorized","code":401})"));
  EXPECT_EQ(call("GET", "/api/v1", "", "", "wrong-token").status, 401);
  EXPECT_EQ(call("GET", "/version", "", "", "").status, 401);
}

TEST_F(FakeApiServerSemanticsTest, AcceptsTokensChangedAtRunTime) {
  server_->setTokens({"rotated"});
  EXPECT_EQ(call("GET", "/api/v1", "", "", "test-token").status, 401);
  EXPECT_EQ(call("GET", "/api/v1", "", "", "rotated").status, 200);
}

TEST_F(FakeApiServerSemanticsTest, AuthenticatesAClientCertificateSignedByItsCaButNotAnother) {
  server_->putConfigMap(configMap("kube-system", "aws-auth", {{"mapUsers", "[]"}}));
  net::HttpClientOptions options;
  options.ca_pem = server_->caPem();
  options.client_cert_pem = server_->pki().client.cert;
  options.client_key_pem = server_->pki().client.key;
  net::HttpClient with_cert(options);
  auto ok = with_cert.perform({"GET", url(std::string(kCmPath) + "/aws-auth"), {}, "", std::nullopt});
  ASSERT_TRUE(ok.ok()) << ok.error().toString();
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(server_->requests().back().user, "test-admin");

  options.client_cert_pem = server_->pki().other_ca.cert;
  options.client_key_pem = server_->pki().other_ca.key;
  net::HttpClient foreign(options);
  auto refused = foreign.perform({"GET", url(std::string(kCmPath) + "/aws-auth"), {}, "", std::nullopt});
  ASSERT_TRUE(refused.ok()) << refused.error().toString();
  EXPECT_EQ(refused->status, 401);
}

TEST_F(FakeApiServerSemanticsTest, CreateStampsUidTimestampAndResourceVersionAndKeepsEverythingElse) {
  json body = configMap("kube-system", "aws-auth", {{"mapUsers", "- userarn: x\n"}});
  body["metadata"]["labels"] = {{"app", "demo"}};
  body["metadata"]["annotations"] = {{"note", "kept"}};
  body["binaryData"] = {{"blob", "AAEC"}};
  body["immutable"] = false;
  auto response = call("POST", kCmPath, body.dump());
  ASSERT_EQ(response.status, 201) << response.body;
  json stored = parse(response);
  EXPECT_FALSE(stored["metadata"]["uid"].get<std::string>().empty());
  EXPECT_FALSE(stored["metadata"]["creationTimestamp"].get<std::string>().empty());
  EXPECT_EQ(stored["metadata"]["resourceVersion"], std::to_string(server_->resourceVersion()));
  EXPECT_EQ(stored["metadata"]["labels"], body["metadata"]["labels"]);
  EXPECT_EQ(stored["metadata"]["annotations"], body["metadata"]["annotations"]);
  EXPECT_EQ(stored["binaryData"], body["binaryData"]);
  EXPECT_EQ(stored["immutable"], false);
  EXPECT_EQ(stored["data"], body["data"]);
  EXPECT_EQ(*server_->getConfigMap("kube-system", "aws-auth"), stored);
}

TEST_F(FakeApiServerSemanticsTest, CreatingAnExistingNameIsAlreadyExists) {
  create("kube-system", "aws-auth", {{"a", "1"}});
  auto response = call("POST", kCmPath, configMap("kube-system", "aws-auth", {{"a", "2"}}).dump());
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(parse(response)["reason"], "AlreadyExists");
  EXPECT_EQ(parse(response)["message"], "configmaps \"aws-auth\" already exists");
}

TEST_F(FakeApiServerSemanticsTest, GetOfAMissingObjectIsNotFoundWithDetails) {
  auto response = call("GET", std::string(kCmPath) + "/nope");
  EXPECT_EQ(response.status, 404);
  json status = parse(response);
  EXPECT_EQ(status["reason"], "NotFound");
  EXPECT_EQ(status["details"], json({{"name", "nope"}, {"kind", "configmaps"}}));
}

TEST_F(FakeApiServerSemanticsTest, UpdateWithAStaleResourceVersionIsAConflict) {
  json first = create("kube-system", "aws-auth", {{"a", "1"}});
  json second = first;
  second["data"]["a"] = "2";
  auto updated = call("PUT", std::string(kCmPath) + "/aws-auth", second.dump());
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_GT(std::stoull(parse(updated)["metadata"]["resourceVersion"].get<std::string>()),
            std::stoull(first["metadata"]["resourceVersion"].get<std::string>()));

  json stale = first;
  stale["data"]["a"] = "3";
  auto conflict = call("PUT", std::string(kCmPath) + "/aws-auth", stale.dump());
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(parse(conflict)["reason"], "Conflict");
  EXPECT_EQ(
      parse(conflict)["message"],
      "Operation cannot be fulfilled on configmaps \"aws-auth\": the object has been modified; please apply "
      "your changes to the latest version and try again");
  EXPECT_EQ((*server_->getConfigMap("kube-system", "aws-auth"))["data"]["a"], "2");
}

TEST_F(FakeApiServerSemanticsTest, UpdateWithoutResourceVersionIsUnconditionalForConfigMapsButNotLeases) {
  create("kube-system", "aws-auth", {{"a", "1"}});
  auto response = call("PUT", std::string(kCmPath) + "/aws-auth",
                       configMap("kube-system", "aws-auth", {{"a", "9"}}).dump());
  EXPECT_EQ(response.status, 200) << response.body;

  json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                {"kind", "Lease"},
                {"metadata", {{"name", "leader"}}},
                {"spec", {{"holderIdentity", "a"}}}};
  const std::string leases = "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases";
  ASSERT_EQ(call("POST", leases, lease.dump()).status, 201);
  lease["spec"]["holderIdentity"] = "b";
  auto unconditional = call("PUT", leases + "/leader", lease.dump());
  EXPECT_EQ(unconditional.status, 422);
  EXPECT_EQ(parse(unconditional)["details"]["causes"][0]["field"], "metadata.resourceVersion");
}

TEST_F(FakeApiServerSemanticsTest, UpdateToAMissingConfigMapIsNotFound) {
  auto response = call("PUT", std::string(kCmPath) + "/ghost", configMap("kube-system", "ghost", {}).dump());
  EXPECT_EQ(response.status, 404);
}

TEST_F(FakeApiServerSemanticsTest, AnUpdateThatChangesNothingKeepsTheResourceVersion) {
  json stored = create("kube-system", "aws-auth", {{"a", "1"}});
  uint64_t before = server_->resourceVersion();
  auto response = call("PUT", std::string(kCmPath) + "/aws-auth", stored.dump());
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(parse(response)["metadata"]["resourceVersion"], stored["metadata"]["resourceVersion"]);
  EXPECT_EQ(server_->resourceVersion(), before);
}

TEST_F(FakeApiServerSemanticsTest, ResourceVersionIsOneCounterAcrossResourceTypes) {
  json cm = create("default", "one", {});
  json lease = {{"metadata", {{"name", "l"}}}, {"spec", json::object()}};
  auto created = call("POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases", lease.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(std::stoull(parse(created)["metadata"]["resourceVersion"].get<std::string>()),
            std::stoull(cm["metadata"]["resourceVersion"].get<std::string>()) + 1);
}

TEST_F(FakeApiServerSemanticsTest, AConfigMapOfExactlyOneMebibyteFitsAndOneByteMoreIsInvalid) {
  const size_t kLimit = 1024 * 1024;
  auto fits = call("POST", kCmPath,
                   configMap("kube-system", "big", {{"a", std::string(kLimit - 1, 'x')}, {"b", "y"}}).dump());
  EXPECT_EQ(fits.status, 201);
  auto too_big =
      call("POST", kCmPath,
           configMap("kube-system", "bigger", {{"a", std::string(kLimit, 'x')}, {"b", "y"}}).dump());
  ASSERT_EQ(too_big.status, 422);
  json status = parse(too_big);
  EXPECT_EQ(status["reason"], "Invalid");
  EXPECT_EQ(status["message"],
            "ConfigMap \"bigger\" is invalid: []: Too long: must have at most 1048576 bytes");
  EXPECT_EQ(status["details"]["causes"][0]["reason"], "FieldValueTooLong");
  EXPECT_FALSE(server_->getConfigMap("kube-system", "bigger"));
}

TEST_F(FakeApiServerSemanticsTest, BinaryDataCountsItsDecodedBytesTowardsTheLimit) {
  // 4 base64 characters decode to 3 bytes: 1 MiB - 1 data bytes + "AAA=" (2 bytes) is one byte too many.
  json body = configMap("kube-system", "mixed", {{"a", std::string(1024 * 1024 - 1, 'x')}});
  body["binaryData"] = {{"b", "AAA="}};
  EXPECT_EQ(call("POST", kCmPath, body.dump()).status, 422);
  body["binaryData"] = {{"b", "AA=="}};  // 1 byte: exactly the limit
  EXPECT_EQ(call("POST", kCmPath, body.dump()).status, 201);
}

TEST_F(FakeApiServerSemanticsTest, AnnotationsOver256KibAreInvalid) {
  json body = configMap("kube-system", "annotated", {});
  body["metadata"]["annotations"] = {{"big", std::string(256 * 1024, 'x')}};
  auto response = call("POST", kCmPath, body.dump());
  ASSERT_EQ(response.status, 422);
  EXPECT_EQ(parse(response)["details"]["causes"][0]["field"], "metadata.annotations");
}

TEST_F(FakeApiServerSemanticsTest, AnImmutableConfigMapRefusesDataChanges) {
  json body = configMap("kube-system", "frozen", {{"a", "1"}});
  body["immutable"] = true;
  json stored = parse(call("POST", kCmPath, body.dump()));
  stored["data"]["a"] = "2";
  EXPECT_EQ(call("PUT", std::string(kCmPath) + "/frozen", stored.dump()).status, 422);
}

TEST_F(FakeApiServerSemanticsTest, MergeAndStrategicMergePatchesChangeOnlyTheNamedKeys) {
  create("kube-system", "aws-auth", {{"a", "1"}, {"b", "2"}});
  auto merge = call("PATCH", std::string(kCmPath) + "/aws-auth", R"({"data":{"a":"10","b":null}})",
                    "application/merge-patch+json");
  ASSERT_EQ(merge.status, 200) << merge.body;
  EXPECT_EQ(parse(merge)["data"], json({{"a", "10"}}));
  auto strategic = call("PATCH", std::string(kCmPath) + "/aws-auth", R"({"data":{"c":"3"}})",
                        "application/strategic-merge-patch+json");
  EXPECT_EQ(parse(strategic)["data"], json({{"a", "10"}, {"c", "3"}}));
  auto json_patch = call("PATCH", std::string(kCmPath) + "/aws-auth", R"([{"op":"remove","path":"/data/c"}])",
                         "application/json-patch+json");
  EXPECT_EQ(parse(json_patch)["data"], json({{"a", "10"}}));
}

TEST_F(FakeApiServerSemanticsTest, APatchCarryingAStaleResourceVersionIsAConflict) {
  json stored = create("kube-system", "aws-auth", {{"a", "1"}});
  call("PATCH", std::string(kCmPath) + "/aws-auth", R"({"data":{"a":"2"}})", "application/merge-patch+json");
  json patch = {{"metadata", {{"resourceVersion", stored["metadata"]["resourceVersion"]}}},
                {"data", {{"a", "3"}}}};
  auto response =
      call("PATCH", std::string(kCmPath) + "/aws-auth", patch.dump(), "application/merge-patch+json");
  EXPECT_EQ(response.status, 409);
}

TEST_F(FakeApiServerSemanticsTest, DeleteAnswersSuccessAndTheObjectIsGone) {
  json stored = create("kube-system", "aws-auth", {});
  auto response = call("DELETE", std::string(kCmPath) + "/aws-auth");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(parse(response)["status"], "Success");
  EXPECT_EQ(parse(response)["details"]["uid"], stored["metadata"]["uid"]);
  EXPECT_EQ(call("GET", std::string(kCmPath) + "/aws-auth").status, 404);
  EXPECT_EQ(call("DELETE", std::string(kCmPath) + "/aws-auth").status, 404);
}

TEST_F(FakeApiServerSemanticsTest, ListFiltersByNamespaceFieldSelectorAndLabelSelector) {
  create("kube-system", "aws-auth", {});
  create("kube-system", "aws-auth-refresher", {});
  create("default", "aws-auth", {});
  json labelled = configMap("kube-system", "labelled", {});
  labelled["metadata"]["labels"] = {{"tier", "ops"}};
  call("POST", kCmPath, labelled.dump());

  json in_ns = parse(call("GET", kCmPath));
  EXPECT_EQ(in_ns["kind"], "ConfigMapList");
  EXPECT_EQ(in_ns["items"].size(), 3u);
  EXPECT_EQ(in_ns["metadata"]["resourceVersion"], std::to_string(server_->resourceVersion()));
  json by_name = parse(call("GET", std::string(kCmPath) + "?fieldSelector=metadata.name%3Daws-auth"));
  ASSERT_EQ(by_name["items"].size(), 1u);
  EXPECT_EQ(by_name["items"][0]["metadata"]["namespace"], "kube-system");
  json by_label = parse(call("GET", std::string(kCmPath) + "?labelSelector=tier%20in%20(ops,dev)"));
  ASSERT_EQ(by_label["items"].size(), 1u);
  EXPECT_EQ(by_label["items"][0]["metadata"]["name"], "labelled");
  json everywhere = parse(call("GET", "/api/v1/configmaps?fieldSelector=metadata.name%3Daws-auth"));
  EXPECT_EQ(everywhere["items"].size(), 2u);
}

TEST_F(FakeApiServerSemanticsTest, ListWithAnExactResourceVersionOlderThanTheHistoryIsGone) {
  json stored = create("kube-system", "aws-auth", {});
  server_->compact();
  auto response = call("GET", std::string(kCmPath) + "?resourceVersion=" +
                                  stored["metadata"]["resourceVersion"].get<std::string>() +
                                  "&resourceVersionMatch=Exact");
  EXPECT_EQ(response.status, 410);
  EXPECT_EQ(parse(response)["reason"], "Expired");
}

TEST_F(FakeApiServerSemanticsTest, WatchStreamsEventsInOrderAndResumesFromAResourceVersion) {
  json created = create("kube-system", "aws-auth", {{"a", "1"}});
  std::string start_rv = created["metadata"]["resourceVersion"].get<std::string>();
  json modified = created;
  modified["data"]["a"] = "2";
  json after_modify = parse(call("PUT", std::string(kCmPath) + "/aws-auth", modified.dump()));
  call("DELETE", std::string(kCmPath) + "/aws-auth");

  // From the creation's resourceVersion: everything after it, in order.
  auto resumed = watch(std::string(kCmPath) + "?watch=1&resourceVersion=" + start_rv, 2);
  EXPECT_EQ(resumed.status, 200);
  ASSERT_EQ(resumed.events.size(), 2u);
  EXPECT_EQ(resumed.events[0]["type"], "MODIFIED");
  EXPECT_EQ(resumed.events[0]["object"]["data"]["a"], "2");
  EXPECT_EQ(resumed.events[0]["object"]["kind"], "ConfigMap");
  EXPECT_EQ(resumed.events[1]["type"], "DELETED");
  EXPECT_GT(std::stoull(resumed.events[1]["object"]["metadata"]["resourceVersion"].get<std::string>()),
            std::stoull(after_modify["metadata"]["resourceVersion"].get<std::string>()));

  // Without a resourceVersion: the current state as ADDED events, then live changes.
  create("kube-system", "again", {});
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    create("kube-system", "later", {});
  });
  auto fresh = watch(std::string(kCmPath) + "?watch=true", 2);
  writer.join();
  ASSERT_EQ(fresh.events.size(), 2u);
  EXPECT_EQ(fresh.events[0]["type"], "ADDED");
  EXPECT_EQ(fresh.events[0]["object"]["metadata"]["name"], "again");
  EXPECT_EQ(fresh.events[1]["type"], "ADDED");
  EXPECT_EQ(fresh.events[1]["object"]["metadata"]["name"], "later");
}

TEST_F(FakeApiServerSemanticsTest, AWatchWithAFieldSelectorSeesOnlyThatObject) {
  json base = create("kube-system", "aws-auth", {});
  create("kube-system", "other", {});
  json changed = base;
  changed["data"] = {{"x", "y"}};
  call("PUT", std::string(kCmPath) + "/aws-auth", changed.dump());
  auto result =
      watch(std::string(kCmPath) + "?watch=1&fieldSelector=metadata.name%3Daws-auth&resourceVersion=" +
                base["metadata"]["resourceVersion"].get<std::string>(),
            1);
  ASSERT_EQ(result.events.size(), 1u);
  EXPECT_EQ(result.events[0]["type"], "MODIFIED");
  EXPECT_EQ(result.events[0]["object"]["metadata"]["name"], "aws-auth");
}

TEST_F(FakeApiServerSemanticsTest, AnObjectLeavingALabelSelectorIsDeletedForThatWatcher) {
  json labelled = configMap("kube-system", "tagged", {});
  labelled["metadata"]["labels"] = {{"app", "a"}};
  json stored = parse(call("POST", kCmPath, labelled.dump()));
  stored["metadata"]["labels"] = {{"app", "b"}};
  call("PUT", std::string(kCmPath) + "/tagged", stored.dump());
  auto result = watch(std::string(kCmPath) + "?watch=1&labelSelector=app%3Da&resourceVersion=" +
                          std::to_string(server_->resourceVersion() - 2),
                      2);
  ASSERT_EQ(result.events.size(), 2u);
  EXPECT_EQ(result.events[0]["type"], "ADDED");
  EXPECT_EQ(result.events[1]["type"], "DELETED");
}

TEST_F(FakeApiServerSemanticsTest, AWatchFromATooOldResourceVersionGetsAnErrorEventWith410) {
  json stored = create("kube-system", "aws-auth", {});
  server_->compact();
  auto result = watch(std::string(kCmPath) + "?watch=1&resourceVersion=" +
                          stored["metadata"]["resourceVersion"].get<std::string>(),
                      5);
  EXPECT_EQ(result.status, 200);
  EXPECT_TRUE(result.ended_by_server);
  EXPECT_FALSE(result.transport_error);
  ASSERT_EQ(result.events.size(), 1u);
  EXPECT_EQ(result.events[0]["type"], "ERROR");
  EXPECT_EQ(result.events[0]["object"]["code"], 410);
  EXPECT_EQ(result.events[0]["object"]["reason"], "Expired");
}

TEST_F(FakeApiServerSemanticsTest, HistoryBeyondItsLimitMakesOldResourceVersionsTooOld) {
  FakeApiServerOptions options;
  options.history_limit = 2;
  FakeApiServer small(options);
  small.start();
  json first = small.putConfigMap(configMap("ns", "a", {{"v", "1"}}));
  small.putConfigMap(configMap("ns", "a", {{"v", "2"}}));
  small.putConfigMap(configMap("ns", "a", {{"v", "3"}}));
  small.putConfigMap(configMap("ns", "a", {{"v", "4"}}));
  const auto& type = *findResourceType("", "v1", "configmaps");
  EXPECT_GT(small.store().oldestWatchableResourceVersion(type),
            std::stoull(first["metadata"]["resourceVersion"].get<std::string>()));
  uint64_t cursor = 0;
  std::vector<WatchEvent> initial;
  EXPECT_EQ(small.store()
                .startWatch(type, WatchFilter{}, first["metadata"]["resourceVersion"].get<std::string>(),
                            &cursor, &initial)
                .code,
            410);
  EXPECT_EQ(
      small.store()
          .startWatch(type, WatchFilter{}, std::to_string(small.resourceVersion() - 1), &cursor, &initial)
          .code,
      200);
}

TEST_F(FakeApiServerSemanticsTest, BookmarksCarryOnlyTheResourceVersionAndOnlyWhenAskedFor) {
  create("kube-system", "aws-auth", {});
  std::string rv = std::to_string(server_->resourceVersion());
  auto with = watch(std::string(kCmPath) + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + rv, 2);
  ASSERT_EQ(with.events.size(), 2u);
  for (const json& event : with.events) {
    EXPECT_EQ(event["type"], "BOOKMARK");
    EXPECT_EQ(event["object"],
              json({{"kind", "ConfigMap"}, {"apiVersion", "v1"}, {"metadata", {{"resourceVersion", rv}}}}));
  }
  auto without = watch(std::string(kCmPath) + "?watch=1&timeoutSeconds=1&resourceVersion=" + rv, 1);
  EXPECT_TRUE(without.events.empty());
}

TEST_F(FakeApiServerSemanticsTest, AWatchStaysUncompressedAndLiveWhenTheClientAcceptsGzip) {
  // kubectl's Go transport always sends Accept-Encoding: gzip; a compressed stream would hold events back.
  std::thread writer([&] {
    for (int i = 0; i < 200 && server_->openWatches() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    create("kube-system", "live", {});
  });
  std::string body;
  net::HttpRequest request;
  request.url = url(std::string(kCmPath) + "?watch=1&timeoutSeconds=3");
  request.headers = {{"Authorization", "Bearer test-token"}, {"Accept-Encoding", "gzip, br"}};
  auto response = client_->stream(
      request,
      [&](std::string_view chunk) {
        body.append(chunk);
        return body.find('\n') == std::string::npos;
      },
      std::chrono::seconds(5));
  writer.join();
  ASSERT_TRUE(response.ok()) << response.error().toString();
  EXPECT_FALSE(response->header("content-encoding").has_value());
  json event = json::parse(body.substr(0, body.find('\n')), nullptr, false);
  EXPECT_EQ(event["type"], "ADDED");
  EXPECT_EQ(event["object"]["metadata"]["name"], "live");
}

TEST_F(FakeApiServerSemanticsTest, TimeoutSecondsEndsTheWatchCleanly) {
  auto start = std::chrono::steady_clock::now();
  auto result = watch(std::string(kCmPath) + "?watch=1&timeoutSeconds=1", 1, std::chrono::seconds(5));
  EXPECT_TRUE(result.ended_by_server);
  EXPECT_FALSE(result.transport_error);
  EXPECT_EQ(result.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  // The server's handler thread unregisters the watch just after the client saw the stream end: poll.
  for (int i = 0; i < 200 && server_->openWatches() != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_->openWatches(), 0u);
}

TEST_F(FakeApiServerSemanticsTest, DropWatchesBreaksEveryOpenStream) {
  std::thread dropper([&] {
    for (int i = 0; i < 200 && server_->openWatches() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    server_->dropWatches();
  });
  auto result = watch(std::string(kCmPath) + "?watch=1", 1, std::chrono::seconds(5));
  dropper.join();
  EXPECT_TRUE(result.ended_by_server);
  EXPECT_TRUE(result.transport_error);
  EXPECT_TRUE(result.events.empty());
}

TEST_F(FakeApiServerSemanticsTest, AWatchWhoseClientWentAwayIsClosedWithoutAnEventToWrite) {
  create("kube-system", "aws-auth", {});
  auto result = watch(std::string(kCmPath) + "?watch=1", 1);  // we stop reading after the initial ADDED
  ASSERT_EQ(result.events.size(), 1u);
  bool closed = false;
  for (int i = 0; i < 300 && !closed; ++i) {
    closed = server_->openWatches() == 0;
    if (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(closed) << "the server still holds a thread for a watch nobody reads";
}

TEST_F(FakeApiServerSemanticsTest, InjectedFaultsFailTheNextMatchingRequestsThenStop) {
  json stored = create("kube-system", "aws-auth", {});
  server_->failNext(FaultSpec{"update", "configmaps", "", 409, 2});
  EXPECT_EQ(call("PUT", std::string(kCmPath) + "/aws-auth", stored.dump()).status, 409);
  EXPECT_EQ(call("GET", std::string(kCmPath) + "/aws-auth").status, 200);  // other verbs unaffected
  EXPECT_EQ(call("PUT", std::string(kCmPath) + "/aws-auth", stored.dump()).status, 409);
  EXPECT_EQ(call("PUT", std::string(kCmPath) + "/aws-auth", stored.dump()).status, 200);

  server_->failNext(FaultSpec{"get", "*", "aws-auth", 429, 1, 7});
  auto throttled = call("GET", std::string(kCmPath) + "/aws-auth");
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.header("retry-after"), "7");
  EXPECT_EQ(parse(throttled)["details"]["retryAfterSeconds"], 7);

  server_->failNext(FaultSpec{"*", "*", "", 500, -1});
  EXPECT_EQ(call("GET", std::string(kCmPath) + "/aws-auth").status, 500);
  EXPECT_EQ(parse(call("GET", kCmPath))["reason"], "InternalError");
  server_->clearFaults();
  EXPECT_EQ(call("GET", std::string(kCmPath) + "/aws-auth").status, 200);
}

TEST_F(FakeApiServerSemanticsTest, TheRequestLogRecordsVerbPathQueryStatusAndUserAgent) {
  server_->clearRequests();
  create("kube-system", "aws-auth", {});
  call("GET", std::string(kCmPath) + "/aws-auth?pretty=false");
  call("GET", std::string(kCmPath) + "/missing");
  std::vector<RequestRecord> log = server_->requests();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].verb, "create");
  EXPECT_EQ(log[0].status, 201);
  EXPECT_EQ(log[1].method, "GET");
  EXPECT_EQ(log[1].verb, "get");
  EXPECT_EQ(log[1].path, "/api/v1/namespaces/kube-system/configmaps/aws-auth");
  EXPECT_EQ(log[1].query, "pretty=false");
  EXPECT_EQ(log[1].name, "aws-auth");
  EXPECT_EQ(log[1].namespace_name, "kube-system");
  EXPECT_EQ(log[1].user_agent, "fake-api-server-test/1.0");
  EXPECT_EQ(log[2].status, 404);
  EXPECT_EQ(server_->countRequests("get", "configmaps"), 2u);
  EXPECT_EQ(server_->countRequests("update"), 0u);
}

TEST_F(FakeApiServerSemanticsTest, StopMakesItUnreachableAndStartBringsItBackOnTheSamePortWithItsObjects) {
  create("kube-system", "aws-auth", {{"a", "1"}});
  int port = server_->port();
  server_->stop();
  net::HttpRequest request{"GET",
                           url(std::string(kCmPath) + "/aws-auth"),
                           {{"Authorization", "Bearer test-token"}},
                           "",
                           std::chrono::milliseconds(2000)};
  auto unreachable = client_->perform(request);
  ASSERT_FALSE(unreachable.ok());
  EXPECT_EQ(unreachable.error().kind, ErrorKind::kNetwork);
  server_->start();
  EXPECT_EQ(server_->port(), port);
  auto back = call("GET", std::string(kCmPath) + "/aws-auth");
  EXPECT_EQ(back.status, 200);
  EXPECT_EQ(parse(back)["data"]["a"], "1");
}

TEST_F(FakeApiServerSemanticsTest, ServesDiscoveryForTheGroupsItImplements) {
  json core = parse(call("GET", "/api/v1"));
  EXPECT_EQ(core["groupVersion"], "v1");
  std::vector<std::string> names;
  for (const json& r : core["resources"]) names.push_back(r["name"]);
  EXPECT_THAT(names, ::testing::IsSupersetOf({"configmaps", "events"}));
  json groups = parse(call("GET", "/apis"));
  std::vector<std::string> group_names;
  for (const json& g : groups["groups"]) group_names.push_back(g["name"]);
  EXPECT_THAT(group_names, ::testing::UnorderedElementsAre("coordination.k8s.io", "events.k8s.io"));
  EXPECT_EQ(parse(call("GET", "/apis/coordination.k8s.io/v1"))["resources"][0]["name"], "leases");
  EXPECT_EQ(parse(call("GET", "/version"))["major"], "1");
}

TEST_F(FakeApiServerSemanticsTest, EventsCanBeCreatedPatchedAndListedInBothGroups) {
  json core_event = {{"metadata", {{"name", "cm.1"}}},
                     {"involvedObject", {{"kind", "ConfigMap"}, {"name", "aws-auth-refresher"}}},
                     {"reason", "Applied"},
                     {"count", 1}};
  ASSERT_EQ(call("POST", "/api/v1/namespaces/kube-system/events", core_event.dump()).status, 201);
  auto patched = call("PATCH", "/api/v1/namespaces/kube-system/events/cm.1", R"({"count":2})",
                      "application/strategic-merge-patch+json");
  EXPECT_EQ(parse(patched)["count"], 2);
  json listed = parse(call(
      "GET", "/api/v1/namespaces/kube-system/events?fieldSelector=involvedObject.name%3Daws-auth-refresher"));
  EXPECT_EQ(listed["items"].size(), 1u);

  json new_event = {{"metadata", {{"name", "cm.2"}}},
                    {"regarding", {{"kind", "ConfigMap"}, {"name", "aws-auth-refresher"}}},
                    {"reason", "Applied"},
                    {"action", "Update"},
                    {"eventTime", "2026-01-01T00:00:00.000000Z"},
                    {"reportingController", "aws-auth-refresher"},
                    {"reportingInstance", "pod-1"}};
  const std::string path = "/apis/events.k8s.io/v1/namespaces/kube-system/events";
  auto created = call("POST", path, new_event.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(parse(created)["apiVersion"], "events.k8s.io/v1");
  json stored = parse(created);
  stored["series"] = {{"count", 2}, {"lastObservedTime", "2026-01-01T00:01:00.000000Z"}};
  EXPECT_EQ(call("PUT", path + "/cm.2", stored.dump()).status, 200);
  EXPECT_EQ(parse(call("GET", path))["items"][0]["series"]["count"], 2);
}

}  // namespace
}  // namespace aar::testing::kube
