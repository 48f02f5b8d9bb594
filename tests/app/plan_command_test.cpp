// `aws-auth-refresher plan` through the real binary: outputs and exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/aws_auth_codec.hpp"
#include "core/config_map.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace aar::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kBinary = std::string(AAR_BINARY_DIR) + "/aws-auth-refresher";
const std::string kExamples = std::string(AAR_SOURCE_DIR) + "/examples";

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the binary with `args` (this process's environment), capturing stdout and stderr.
ProcessResult run(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kBinary};
  argv.insert(argv.end(), args.begin(), args.end());
  const test::ChildResult r = test::runToExit(argv, std::chrono::seconds(60));
  EXPECT_TRUE(r.exit_code.has_value()) << kBinary << " still ran after 60 s";
  return ProcessResult{r.exit_code.value_or(-1), r.out, r.err};
}

class PlanCommandTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& content) { return tmp_.write(name, content); }

  std::vector<std::string> exampleArgs() const {
    return {"plan",
            "--rules",
            kExamples + "/aws-auth-refresher.yaml",
            "--aws-auth",
            kExamples + "/aws-auth.yaml",
            "--arns",
            kExamples + "/iam-users.txt"};
  }

  test::TempDir tmp_{"aar-plan-test"};
  const std::filesystem::path dir_{tmp_.path()};
};

std::vector<core::UserMapping> mapUsersOf(const std::string& manifest_yaml) {
  auto manifest = core::parseConfigMapManifest(manifest_yaml, "stdout");
  EXPECT_TRUE(manifest.ok()) << (manifest.ok() ? "" : manifest.error().message);
  if (!manifest.ok()) return {};
  auto entries = core::parseMapUsers(manifest->content.data.at("mapUsers"));
  EXPECT_TRUE(entries.ok());
  std::vector<core::UserMapping> out;
  for (const auto& e : *entries) out.push_back(e.mapping);
  return out;
}

core::UserMapping user(std::string arn, std::string name, std::vector<std::string> groups) {
  return core::UserMapping{std::move(arn), std::move(name), std::move(groups), std::nullopt};
}

TEST_F(PlanCommandTest, ShowsTheSeedReadmesFirstResultForTheBundledExample) {
  const ProcessResult r = run(exampleArgs());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(
      mapUsersOf(r.out),
      ::testing::ElementsAre(user("arn:aws:iam::1234567890:user/tmp-foo-one", "foo", {"system:masters"}),
                             user("arn:aws:iam::1234567890:user/admin", "admin", {"system:masters"})));
  auto manifest = core::parseConfigMapManifest(r.out, "stdout");
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->name, "aws-auth");
  EXPECT_EQ(manifest->namespace_name, "kube-system");
  EXPECT_THAT(manifest->content.data.at("mapRoles"), HasSubstr("system:node:{{EC2PrivateDNSName}}"));
  EXPECT_THAT(r.out, HasSubstr("resourceVersion: \"1234\""));
  EXPECT_THAT(r.out, HasSubstr("aws-auth-refresher/managed-users: v2:"));
  EXPECT_THAT(r.err, HasSubstr("added  arn:aws:iam::1234567890:user/tmp-foo-one"));
}

TEST_F(PlanCommandTest, PrintsADiffAndTheChangeList) {
  auto args = exampleArgs();
  args.insert(args.end(), {"--output", "diff"});
  const ProcessResult r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("+- userarn: arn:aws:iam::1234567890:user/tmp-foo-one\n"));
  EXPECT_THAT(r.out, HasSubstr("+  username: foo\n"));
  EXPECT_THAT(r.out, HasSubstr(" - userarn: arn:aws:iam::1234567890:user/admin\n"));
  EXPECT_THAT(r.out, HasSubstr("added  arn:aws:iam::1234567890:user/tmp-foo-one  username=foo "
                               "groups=[system:masters]  (rule 0)"));
}

