// runDemo(): README command 1 — the seed README's example, live, on a machine with no cluster and no AWS.
//
// The product binary contains no test fakes. The demo spawns the fake servers that the build tree holds
// (fake-kube-apiserver: HTTPS Kubernetes API; fake-aws: IAM with SigV4 checks, plus an admin API to add and
// remove users), seeds the rules ConfigMap and an aws-auth with a node role through the real Kubernetes API,
// starts this very binary as the controller (`run`, in its own process) against both, and walks through the
// README's three steps — only tmp-foo-one; then tmp-bar-one and tmp-bar-two appear; then tmp-foo-one and
// tmp-bar-two are deleted — printing aws-auth after each. Everything listens on 127.0.0.1 only and is stopped
// (by pid) before it returns. Takes a few seconds.
//
// Act 2 (issue #13): the same rules for the access-entries backend (foo's system:masters becomes the
// AmazonEKSClusterAdminPolicy access policy, since EKS refuses system: groups), against a second fake-aws
// (account 123456789012: EKS wants 12-digit account ids) holding a cluster in API_AND_CONFIG_MAP mode with a
// hand-made entry (role/cluster-creator). A second controller (`run --backend access-entries --cluster-name
// demo --allow-cluster-admin-policy`) writes tmp-foo-one, tmp-bar-one and tmp-bar-two as tagged entries
// (Step 4); tmp-bar-two is deleted and its entry removed, the hand-made one left alone (Step 5).
//
// Exit codes: 0 when every step showed the expected aws-auth or access entries; 1 otherwise (what went wrong
// is printed).
#pragma once

#include <chrono>
#include <string>

namespace aar::app {

struct DemoOptions {
  // Where the fake servers' binaries are. Default: found next to this executable in the build tree
  // (tests/fakes/kube/fake-kube-apiserver, tests/fakes/aws/fake-aws), or $AAR_FAKE_KUBE_APISERVER /
  // $AAR_FAKE_AWS.
  std::string fake_kube_apiserver;
  std::string fake_aws;
  std::chrono::milliseconds refresh_interval{250};  // the controller's interval during the demo
  std::chrono::milliseconds step_timeout{15000};    // how long a step may take before the demo fails
  bool verbose = false;  // show the controller's log (info) instead of warnings only
};

int runDemo(const DemoOptions& options);

}  // namespace aar::app
