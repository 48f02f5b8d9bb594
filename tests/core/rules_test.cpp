#include "core/rules.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace aar::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kSeedRules[] = R"(- arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
  username: foo
  groups:
  - system:masters
- arnRegex: ^arn:aws:iam::1234567890:user/tmp-bar-.*$
  username: bar
  groups:
  - developers
)";

// Parses `yaml` and expects failure; returns the message.
std::string parseError(const std::string& yaml) {
  auto r = RuleSet::parse(yaml);
  EXPECT_FALSE(r.ok()) << "parsed unexpectedly: " << yaml;
  if (r.ok()) return {};
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  return r.error().message;
}

TEST(RulesTest, ParsesTheSeedReadmeRules) {
  auto rules = RuleSet::parse(kSeedRules);
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  ASSERT_EQ(rules->rules().size(), 2u);
  EXPECT_EQ(rules->rules()[0].arn_regex, "^arn:aws:iam::1234567890:user/tmp-foo-.*$");
  EXPECT_EQ(rules->rules()[0].username, "foo");
  EXPECT_THAT(rules->rules()[0].groups, ElementsAre("system:masters"));
  EXPECT_EQ(rules->rules()[0].line, 1);
  EXPECT_EQ(rules->rules()[1].username, "bar");
  EXPECT_THAT(rules->rules()[1].groups, ElementsAre("developers"));
  EXPECT_EQ(rules->rules()[1].line, 5);
}

TEST(RulesTest, FirstMatchingRuleWinsAndOthersAreReportedAsMatches) {
  auto rules = RuleSet::parse(R"(- {arnRegex: "tmp-foo-one$", username: exact}
- {arnRegex: "^arn:aws:iam::1234567890:user/tmp-foo-.*$", username: foo}
- {arnRegex: "nothing-matches-this", username: none}
)");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  EXPECT_EQ(rules->firstMatch("arn:aws:iam::1234567890:user/tmp-foo-one"), 0u);
  EXPECT_THAT(rules->matches("arn:aws:iam::1234567890:user/tmp-foo-one"), ElementsAre(0u, 1u));
  EXPECT_EQ(rules->firstMatch("arn:aws:iam::1234567890:user/tmp-foo-two"), 1u);
  EXPECT_EQ(rules->firstMatch("arn:aws:iam::1234567890:user/other"), std::nullopt);
  EXPECT_THAT(rules->matches("arn:aws:iam::1234567890:user/other"), IsEmpty());
}

TEST(RulesTest, MatchesAnywhereLikeGoMatchStringUnlessAnchored) {
  auto rules = RuleSet::parse(R"(- {arnRegex: "user/tmp-", username: a}
- {arnRegex: "^user/tmp-", username: b}
)");
  ASSERT_TRUE(rules.ok());
  EXPECT_THAT(rules->matches("arn:aws:iam::1:user/tmp-x"), ElementsAre(0u));
  EXPECT_THAT(rules->matches("user/tmp-x"), ElementsAre(0u, 1u));
}

TEST(RulesTest, UsesGoRegexpSyntaxPerlClassesAndNamedGroups) {
  auto rules = RuleSet::parse(R"(- {arnRegex: '^arn:aws:iam::\d{12}:user/(?P<name>vault-\w+)$', username: v}
- {arnRegex: '(?i)^ARN:AWS:IAM::\d+:USER/CI$', username: ci}
)");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  EXPECT_EQ(rules->firstMatch("arn:aws:iam::123456789012:user/vault-abc_1"), 0u);
  EXPECT_EQ(rules->firstMatch("arn:aws:iam::12345678901:user/vault-abc_1"), std::nullopt);
  EXPECT_EQ(rules->firstMatch("arn:aws:iam::42:user/ci"), 1u);
}

TEST(RulesTest, DotDoesNotMatchNewlineAndDollarIsEndOfText) {
  auto rules = RuleSet::parse("- {arnRegex: '^a.b$', username: x}\n");
  ASSERT_TRUE(rules.ok());
  EXPECT_EQ(rules->firstMatch("a\nb"), std::nullopt);
  EXPECT_EQ(rules->firstMatch("ab\n"), std::nullopt);
  EXPECT_EQ(rules->firstMatch("acb"), 0u);
}

TEST(RulesTest, EmptyListManagesNothing) {
  auto rules = RuleSet::parse("[]");
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->empty());
  EXPECT_EQ(rules->firstMatch("arn:aws:iam::1:user/x"), std::nullopt);
  EXPECT_TRUE(RuleSet().empty());
}

TEST(RulesTest, GroupsMayBeAbsentOrEmpty) {
  auto rules =
      RuleSet::parse("- {arnRegex: a, username: alice}\n- {arnRegex: b, username: bob, groups: []}\n");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  EXPECT_THAT(rules->rules()[0].groups, IsEmpty());
  EXPECT_THAT(rules->rules()[1].groups, IsEmpty());
}