TEST_F(PlanCommandTest, PrintsJsonWithChangesShadowedSkippedAndDesired) {
  const std::string rules = write("rules.yaml", R"(- arnRegex: tmp-foo-one$
  username: exact
- arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
  username: foo
  groups: [system:masters]
- arnRegex: /admin$
  username: should-not-replace-admin
)");
  const ProcessResult r = run({"plan", "--rules", rules, "--aws-auth", kExamples + "/aws-auth.yaml", "--arns",
                               kExamples + "/iam-users.txt", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["changed"].get<bool>());
  ASSERT_EQ(j["changes"].size(), 1u);
  EXPECT_EQ(j["changes"][0]["kind"], "added");
  EXPECT_EQ(j["changes"][0]["username"], "exact");
  EXPECT_EQ(j["changes"][0]["rule_index"], 0);
  ASSERT_EQ(j["shadowed"].size(), 1u);
  EXPECT_EQ(j["shadowed"][0]["shadowed_rules"], nlohmann::json::array({1}));
  EXPECT_EQ(j["skipped_unmanaged"], nlohmann::json::array({"arn:aws:iam::1234567890:user/admin"}));
  EXPECT_THAT(j["desired"]["data"]["mapUsers"].get<std::string>(), HasSubstr("username: admin"));
}

TEST_F(PlanCommandTest, ReportsNoChangeWhenAwsAuthIsAlreadyRight) {
  const ProcessResult first = run(exampleArgs());
  ASSERT_EQ(first.exit_code, 0);
  const std::string current = write("aws-auth.yaml", first.out);
  const ProcessResult second = run({"plan", "--rules", kExamples + "/aws-auth-refresher.yaml", "--aws-auth",
                                    current, "--arns", kExamples + "/iam-users.txt", "--output", "json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto j = nlohmann::json::parse(second.out);
  EXPECT_FALSE(j["changed"].get<bool>());
  EXPECT_TRUE(j["changes"].empty());
}

TEST_F(PlanCommandTest, AdoptsTheGoToolsEntriesOnlyWhenAsked) {
  // aws-auth as the 2019 tool left it: its entries in our exact shape, no ownership record. tmp-foo-gone's
  // IAM user no longer exists.
  const std::string aws_auth = write("aws-auth.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapUsers: |
    - userarn: arn:aws:iam::1234567890:user/tmp-foo-gone
      username: foo
      groups:
      - system:masters
    - userarn: arn:aws:iam::1234567890:user/tmp-foo-one
      username: foo
      groups:
      - system:masters
)");
  const std::vector<std::string> base = {
      "plan",   "--rules", kExamples + "/aws-auth-refresher.yaml", "--aws-auth",
      aws_auth, "--arns",  kExamples + "/iam-users.txt",           "--output",
      "json"};
  const ProcessResult plain = run(base);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_FALSE(nlohmann::json::parse(plain.out)["changed"].get<bool>());

  auto args = base;
  args.push_back("--adopt-matching-entries");
  const ProcessResult adopt = run(args);
  ASSERT_EQ(adopt.exit_code, 0) << adopt.err;
  const auto j = nlohmann::json::parse(adopt.out);
  EXPECT_EQ(j["adopted"], nlohmann::json::array({"arn:aws:iam::1234567890:user/tmp-foo-gone",
                                                 "arn:aws:iam::1234567890:user/tmp-foo-one"}));
  ASSERT_EQ(j["changes"].size(), 1u);
  EXPECT_EQ(j["changes"][0]["kind"], "removed");
  EXPECT_EQ(j["changes"][0]["arn"], "arn:aws:iam::1234567890:user/tmp-foo-gone");
  EXPECT_EQ(j["managed_count"], 1);
}

TEST_F(PlanCommandTest, AcceptsJustTheMapUsersListAsRules) {
  const std::string rules = write("rules.yaml", "- arnRegex: tmp-foo\n  username: foo\n");
  const ProcessResult r = run({"plan", "--rules", rules, "--aws-auth", kExamples + "/aws-auth.yaml", "--arns",
                               kExamples + "/iam-users.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("- userarn: arn:aws:iam::1234567890:user/tmp-foo-one\n      username: foo\n"));
}

TEST_F(PlanCommandTest, ExitsTwoNamingFileRuleFieldAndLineForABadRule) {
  const std::string rules = write("bad-rules.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth-refresher
data:
  mapUsers: |
    - arnRegex: ^a$
      username: a
    - arnregex: ^b$
      username: b
)");
  const ProcessResult r = run({"plan", "--rules", rules, "--aws-auth", kExamples + "/aws-auth.yaml", "--arns",
                               kExamples + "/iam-users.txt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(rules + ": rule 1, field arnregex, line 9: unknown key \"arnregex\""));
  EXPECT_TRUE(r.out.empty());
}

TEST_F(PlanCommandTest, ExitsTwoForAPatternRe2Rejects) {
  const std::string rules = write("rules.yaml", "- arnRegex: '(?=x)'\n  username: a\n");
  const ProcessResult r = run({"plan", "--rules", rules, "--aws-auth", kExamples + "/aws-auth.yaml", "--arns",
                               kExamples + "/iam-users.txt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("rule 0, field arnRegex, line 1: RE2 rejects"));
}

TEST_F(PlanCommandTest, ExitsTwoForAnAwsAuthItCannotRead) {
  const std::string aws_auth = write("aws-auth.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth, namespace: kube-system}
data:
  mapUsers: |
    - userarn: [broken
)");
  const ProcessResult r = run({"plan", "--rules", kExamples + "/aws-auth-refresher.yaml", "--aws-auth",
                               aws_auth, "--arns", kExamples + "/iam-users.txt"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(aws_auth + ": aws-auth data.mapUsers: mapUsers: YAML syntax error"));
  const std::string not_cm = write("secret.yaml", "apiVersion: v1\nkind: Secret\n");
  const ProcessResult r2 = run({"plan", "--rules", kExamples + "/aws-auth-refresher.yaml", "--aws-auth",
                                not_cm, "--arns", kExamples + "/iam-users.txt"});
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_THAT(r2.err, HasSubstr("kind must be ConfigMap"));
}

TEST_F(PlanCommandTest, ExitsTwoForALineInTheArnsFileThatIsNotAnArn) {
  const std::string arns = write("arns.txt", "# comment\n\narn:aws:iam::1:user/a\nnot an arn\n");
  const ProcessResult r = run({"plan", "--rules", kExamples + "/aws-auth-refresher.yaml", "--aws-auth",
                               kExamples + "/aws-auth.yaml", "--arns", arns});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(arns + ": line 4: not an ARN"));
}

TEST_F(PlanCommandTest, ExitsTwoForMissingFilesFlagsOrABadOutputFormat) {
  const ProcessResult missing = run({"plan", "--rules", (dir_ / "nope.yaml").string(), "--aws-auth",
                                     kExamples + "/aws-auth.yaml", "--arns", kExamples + "/iam-users.txt"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("--rules " + (dir_ / "nope.yaml").string() + ": cannot open file"));
  const ProcessResult no_flag = run({"plan", "--rules", kExamples + "/aws-auth-refresher.yaml"});
  EXPECT_EQ(no_flag.exit_code, 2);
  EXPECT_THAT(no_flag.err, HasSubstr("--aws-auth"));
  auto args = exampleArgs();
  args.insert(args.end(), {"--output", "xml"});
  const ProcessResult bad_output = run(args);
  EXPECT_EQ(bad_output.exit_code, 2);
  EXPECT_THAT(bad_output.err, HasSubstr("xml"));
}

TEST_F(PlanCommandTest, ExitsOneWhenTheResultWouldExceedTheConfigMapLimit) {
  std::string arns;
  for (int i = 0; i < 10000; ++i) {
    arns += "arn:aws:iam::1234567890:user/tmp-foo-a-rather-long-generated-name-" +
            std::to_string(1000000 + i) + "\n";
  }
  const ProcessResult r = run({"plan", "--rules", kExamples + "/aws-auth-refresher.yaml", "--aws-auth",
                               kExamples + "/aws-auth.yaml", "--arns", write("arns.txt", arns)});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("over the 1 MiB"));
  EXPECT_THAT(r.out, Not(HasSubstr("userarn")));
}

// Rules v2 offline: user and role ARNs in one --arns file; role ARNs (with their path) match mapRoles rules
// and are written without their path, next to the untouched node role.
TEST_F(PlanCommandTest, PlansRoleEntriesFromRoleArnsInTheSameFile) {
  const std::string rules = write("rules.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth-refresher
  namespace: kube-system
data:
  mapUsers: |
    - arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
      username: foo
      groups: [system:masters]
  mapRoles: |
    - arnRegex: ^arn:aws:iam::1234567890:role/aws-reserved/sso.amazonaws.com/[^/]+/AWSReservedSSO_Admin_[0-9a-f]{16}$
      username: "sso-admin:{{SessionName}}"
      groups: [system:masters]
    - arnRegex: ^arn:aws:iam::1234567890:role/
      username: any-role
)");
  const std::string arns = write("arns.txt",
                                 "arn:aws:iam::1234567890:user/tmp-foo-one\n"
                                 "arn:aws:iam::1234567890:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
                                 "AWSReservedSSO_Admin_0123456789abcdef\n"
                                 "arn:aws:iam::1234567890:role/aws-service-role/eks.amazonaws.com/"
                                 "AWSServiceRoleForAmazonEKS\n");
  const std::vector<std::string> base = {
      "plan", "--rules", rules, "--aws-auth", kExamples + "/aws-auth.yaml", "--arns", arns};
  auto json_args = base;
  json_args.insert(json_args.end(), {"--output", "json"});
  const ProcessResult r = run(json_args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["changes"].size(), 2u) << r.out;
  const std::string sso = "arn:aws:iam::1234567890:role/AWSReservedSSO_Admin_0123456789abcdef";
  bool saw_role = false, saw_user = false;
  for (const auto& c : j["changes"]) {
    if (c["principal"] == "role") {
      saw_role = true;
      EXPECT_EQ(c["arn"], sso);
      EXPECT_EQ(c["username"], "sso-admin:{{SessionName}}");
      EXPECT_EQ(c["rule_index"], 0);  // the first rule wins, even though rule 1 matches too
    } else {
      saw_user = true;
      EXPECT_EQ(c["principal"], "user");
      EXPECT_EQ(c["arn"], "arn:aws:iam::1234567890:user/tmp-foo-one");
    }
  }
  EXPECT_TRUE(saw_role && saw_user);
  EXPECT_EQ(j["managed_users"], 1);
  EXPECT_EQ(j["managed_roles"], 1);  // the service-linked role never matches
  const std::string map_roles = j["desired"]["data"]["mapRoles"].get<std::string>();
  EXPECT_THAT(map_roles, HasSubstr("rolearn: " + sso + "\n"));
  EXPECT_THAT(map_roles, Not(HasSubstr("aws-reserved")));
  EXPECT_THAT(map_roles, Not(HasSubstr("AWSServiceRoleForAmazonEKS")));
  EXPECT_THAT(map_roles, HasSubstr("rolearn: arn:aws:iam::1234567890:role/eks-node-group\n"));
  EXPECT_THAT(j["desired"]["annotations"]["aws-auth-refresher/managed-roles"].get<std::string>(),
              HasSubstr("v2:"));

  auto diff_args = base;
  diff_args.insert(diff_args.end(), {"--output", "diff"});
  const ProcessResult d = run(diff_args);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_THAT(d.out, HasSubstr("data.mapRoles (planned)\n"));
  EXPECT_THAT(d.out, HasSubstr("+- rolearn: " + sso + "\n"));
  EXPECT_THAT(d.out, HasSubstr(" - rolearn: arn:aws:iam::1234567890:role/eks-node-group\n"));
  EXPECT_THAT(d.out, HasSubstr("added  " + sso +
                               "  username=sso-admin:{{SessionName}} "
                               "groups=[system:masters]  (rule 0 of mapRoles)"));
}

// A users-only plan's diff shows no mapRoles section (as before rules v2).
TEST_F(PlanCommandTest, AUsersOnlyDiffHasNoMapRolesSection) {
  auto args = exampleArgs();
  args.insert(args.end(), {"--output", "diff"});
  const ProcessResult r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("mapRoles")));
}

TEST_F(PlanCommandTest, TakesGroupMembershipFromAGroupMembersFile) {
  const std::string rules = write("rules.yaml", "- iamGroup: eks-admins\n  username: admin-by-group\n");
  const std::string arns = write("arns.txt",
                                 "arn:aws:iam::1234567890:user/alice\n"
                                 "arn:aws:iam::1234567890:user/bob\n");
  const std::string members = write("members.txt",
                                    "# group user-arn\n"
                                    "eks-admins arn:aws:iam::1234567890:user/alice\n"
                                    "others arn:aws:iam::1234567890:user/bob\n");
  const ProcessResult r = run({"plan", "--rules", rules, "--aws-auth", kExamples + "/aws-auth.yaml", "--arns",
                               arns, "--group-members", members, "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["changes"].size(), 1u) << r.out;
  EXPECT_EQ(j["changes"][0]["arn"], "arn:aws:iam::1234567890:user/alice");
  EXPECT_EQ(j["changes"][0]["username"], "admin-by-group");

  // Without the file nobody is in a group.
  const ProcessResult none = run({"plan", "--rules", rules, "--aws-auth", kExamples + "/aws-auth.yaml",
                                  "--arns", arns, "--output", "json"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(nlohmann::json::parse(none.out)["changes"].empty());

  const std::string bad = write("bad.txt", "eks-admins\n");
  const ProcessResult b = run({"plan", "--rules", rules, "--aws-auth", kExamples + "/aws-auth.yaml", "--arns",
                               arns, "--group-members", bad});
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_THAT(b.err, HasSubstr(bad + ": line 1: expected \"<group> <user ARN>\""));
  const ProcessResult missing = run({"plan", "--rules", rules, "--aws-auth", kExamples + "/aws-auth.yaml",
                                     "--arns", arns, "--group-members", (dir_ / "nope.txt").string()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err,
              HasSubstr("--group-members " + (dir_ / "nope.txt").string() + ": cannot open file"));
}

TEST_F(PlanCommandTest, ExpandsAPerUserNameFromACaptureAndReportsOneThatCannotExpand) {
  const std::string rules =
      write("rules.yaml",
            "- arnRegex: ^arn:aws:iam::1234567890:user/vault-(?P<who>[^/]*?)-readonly-\\d+$\n"
            "  username: \"vault:${who}\"\n");
  const std::string arns = write("arns.txt",
                                 "arn:aws:iam::1234567890:user/vault-alice-readonly-17\n"
                                 "arn:aws:iam::1234567890:user/vault--readonly-18\n");
  const ProcessResult r = run({"plan", "--rules", rules, "--aws-auth", kExamples + "/aws-auth.yaml", "--arns",
                               arns, "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["changes"].size(), 1u) << r.out;
  EXPECT_EQ(j["changes"][0]["username"], "vault:alice");
  ASSERT_EQ(j["expansion_failures"].size(), 1u) << r.out;
  EXPECT_EQ(j["expansion_failures"][0]["arn"], "arn:aws:iam::1234567890:user/vault--readonly-18");
}

// `accounts` is validated, but offline no account is contacted: the listed ARNs of every account are taken as
// they are.
TEST_F(PlanCommandTest, ValidatesAccountsButTakesEveryListedArnAsItIs) {
  const std::string manifest = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth-refresher
  namespace: kube-system
data:
  mapUsers: |
    - arnRegex: ^arn:aws:iam::[0-9]+:user/dev-
      username: dev
  accounts: |
    - roleArn: ACCOUNT_ROLE
      externalId: ext-1
)";
  auto with_role = [&](const std::string& role) {
    std::string text = manifest;
    text.replace(text.find("ACCOUNT_ROLE"), 12, role);
    return text;
  };
  const std::string rules = write("rules.yaml", with_role("arn:aws:iam::222233334444:role/reader"));
  const std::string arns = write("arns.txt",
                                 "arn:aws:iam::1234567890:user/dev-a\n"
                                 "arn:aws:iam::222233334444:user/dev-b\n");
  const ProcessResult r = run({"plan", "--rules", rules, "--aws-auth", kExamples + "/aws-auth.yaml", "--arns",
                               arns, "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["changes"].size(), 2u) << r.out;
  EXPECT_EQ(j["changes"][1]["arn"], "arn:aws:iam::222233334444:user/dev-b");

  const std::string bad = write("bad-rules.yaml", with_role("not-an-arn"));
  const ProcessResult b =
      run({"plan", "--rules", bad, "--aws-auth", kExamples + "/aws-auth.yaml", "--arns", arns});
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_THAT(b.err, HasSubstr(bad + ": accounts"));
  EXPECT_TRUE(b.out.empty());
}

}  // namespace
}  // namespace aar::app
