// `plan --backend access-entries`: the --access-entries file's shape, the calls printed for it, and the
// real binary's output and exit codes.
#include "app/access_entries_plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace aar::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kView[] = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";

constexpr char kRules[] = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth-refresher
  namespace: kube-system
data:
  mapUsers: |
    - arnRegex: ^arn:aws:iam::111122223333:user/dev-.*$
      username: dev-user
      groups:
      - developers
)";

// alice: ours, right; bob: ours, wrong groups; gone: ours, no IAM user; carol: someone else's; node: EC2.
constexpr char kEntries[] = R"([
  {"accessEntry": {"principalArn": "arn:aws:iam::111122223333:user/dev-alice", "type": "STANDARD",
                   "username": "dev-user", "kubernetesGroups": ["developers"],
                   "tags": {"aws-auth-refresher/owner": "aws-auth-refresher"}, "clusterName": "prod"},
   "associatedAccessPolicies": []},
  {"accessEntry": {"principalArn": "arn:aws:iam::111122223333:user/dev-bob", "type": "STANDARD",
                   "username": "arn:aws:iam::111122223333:user/dev-bob", "kubernetesGroups": ["old"]},
   "tags": {"aws-auth-refresher/owner": "aws-auth-refresher"}},
  {"accessEntry": {"principalArn": "arn:aws:iam::111122223333:user/dev-gone", "type": "STANDARD",
                   "kubernetesGroups": ["developers"],
                   "tags": {"aws-auth-refresher/owner": "aws-auth-refresher"}},
   "associatedAccessPolicies": [{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                                 "accessScope": {"type": "namespace", "namespaces": ["dev", "prod"]}}]},
  {"accessEntry": {"principalArn": "arn:aws:iam::111122223333:user/dev-carol", "type": "STANDARD",
                   "username": "carol"}},
  {"accessEntry": {"principalArn": "arn:aws:iam::111122223333:role/node", "type": "EC2_LINUX",
                   "tags": {"aws-auth-refresher/owner": "aws-auth-refresher"}}}
])";

const std::vector<std::string> kArns = {
    "arn:aws:iam::111122223333:user/dev-alice", "arn:aws:iam::111122223333:user/dev-bob",
    "arn:aws:iam::111122223333:user/dev-carol", "arn:aws:iam::111122223333:user/dev-dan",
    "arn:aws:iam::111122223333:user/ops-eve"};

AccessEntriesPlanInput input() {
  AccessEntriesPlanInput in;
  in.rules_text = kRules;
  in.rules_path = "rules.yaml";
  in.arns = kArns;
  in.entries_text = kEntries;
  in.entries_path = "entries.json";
  return in;
}

TEST(AccessEntriesPlanTest, ReadsTheDocumentedShape) {
  auto entries = parseAccessEntriesFile(kEntries, "entries.json");
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  ASSERT_EQ(entries->size(), 5U);
  EXPECT_EQ((*entries)[0].kubernetes_groups, std::vector<std::string>{"developers"});
  EXPECT_EQ((*entries)[1].tags.at("aws-auth-refresher/owner"), "aws-auth-refresher");  // top-level tags
  ASSERT_EQ((*entries)[2].policies.size(), 1U);
  EXPECT_EQ((*entries)[2].policies[0].policy_arn, kView);
  EXPECT_EQ((*entries)[2].policies[0].scope.type, core::AccessScope::Type::kNamespace);
  EXPECT_EQ((*entries)[2].policies[0].scope.namespaces, (std::vector<std::string>{"dev", "prod"}));
  EXPECT_EQ((*entries)[4].type, "EC2_LINUX");
  EXPECT_TRUE(parseAccessEntriesFile("[]", "e.json")->empty());
}

TEST(AccessEntriesPlanTest, RefusesWhatItCannotReadNamingFileAndItem) {
  for (const char* bad :
       {"{}", "not json", R"([{"principalArn": "x"}])", R"([{"accessEntry": {"type": "STANDARD"}}])",
        R"([{"accessEntry": {"principalArn": "arn:aws:iam::1:user/a"}}])",
        R"([{"accessEntry": {"principalArn": "arn:aws:iam::1:user/a", "type": "STANDARD"},
                               "associatedAccessPolicies": [{"policyArn": "p", "accessScope": {"type": "world"}}]}])",
        R"([{"accessEntry": {"principalArn": "arn:aws:iam::1:user/a", "type": "STANDARD"},
                               "tags": {"k": 1}}])"}) {
    auto r = parseAccessEntriesFile(bad, "e.json");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument) << bad;
    EXPECT_THAT(r.error().message, HasSubstr("e.json")) << bad;
  }
  EXPECT_THAT(
      parseAccessEntriesFile(R"([{"accessEntry": {"principalArn": "arn:aws:iam::1:user/a"}}])", "e.json")
          .error()
          .message,
      HasSubstr("item 0: accessEntry.type is missing"));
}