TEST(RulesTest, RejectsAnUnknownKeyLikeTheOldToolsSilentTypos) {
  const std::string rules = "- arnRegex: ^a$\n  username: a\n- arnregex: ^b$\n  username: b\n";
  const std::string m = parseError(rules);
  EXPECT_THAT(m, HasSubstr("rule 1"));
  EXPECT_THAT(m, HasSubstr("line 3"));
  EXPECT_THAT(m, HasSubstr("unknown key \"arnregex\""));
  EXPECT_THAT(parseError("- arn_regex: x\n  username: a\n"), HasSubstr("unknown key \"arn_regex\""));
  EXPECT_THAT(parseError("- arnRegex: x\n  username: a\n  group: [g]\n"), HasSubstr("unknown key \"group\""));
}

TEST(RulesTest, RejectsAMissingOrEmptyArnRegex) {
  std::string m = parseError("- username: a\n  groups: [g]\n");
  EXPECT_THAT(m, HasSubstr("rule 0"));
  EXPECT_THAT(m, HasSubstr("field arnRegex"));
  EXPECT_THAT(m, HasSubstr("missing"));
  m = parseError("- arnRegex: ''\n  username: a\n");
  EXPECT_THAT(m, HasSubstr("field arnRegex"));
  EXPECT_THAT(m, HasSubstr("must not be empty"));
  EXPECT_THAT(parseError("- arnRegex:\n  username: a\n"), HasSubstr("not null"));
}

TEST(RulesTest, RejectsAMissingOrEmptyUsername) {
  std::string m = parseError("- arnRegex: a\n  groups: [g]\n");
  EXPECT_THAT(m, HasSubstr("field username"));
  EXPECT_THAT(m, HasSubstr("missing"));
  EXPECT_THAT(parseError("- arnRegex: a\n  username: \"\"\n"), HasSubstr("field username"));
}

TEST(RulesTest, RejectsNonStringValues) {
  EXPECT_THAT(parseError("- arnRegex: [a]\n  username: a\n"), HasSubstr("not a list"));
  EXPECT_THAT(parseError("- arnRegex: a\n  username: {x: y}\n"), HasSubstr("not a map"));
  std::string m = parseError("- arnRegex: a\n  username: 123\n");
  EXPECT_THAT(m, HasSubstr("field username"));
  EXPECT_THAT(m, HasSubstr("quote it"));
  EXPECT_THAT(parseError("- arnRegex: a\n  username: yes\n"), HasSubstr("\"yes\""));
  m = parseError("- arnRegex: a\n  username: u\n  groups: [ok, 42]\n");
  EXPECT_THAT(m, HasSubstr("field groups[1]"));
  EXPECT_THAT(parseError("- arnRegex: a\n  username: u\n  groups: system:masters\n"),
              HasSubstr("must be a list of strings"));
  // Quoted, the same text is a string.
  EXPECT_TRUE(RuleSet::parse("- arnRegex: a\n  username: \"123\"\n").ok());
}

TEST(RulesTest, RejectsADuplicateKeyThatYamlCppWouldSilentlyDrop) {
  const std::string m = parseError("- arnRegex: ^a$\n  username: a\n  arnRegex: .*\n");
  EXPECT_THAT(m, HasSubstr("rule 0"));
  EXPECT_THAT(m, HasSubstr("duplicate key \"arnRegex\""));
  EXPECT_THAT(m, HasSubstr("line 3"));
}

TEST(RulesTest, RejectsYamlSyntaxErrorsWithTheLine) {
  const std::string m = parseError("- arnRegex: a\n  username: [b\n");
  EXPECT_THAT(m, HasSubstr("YAML syntax error"));
  EXPECT_THAT(m, HasSubstr("line"));
}

TEST(RulesTest, RejectsPatternsRe2CannotCompile) {
  std::string m = parseError("- arnRegex: '(a)\\1'\n  username: a\n");
  EXPECT_THAT(m, HasSubstr("field arnRegex"));
  EXPECT_THAT(m, HasSubstr("RE2 rejects"));
  m = parseError("- arnRegex: a\n  username: a\n- arnRegex: 'foo(?=bar)'\n  username: b\n");
  EXPECT_THAT(m, HasSubstr("rule 1"));
  EXPECT_THAT(m, HasSubstr("line 3"));
  EXPECT_THAT(parseError("- arnRegex: '[a'\n  username: a\n"), HasSubstr("RE2 rejects"));
}

TEST(RulesTest, RejectsATopLevelThatIsNotAList) {
  EXPECT_THAT(parseError("arnRegex: a\nusername: b\n"), HasSubstr("must be a YAML list"));
  EXPECT_THAT(parseError("just text"), HasSubstr("must be a YAML list"));
  EXPECT_THAT(parseError(""), HasSubstr("write [] to manage nothing"));
  EXPECT_THAT(parseError("- just text\n"), HasSubstr("a rule must be a map"));
}

