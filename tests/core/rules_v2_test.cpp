// Rules v2 (issue #12): IAM-group rules, ${...} username expansion and its safety, RuleSet::match(Principal).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/rules.hpp"

namespace aar::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

RuleSet parseOk(const std::string& yaml, RuleSet::Kind kind = RuleSet::Kind::kUsers) {
  RuleSet::ParseOptions o;
  o.kind = kind;
  auto r = RuleSet::parse(yaml, o);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : RuleSet();
}

std::string parseError(const std::string& yaml, RuleSet::Kind kind = RuleSet::Kind::kUsers) {
  RuleSet::ParseOptions o;
  o.kind = kind;
  auto r = RuleSet::parse(yaml, o);
  EXPECT_FALSE(r.ok()) << "parsed unexpectedly: " << yaml;
  if (r.ok()) return {};
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  return r.error().message;
}

Principal user(std::string arn, std::vector<std::string> groups = {}) {
  return Principal{std::move(arn), "AIDAEXAMPLE", std::move(groups)};
}

TEST(RulesV2Test, ExpandsANamedCaptureLikeTheVaultExample) {
  const RuleSet rules = parseOk(
      R"(- arnRegex: ^arn:aws:iam::1234567890:user/vault-(?P<who>[a-z0-9.@-]+?)-readonly-\d+-\w+$
  username: "vault:${who}"
  groups: [viewers]
)");
  const auto m =
      rules.match(user("arn:aws:iam::1234567890:user/vault-alice@example.com-readonly-1700000000-x1"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rule_index, 0u);
  EXPECT_EQ(m->username, "vault:alice@example.com");
  EXPECT_EQ(m->expansion_error, "");
  // The rule's text stays as written.
  EXPECT_EQ(rules.rules()[0].username, "vault:${who}");
}

TEST(RulesV2Test, ExpandsNumberedCapturesAndTheWholeMatch) {
  const RuleSet rules = parseOk(R"(- arnRegex: ^arn:aws:iam::(\d+):user/(\w+)-(\w+)$
  username: "${3}.${2}@${1}"
- arnRegex: user/(x)
  username: "m-${0}"
)");
  auto m = rules.match(user("arn:aws:iam::111122223333:user/ci-deploy"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->username, "deploy.ci@111122223333");
  m = rules.match(user("arn:aws:iam::1:user/x.y"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rule_index, 1u);
  EXPECT_EQ(m->username, "m-user/x");
}

TEST(RulesV2Test, DoubleDollarIsALiteralDollarAndOtherDollarsStayLiteral) {
  const RuleSet rules = parseOk(R"(- arnRegex: user/(?P<n>\w+)$
  username: "$$${n}$$"
- arnRegex: other
  username: "a$b$ $1 $"
- arnRegex: third
  username: "cost$${n}"
)");
  auto m = rules.match(user("arn:aws:iam::1:user/bob"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->username, "$bob$");
  m = rules.match(user("arn:aws:iam::1:user/other-1/x"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->username, "a$b$ $1 $");  // 2019 usernames keep their meaning.
  m = rules.match(user("arn:aws:iam::1:user/third.x"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->username, "cost${n}");  // $$ then a literal {n}: no reference, so no capture needed.
}

TEST(RulesV2Test, RefusesAReferenceToAGroupThePatternDoesNotHave) {
  std::string m = parseError("- arnRegex: user/(?P<who>\\w+)\n  username: \"x-${whom}\"\n");
  EXPECT_THAT(m, HasSubstr("rule 0, field username, line 2"));
  EXPECT_THAT(m, HasSubstr("${whom}"));
  EXPECT_THAT(m, HasSubstr("no capture group named \"whom\""));
  m = parseError("- arnRegex: a\n  username: b\n- arnRegex: user/(\\w+)\n  username: \"${2}\"\n");
  EXPECT_THAT(m, HasSubstr("rule 1, field username, line 4"));
  EXPECT_THAT(m, HasSubstr("reference ${2}: the pattern has 1 capture group(s)"));
  EXPECT_THAT(parseError("- arnRegex: user/(\\w+)\n  username: \"${99999999999999}\"\n"),
              HasSubstr("no group 99999999999999"));
}

TEST(RulesV2Test, RefusesAnUnclosedOrEmptyReference) {
  std::string m = parseError("- arnRegex: user/(?P<who>\\w+)\n  username: \"x-${who\"\n");
  EXPECT_THAT(m, HasSubstr("field username"));
  EXPECT_THAT(m, HasSubstr("unclosed \"${\" at \"${who\""));
  EXPECT_THAT(parseError("- arnRegex: user/(\\w+)\n  username: \"x${}\"\n"),
              HasSubstr("empty reference ${}"));
}

TEST(RulesV2Test, RefusesAReferenceInARuleWithoutArnRegex) {
  const std::string m = parseError("- iamGroup: admins\n  username: \"a-${1}\"\n");
  EXPECT_THAT(m, HasSubstr("rule 0, field username"));
  EXPECT_THAT(m, HasSubstr("reference ${1}"));
  EXPECT_THAT(m, HasSubstr("without arnRegex"));
}

TEST(RulesV2Test, ACaptureWithCharactersIamDoesNotAllowGivesAnErrorNotAUsername) {
  // The pattern lets anything through; the expansion check is what stops an injected template or prefix.
  const RuleSet rules = parseOk(R"(- arnRegex: ^arn:aws:iam::1:user/(?P<who>.+)$
  username: "u-${who}"
)");
  for (const std::string bad : {"{{SessionName}}", "system:masters", "a b", "caf\xc3\xa9", "x\ty"}) {
    const auto m = rules.match(user("arn:aws:iam::1:user/" + bad));
    ASSERT_TRUE(m.has_value()) << bad;
    EXPECT_EQ(m->username, "") << bad;
    EXPECT_THAT(m->expansion_error, HasSubstr("${who}")) << bad;
    EXPECT_THAT(m->expansion_error, HasSubstr("IAM does not allow")) << bad;
  }
  const auto m = rules.match(user("arn:aws:iam::1:user/{{SessionName}}"));
  EXPECT_THAT(m->expansion_error, HasSubstr("captured \"{{SessionName}}\", whose character \"{\""));
  const auto tab = rules.match(user("arn:aws:iam::1:user/x\ty"));
  EXPECT_THAT(tab->expansion_error, HasSubstr("\"x\\x09y\""));
  // Every allowed character passes.
  const auto ok = rules.match(user("arn:aws:iam::1:user/AZaz09+=,.@_/-"));
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->username, "u-AZaz09+=,.@_/-");
  EXPECT_EQ(ok->expansion_error, "");
}

TEST(RulesV2Test, AnEmptyCaptureGivesAnErrorNotAHalfBuiltUsername) {
  const RuleSet rules = parseOk(R"(- arnRegex: ^arn:aws:iam::1:user/tmp-(?P<who>\w*)(?P<opt>-x)?$
  username: "tmp:${who}${opt}"
- arnRegex: ^arn:aws:iam::1:user/(?P<all>\w*)$
  username: "${all}"
)");
  auto m = rules.match(user("arn:aws:iam::1:user/tmp-"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->username, "");
  EXPECT_THAT(m->expansion_error, HasSubstr("${who} is empty"));
  m = rules.match(user("arn:aws:iam::1:user/tmp-bob"));  // (?P<opt>...)? did not take part: empty.
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->username, "");
  EXPECT_THAT(m->expansion_error, HasSubstr("${opt} is empty"));
  m = rules.match(user("arn:aws:iam::1:user/tmp-bob-x"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->username, "tmp:bob-x");
  m = rules.match(user("arn:aws:iam::1:user/"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rule_index, 1u);
  EXPECT_THAT(m->expansion_error, HasSubstr("${all} is empty"));
}

TEST(RulesV2Test, AGroupOnlyRuleMatchesAnyMemberAndNoOneElse) {
  const RuleSet rules = parseOk(R"(- iamGroup: platform-admins
  username: admin
  groups: [system:masters]
- arnRegex: user/
  username: everyone
)");
  EXPECT_EQ(rules.rules()[0].arn_regex, "");
  EXPECT_EQ(rules.rules()[0].iam_group, "platform-admins");
  auto m = rules.match(user("arn:aws:iam::1:user/alice", {"other", "platform-admins"}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rule_index, 0u);
  EXPECT_EQ(m->username, "admin");
  m = rules.match(user("arn:aws:iam::1:user/bob", {"other"}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rule_index, 1u);
  EXPECT_EQ(rules.match(user("arn:aws:iam::1:role/r")), std::nullopt);
  EXPECT_THAT(rules.matches(user("arn:aws:iam::1:user/alice", {"platform-admins"})), ElementsAre(0u, 1u));
  EXPECT_THAT(rules.matches(user("arn:aws:iam::1:user/alice")), ElementsAre(1u));
  // Pattern-wise (the ARN-only API) a group-only rule matches every ARN; the RE2::Set still works.
  EXPECT_EQ(rules.firstMatch("anything"), 0u);
  EXPECT_THAT(rules.matches("arn:aws:iam::1:user/x"), ElementsAre(0u, 1u));
  EXPECT_THAT(rules.iamGroups(), ElementsAre("platform-admins"));
}

TEST(RulesV2Test, AGroupAndRegexRuleNeedsBoth) {
  const RuleSet rules = parseOk(R"(- arnRegex: ^arn:aws:iam::1:user/ops-(?P<n>\w+)$
  iamGroup: oncall
  username: "ops:${n}"
- iamGroup: oncall
  username: oncall-other
- arnRegex: ^arn:aws:iam::1:user/ops-
  username: ops
- {iamGroup: Devs, username: d}
)");
  auto m = rules.match(user("arn:aws:iam::1:user/ops-ann", {"oncall"}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rule_index, 0u);
  EXPECT_EQ(m->username, "ops:ann");
  m = rules.match(user("arn:aws:iam::1:user/ops-ann"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rule_index, 2u);  // the pattern alone is not enough for rule 0.
  m = rules.match(user("arn:aws:iam::1:user/dev-ann", {"oncall"}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rule_index, 1u);  // the group alone is not enough for rule 0.
  EXPECT_EQ(rules.match(user("arn:aws:iam::1:user/dev-ann", {"devs"})), std::nullopt);  // case-sensitive.
  EXPECT_THAT(rules.iamGroups(), ElementsAre("Devs", "oncall"));                        // distinct, sorted.
}

TEST(RulesV2Test, RulesWithoutGroupsMatchAsBefore) {
  const RuleSet rules = parseOk(R"(- {arnRegex: "tmp-foo-one$", username: exact}
- {arnRegex: "^arn:aws:iam::1234567890:user/tmp-foo-.*$", username: foo}
)");
  EXPECT_THAT(rules.iamGroups(), IsEmpty());
  const auto m = rules.match(user("arn:aws:iam::1234567890:user/tmp-foo-one", {"ignored"}));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rule_index, 0u);
  EXPECT_EQ(m->username, "exact");
  EXPECT_THAT(rules.matches(user("arn:aws:iam::1234567890:user/tmp-foo-one")), ElementsAre(0u, 1u));
  EXPECT_EQ(rules.match(user("arn:aws:iam::1234567890:user/other")), std::nullopt);
  EXPECT_EQ(RuleSet().match(user("x")), std::nullopt);
}

TEST(RulesV2Test, ExpandsWithManyRulesToo) {
  std::string yaml;
  for (int i = 0; i < 300; ++i) {
    yaml += "- arnRegex: ^arn:aws:iam::123456789012:user/team" + std::to_string(i) +
            "-(?P<who>.*)$\n  username: \"t" + std::to_string(i) + ":${who}\"\n";
  }
  const RuleSet rules = parseOk(yaml);
  const auto m = rules.match(user("arn:aws:iam::123456789012:user/team217-zoe"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->rule_index, 217u);
  EXPECT_EQ(m->username, "t217:zoe");
}

// Found by fuzzing: a NUL byte in a role rule's username was written into aws-auth.
TEST(RulesV2Test, RefusesControlCharactersInAnyField) {
  EXPECT_THAT(parseError(std::string("- arnRegex: role/\n  username: \"r:{{Sess\\x01\\0ionName}}\"\n"),
                         RuleSet::Kind::kRoles),
              HasSubstr("rule 0, field username, line 2: must not contain control characters (byte 0x01)"));
  EXPECT_THAT(parseError("- arnRegex: x\n  username: \"a\\tb\"\n"), HasSubstr("(byte 0x09)"));
  EXPECT_THAT(parseError("- arnRegex: x\n  username: u\n  groups: [\"g\\x7f\"]\n"),
              HasSubstr("field groups[0], line 3: must not contain control characters (byte 0x7f)"));
  parseOk("- arnRegex: 'x\\ty'\n  username: 'tab\\t'\n");  // a backslash and a t are no tab
  // Nor the line breaks YAML readers disagree on.
  EXPECT_THAT(parseError("- arnRegex: x\n  username: \"a\\u2029b\"\n"),
              HasSubstr("field username, line 2: must not contain a paragraph separator (U+2029)"));
  EXPECT_THAT(parseError("- arnRegex: x\n  username: u\n  groups: [\"g\xC2\x85\"]\n"),
              HasSubstr("field groups[0], line 3: must not contain NEL (U+0085)"));
  parseOk("- arnRegex: x\n  username: \"caf\\u00e9\"\n");
}

TEST(RulesV2Test, ValidatesIamGroupNames) {
  std::string m = parseError("- iamGroup: \"bad group\"\n  username: a\n");
  EXPECT_THAT(m, HasSubstr("rule 0, field iamGroup, line 1"));
  EXPECT_THAT(m, HasSubstr("not an IAM group name"));
  EXPECT_THAT(parseError("- iamGroup: \"\"\n  username: a\n"), HasSubstr("not an IAM group name"));
  EXPECT_THAT(parseError("- iamGroup: " + std::string(129, 'g') + "\n  username: a\n"),
              HasSubstr("not an IAM group name"));
  EXPECT_THAT(parseError("- iamGroup: [a]\n  username: a\n"), HasSubstr("not a list"));
  EXPECT_THAT(parseError("- iamGroup: 123\n  username: a\n"), HasSubstr("quote it"));
  parseOk("- iamGroup: " + std::string(128, 'g') + "\n  username: a\n");
  parseOk("- iamGroup: \"A_z+=,.@-9\"\n  username: a\n");
  // With iamGroup, arnRegex may be absent but not empty.
  EXPECT_THAT(parseError("- iamGroup: g\n  arnRegex: ''\n  username: a\n"), HasSubstr("must not be empty"));
  m = parseError("- groups: [g]\n  username: a\n");
  EXPECT_THAT(m, HasSubstr("field arnRegex"));
  EXPECT_THAT(m, HasSubstr("missing (required unless the rule names an iamGroup)"));
}

TEST(RulesV2Test, RoleRulesRefuseIamGroupAndSayMapRoles) {
  std::string m = parseError("- iamGroup: admins\n  username: a\n", RuleSet::Kind::kRoles);
  EXPECT_THAT(m, HasSubstr("rule 0, field iamGroup, line 1"));
  EXPECT_THAT(m, HasSubstr("iamGroup is for mapUsers rules only"));
  EXPECT_THAT(parseError("", RuleSet::Kind::kRoles),
              HasSubstr("mapRoles is empty; write [] to manage nothing"));
  EXPECT_THAT(parseError("a: b\n", RuleSet::Kind::kRoles), HasSubstr("mapRoles must be a YAML list"));
  m = parseError("- username: a\n", RuleSet::Kind::kRoles);
  EXPECT_THAT(m, HasSubstr("field arnRegex"));
  EXPECT_THAT(m, HasSubstr("missing (required)"));
  EXPECT_THAT(parseError("- arnRegex: a\n  username: a\n  x: y\n", RuleSet::Kind::kRoles),
              HasSubstr("(allowed: arnRegex, username, groups, accessPolicies;"));
  // Role rules expand captures too; authenticator templates written by the rule pass through verbatim.
  const RuleSet roles = parseOk(
      R"(- arnRegex: ^arn:aws:iam::\d+:role/aws-reserved/sso.amazonaws.com/(?:[\w-]+/)?AWSReservedSSO_(?P<set>\w+?)_[0-9a-f]{16}$
  username: "sso:${set}:{{SessionName}}"
)",
      RuleSet::Kind::kRoles);
  const auto r =
      roles.match(Principal{"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
                            "AWSReservedSSO_Admin_0123456789abcdef",
                            "AROAEXAMPLE",
                            {}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->username, "sso:Admin:{{SessionName}}");
}

TEST(RulesV2Test, ParsesAccessPolicies) {
  const RuleSet rules = parseOk(R"(- arnRegex: ^arn:aws:iam::1:user/dev-
  username: dev
  accessPolicies:
  - policyArn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy
    accessScope:
      type: namespace
      namespaces: [dev, "test-*"]
  - policyArn: arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy
    accessScope: {type: cluster}
- arnRegex: x
  username: v
  accessPolicies: []
)");
  ASSERT_EQ(rules.rules().size(), 2u);
  const auto& p = rules.rules()[0].access_policies;
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].policy_arn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy");
  EXPECT_EQ(p[0].scope.type, AccessScope::Type::kNamespace);
  EXPECT_THAT(p[0].scope.namespaces, ElementsAre("dev", "test-*"));
  EXPECT_EQ(p[1].scope.type, AccessScope::Type::kCluster);
  EXPECT_THAT(p[1].scope.namespaces, IsEmpty());
  EXPECT_THAT(rules.rules()[1].access_policies, IsEmpty());
  // Role rules take them too.
  parseOk(
      R"(- {arnRegex: r, username: u, accessPolicies: [{policyArn: "arn:aws:eks::aws:cluster-access-policy/P", accessScope: {type: cluster}}]})",
      RuleSet::Kind::kRoles);
}

TEST(RulesV2Test, RefusesMalformedAccessPoliciesNamingRuleFieldAndLine) {
  const std::string head = "- arnRegex: a\n  username: u\n  accessPolicies:\n";
  const std::string arn = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy";
  struct Case {
    std::string body;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"  - policyArn: arn:aws:iam::aws:policy/AdministratorAccess\n    accessScope: {type: cluster}\n",
       "field accessPolicies[0].policyArn, line 4", "is not an EKS access policy ARN"},
      {"  - accessScope: {type: cluster}\n", "field accessPolicies[0].policyArn, line 4", "missing"},
      {"  - policyArn: " + arn + "\n", "field accessPolicies[0].accessScope, line 4", "missing"},
      {"  - policyArn: " + arn + "\n    accessScope: {type: cluster}\n    scope: x\n",
       "field accessPolicies[0], line 6", "unknown key \"scope\" (allowed: policyArn, accessScope;"},
      {"  - policyArn: " + arn + "\n    accessScope: {type: Cluster}\n",
       "field accessPolicies[0].accessScope.type, line 5", "must be cluster or namespace, not \"Cluster\""},
      {"  - policyArn: " + arn + "\n    accessScope: {namespaces: [a]}\n",
       "field accessPolicies[0].accessScope.type", "missing"},
      {"  - policyArn: " + arn + "\n    accessScope: {type: namespace}\n",
       "field accessPolicies[0].accessScope.namespaces", "missing (required with type namespace)"},
      {"  - policyArn: " + arn + "\n    accessScope: {type: namespace, namespaces: []}\n",
       "field accessPolicies[0].accessScope.namespaces, line 5", "must be a non-empty list"},
      {"  - policyArn: " + arn + "\n    accessScope: {type: namespace, namespaces: [a, \"\"]}\n",
       "field accessPolicies[0].accessScope.namespaces[1]", "must not be empty"},
      {"  - policyArn: " + arn + "\n    accessScope: {type: cluster, namespaces: [a]}\n",
       "field accessPolicies[0].accessScope.namespaces", "not allowed with type cluster"},
      {"  - policyArn: " + arn + "\n    accessScope: {type: cluster, bogus: 1}\n",
       "field accessPolicies[0].accessScope, line 5", "unknown key \"bogus\""},
      {"  - policyArn: " + arn + "\n    accessScope: cluster\n", "field accessPolicies[0].accessScope",
       "must be a map"},
      {"  - policyArn: " + arn + "\n    accessScope: {type: cluster}\n  - policyArn: " + arn +
           "\n    accessScope: {type: cluster}\n",
       "field accessPolicies[1].policyArn, line 6", "listed twice"},
      {"  - " + arn + "\n", "field accessPolicies[0], line 4", "must be a map"},
      {"    policyArn: " + arn + "\n", "field accessPolicies, line 4", "must be a list"},
  };
  for (const Case& c : cases) {
    const std::string m = parseError(head + c.body);
    EXPECT_THAT(m, HasSubstr("rules: rule 0, " + c.field)) << c.body;
    EXPECT_THAT(m, HasSubstr(c.message)) << c.body;
  }
}

TEST(RulesV2Test, WarnsAboutUnanchoredRoleRulesAndUsernamesThatStartWithACapture) {
  const RuleSet roles = parseOk(R"(- arnRegex: role/Admin
  username: admin
  groups: [system:masters]
- arnRegex: ^arn:aws:iam::1:role/(?P<n>\w+)$
  username: "${n}"
- arnRegex: ^arn:aws:iam::1:role/x-(?P<n>\w+)$
  username: "sso:${n}"
  groups: [system:masters]
)",
                                RuleSet::Kind::kRoles);
  EXPECT_EQ(roles.kind(), RuleSet::Kind::kRoles);
  const std::vector<std::string> w = ruleWarnings(roles);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_THAT(w[0], HasSubstr("mapRoles rule 0 (line 1) grants system:masters but its arnRegex role/Admin is "
                              "not anchored"));
  EXPECT_THAT(w[0], HasSubstr("any IAM role whose ARN"));
  EXPECT_THAT(w[1], HasSubstr("mapRoles rule 1 (line 4) username ${n} starts with a capture"));
  EXPECT_THAT(w[1], HasSubstr("\"user:${n}\""));

  const RuleSet users = parseOk(R"(- iamGroup: admins
  username: admin
  groups: [system:masters]
- iamGroup: admins
  arnRegex: user/
  username: admin2
  groups: [system:masters]
- arnRegex: user/(\w+)
  username: "${1}-x"
)");
  EXPECT_EQ(users.kind(), RuleSet::Kind::kUsers);
  const std::vector<std::string> u = ruleWarnings(users);
  ASSERT_EQ(u.size(), 1u);  // group rules are decided by membership: no anchoring warning.
  EXPECT_THAT(u[0], HasSubstr("rule 2 (line 8) username ${1}-x starts with a capture"));
  EXPECT_THAT(u[0], HasSubstr("an IAM user that matches"));
}

}  // namespace
}  // namespace aar::core