TEST(AccessEntriesPlanTest, PrintsTheCallsAndLeavesWhatIsNotOursAlone) {
  auto text = planAccessEntriesOffline(input());
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_THAT(*text, HasSubstr("CreateAccessEntry arn:aws:iam::111122223333:user/dev-dan type=STANDARD"));
  EXPECT_THAT(*text, HasSubstr("aws-auth-refresher/owner=aws-auth-refresher"));
  EXPECT_THAT(*text, HasSubstr("UpdateAccessEntry arn:aws:iam::111122223333:user/dev-bob"));
  EXPECT_THAT(*text,
              HasSubstr("DeleteAccessEntry arn:aws:iam::111122223333:user/dev-gone reason=principal-gone"));
  EXPECT_THAT(*text, HasSubstr("# skipped arn:aws:iam::111122223333:user/dev-carol"));
  EXPECT_THAT(*text, Not(HasSubstr("dev-alice")));
  EXPECT_THAT(*text, Not(HasSubstr("role/node")));
  EXPECT_THAT(*text, Not(HasSubstr("ops-eve")));

  auto in = input();
  in.json = true;
  auto json = planAccessEntriesOffline(in);
  ASSERT_TRUE(json.ok());
  auto doc = nlohmann::json::parse(*json);
  EXPECT_EQ(doc["foreignEntries"], 2);
  EXPECT_EQ(doc["operations"].size(), 3U);

  // Another owner: none of these entries is ours, so nothing is deleted or updated.
  in.json = false;
  in.owner_id = "team-b";
  auto other = planAccessEntriesOffline(in);
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(*other, Not(HasSubstr("DeleteAccessEntry")));
  EXPECT_THAT(*other, Not(HasSubstr("UpdateAccessEntry")));
}

TEST(AccessEntriesPlanTest, RefusesRulesThisBackendRejectsAndStrayArns) {
  auto in = input();
  in.rules_text =
      "- arnRegex: ^arn:aws:iam::111122223333:user/dev-.*$\n  username: dev\n  groups: [system:masters]\n";
  auto r = planAccessEntriesOffline(in);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(r.error().message, HasSubstr("system:"));
  EXPECT_THAT(r.error().message, HasSubstr("AmazonEKSClusterAdminPolicy"));

  in = input();
  in.arns.push_back("arn:aws:iam::111122223333:group/admins");
  EXPECT_THAT(planAccessEntriesOffline(in).error().message, HasSubstr("neither an IAM user nor a role"));
}

// The real binary: exit codes and output of `plan --backend access-entries`.
TEST(AccessEntriesPlanTest, TheBinaryPrintsThePlanAndExitsTwoOnBadInput) {
  const std::string bin = std::string(AAR_BINARY_DIR) + "/aws-auth-refresher";
  auto dir = std::filesystem::temp_directory_path() / ("aar-ae-plan-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  std::string arns;
  for (const auto& a : kArns) arns += a + "\n";
  const std::string rules = write("rules.yaml", kRules), entries = write("entries.json", kEntries),
                    arns_file = write("arns.txt", arns), bad = write("bad.json", "{}");
  auto run = [&](const std::string& args, std::string* out) {
    std::string cmd = bin + " plan --backend access-entries --rules " + rules + " --arns " + arns_file + " " +
                      args + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return -1;
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out->append(buf.data(), n);
    int status = ::pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string out;
  EXPECT_EQ(run("--access-entries " + entries, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("CreateAccessEntry arn:aws:iam::111122223333:user/dev-dan"));
  out.clear();
  EXPECT_EQ(run("--access-entries " + entries + " --output json", &out), 0) << out;
  EXPECT_TRUE(nlohmann::json::parse(out, nullptr, false).is_object()) << out;
  out.clear();
  EXPECT_EQ(run("--access-entries " + bad, &out), 2);
  EXPECT_THAT(out, HasSubstr("bad.json"));
  out.clear();
  EXPECT_EQ(run("", &out), 2);
  EXPECT_THAT(out, HasSubstr("--access-entries FILE"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace aar::app