TEST(RulesTest, ErrorsPointIntoTheFileTheRulesCameFrom) {
  RuleSet::ParseOptions options;
  options.first_line = 8;
  options.source = "rules.yaml";
  auto r = RuleSet::parse("- arnRegex: a\n  username: a\n  groupz: []\n", options);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("rules.yaml: rule 0, field groupz, line 10"));
}

TEST(RulesTest, ExtractsMapUsersFromAConfigMapManifestWithItsFirstLine) {
  const std::string manifest = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth-refresher
  namespace: kube-system
data:
  mapUsers: |
    - arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$
      username: foo
)";
  auto src = extractRulesMapUsers(manifest);
  ASSERT_TRUE(src.ok()) << src.error().message;
  EXPECT_EQ(src->first_line, 8);
  EXPECT_EQ(src->map_users, "- arnRegex: ^arn:aws:iam::1234567890:user/tmp-foo-.*$\n  username: foo\n");
  auto list = extractRulesMapUsers(kSeedRules);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->map_users, kSeedRules);
}

TEST(RulesTest, RefusesAManifestWithoutRulesOrOfAnotherKind) {
  auto no_data = extractRulesMapUsers("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  ASSERT_FALSE(no_data.ok());
  EXPECT_THAT(no_data.error().message, HasSubstr("no data"));
  auto secret = extractRulesMapUsers("kind: Secret\ndata: {mapUsers: '[]'}\n");
  ASSERT_FALSE(secret.ok());
  EXPECT_THAT(secret.error().message, HasSubstr("kind must be ConfigMap"));
  auto dup = extractRulesMapUsers("kind: ConfigMap\ndata:\n  mapUsers: '[]'\n  mapUsers: '- {}'\n");
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.error().message, HasSubstr("duplicate key \"mapUsers\""));
}

TEST(RulesTest, MatchesCorrectlyWithManyRules) {
  std::string yaml;
  for (int i = 0; i < 300; ++i) {
    yaml += "- arnRegex: ^arn:aws:iam::123456789012:user/team" + std::to_string(i) + "-.*$\n  username: t" +
            std::to_string(i) + "\n";
  }
  yaml += "- arnRegex: ^arn:aws:iam::123456789012:user/team1\n  username: catchall\n";
  auto rules = RuleSet::parse(yaml);
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  EXPECT_THAT(rules->matches("arn:aws:iam::123456789012:user/team17-x"), ElementsAre(17u, 300u));
  EXPECT_EQ(rules->firstMatch("arn:aws:iam::123456789012:user/team299-x"), 299u);
  EXPECT_EQ(rules->firstMatch("arn:aws:iam::123456789012:user/team300-x"), std::nullopt);
}

TEST(RulesTest, WarnsAboutAnUnanchoredRuleThatGrantsSystemMasters) {
  auto rules = RuleSet::parse(R"(- arnRegex: user/admin-
  username: a
  groups: [system:masters]
- arnRegex: ^arn:aws:iam::1234567890:user/ops-.*$
  username: b
  groups: [system:masters]
- arnRegex: (?i)^arn:aws:iam::1234567890:user/x-.*\z
  username: c
  groups: [system:masters]
- arnRegex: ^arn:aws:iam::1234567890:user/y-.*\$
  username: d
  groups: [system:masters]
- arnRegex: tmp-
  username: e
  groups: [developers]
)");
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  const std::vector<std::string> warnings = ruleWarnings(*rules);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_THAT(warnings[0], HasSubstr("rule 0 (line 1) grants system:masters"));
  EXPECT_THAT(warnings[1], HasSubstr("rule 3 (line 10)"));  // an escaped \$ is a literal dollar, no anchor
  EXPECT_TRUE(ruleWarnings(RuleSet()).empty());
}

TEST(RulesTest, RefusesYamlAliasesWithTheLine) {
  std::string yaml = "- arnRegex: x\n  username: a\n  groups: &g0 [a, a, a, a, a, a, a, a]\n";
  for (int i = 1; i <= 8; ++i) {
    yaml += "- arnRegex: y\n  username: b\n  groups: &g" + std::to_string(i) + " [";
    for (int k = 0; k < 8; ++k) yaml += (k ? ", *g" : "*g") + std::to_string(i - 1);
    yaml += "]\n";
  }
  ASSERT_LT(yaml.size(), 1024u);
  auto rules = RuleSet::parse(yaml, RuleSet::ParseOptions{10, "rules.yaml"});
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(rules.error().message, HasSubstr("rules.yaml: YAML alias *g0 at line 15 is not allowed"));
}

}  // namespace
}  // namespace aar::core
