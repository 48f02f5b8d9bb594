// Rules v2 (issue #12): the whole rules ConfigMap (mapUsers, mapRoles, accounts) via parseRulesConfig, and
// extractRulesText for `plan`'s rules file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/rules.hpp"

namespace aar::core {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string configError(const RulesText& text) {
  auto r = parseRulesConfig(text);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return {};
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  return r.error().message;
}

RulesText accountsOnly(std::string accounts) {
  RulesText t;
  t.map_users = "[]";
  t.accounts = std::move(accounts);
  return t;
}

std::string accountsError(const std::string& accounts) { return configError(accountsOnly(accounts)); }

TEST(RulesConfigTest, EachKeyIsOptionalButOneOfTheRuleKeysIsRequired) {
  RulesText users;
  users.map_users = "- {arnRegex: u, username: u}\n";
  auto c = parseRulesConfig(users);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->users.rules().size(), 1u);
  EXPECT_TRUE(c->roles.empty());
  EXPECT_THAT(c->accounts, IsEmpty());

  RulesText roles;
  roles.map_roles = "- {arnRegex: r, username: r}\n";
  c = parseRulesConfig(roles);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->users.empty());
  EXPECT_EQ(c->roles.rules().size(), 1u);

  RulesText none;
  none.accounts = "[]";
  EXPECT_THAT(configError(none), HasSubstr("rules: neither mapUsers nor mapRoles is present"));
}

TEST(RulesConfigTest, ErrorsArePrefixedWithTheKeyAndPointIntoTheFile) {
  RulesText t;
  t.map_users = "- {arnRegex: u, username: u}\n";
  t.map_roles = "- arnRegex: r\n  username: r\n  iamGroup: g\n";
  t.map_roles_first_line = 10;
  EXPECT_THAT(configError(t), HasSubstr("rules: mapRoles: rule 0, field iamGroup, line 12: iamGroup is for "
                                        "mapUsers rules only"));
  t.map_roles = "- arnRegex: r\n  username: \"${1}\"\n";
  EXPECT_THAT(configError(t), HasSubstr("rules: mapRoles: rule 0, field username, line 11: reference ${1}"));
  t.map_roles = "";
  EXPECT_THAT(configError(t), HasSubstr("rules: mapRoles: mapRoles is empty; write [] to manage nothing"));
  t.map_roles.reset();
  t.map_users = "- {arnRegex: u}\n";
  auto r = parseRulesConfig(t, "rules.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("rules.yaml: mapUsers: rule 0, field username"));
}

TEST(RulesConfigTest, ParsesAccounts) {
  auto c = parseRulesConfig(accountsOnly(R"(- roleArn: arn:aws:iam::111122223333:role/aws-auth-refresher
- roleArn: arn:aws-us-gov:iam::444455556666:role/path/to/reader
  externalId: "cluster-prod:a1/b2=c3@x.y,z+w_v-u"
)"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->accounts.size(), 2u);
  EXPECT_EQ(c->accounts[0].role_arn, "arn:aws:iam::111122223333:role/aws-auth-refresher");
  EXPECT_EQ(c->accounts[0].account_id, "111122223333");
  EXPECT_EQ(c->accounts[0].external_id, "");
  EXPECT_EQ(c->accounts[0].line, 1);
  EXPECT_EQ(c->accounts[1].account_id, "444455556666");
  EXPECT_EQ(c->accounts[1].external_id, "cluster-prod:a1/b2=c3@x.y,z+w_v-u");
  EXPECT_EQ(c->accounts[1].line, 2);
  c = parseRulesConfig(accountsOnly("[]"));
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c->accounts, IsEmpty());
}

TEST(RulesConfigTest, RefusesMalformedAccountsNamingTheItemAndLine) {
  std::string m = accountsError("- roleArn: arn:aws:iam::111122223333:role/a\n- rolearn: x\n");
  EXPECT_THAT(m, HasSubstr("rules: accounts: item 1, line 2: unknown key \"rolearn\" (allowed: roleArn, "
                           "externalId;"));
  m = accountsError("- externalId: abc\n");
  EXPECT_THAT(m, HasSubstr("rules: accounts: item 0, field roleArn, line 1: missing (required)"));
  for (const std::string bad : {"arn:aws:iam::11112222333:role/a", "arn:aws:iam::111122223333:user/a",
                                "arn:aws:iam::111122223333:role/", "arn:aws:sts::111122223333:role/a",
                                "arn:aws:iam::111122223333:role/a b", "111122223333"}) {
    m = accountsError("- roleArn: \"" + bad + "\"\n");
    EXPECT_THAT(m, HasSubstr("item 0, field roleArn, line 1: \"" + bad + "\" is not an IAM role ARN")) << bad;
  }
  m = accountsError(R"(- roleArn: arn:aws:iam::111122223333:role/a
- roleArn: arn:aws:iam::444455556666:role/b
- roleArn: arn:aws:iam::111122223333:role/other
)");
  EXPECT_THAT(m, HasSubstr("item 2, field roleArn, line 3: account 111122223333 is listed twice (also by the "
                           "item at line 1)"));
  m = accountsError("- roleArn: arn:aws:iam::111122223333:role/a\n  externalId: x\n");
  EXPECT_THAT(m, HasSubstr("item 0, field externalId, line 2: must be 2 to 1224 characters"));
  EXPECT_THAT(accountsError("- roleArn: arn:aws:iam::111122223333:role/a\n  externalId: \"a b\"\n"),
              HasSubstr("field externalId"));
  EXPECT_THAT(accountsError("- roleArn: arn:aws:iam::111122223333:role/a\n  externalId: \"" +
                            std::string(1225, 'x') + "\"\n"),
              HasSubstr("field externalId"));
  EXPECT_TRUE(parseRulesConfig(accountsOnly("- {roleArn: arn:aws:iam::111122223333:role/a, externalId: \"" +
                                            std::string(1224, 'x') + "\"}\n"))
                  .ok());
  EXPECT_THAT(accountsError("- roleArn: arn:aws:iam::111122223333:role/a\n  externalId: 12345\n"),
              HasSubstr("quote it"));
  EXPECT_THAT(accountsError("- roleArn: [a]\n"),
              HasSubstr("field roleArn, line 1: must be a string, not a list"));
  EXPECT_THAT(accountsError("- arn:aws:iam::111122223333:role/a\n"),
              HasSubstr("item 0, line 1: an account must "
                        "be a map"));
  EXPECT_THAT(accountsError("roleArn: x\n"), HasSubstr("accounts must be a YAML list"));
  EXPECT_THAT(accountsError(""), HasSubstr("rules: accounts: empty; write [] for no further accounts"));
  EXPECT_THAT(accountsError("- {roleArn: a\n"), HasSubstr("rules: accounts: YAML syntax error"));
  EXPECT_THAT(accountsError("- &a {roleArn: arn:aws:iam::111122223333:role/a}\n- *a\n"),
              HasSubstr("YAML alias *a at line 2 is not allowed"));
  EXPECT_THAT(
      accountsError(
          "- roleArn: arn:aws:iam::111122223333:role/a\n  roleArn: arn:aws:iam::111122223333:role/b\n"),
      HasSubstr("item 0, line 2: duplicate key \"roleArn\""));
  RulesText t = accountsOnly("- {roleArn: bad}\n");
  t.accounts_first_line = 20;
  EXPECT_THAT(configError(t), HasSubstr("item 0, field roleArn, line 20"));
}

TEST(RulesConfigTest, ExtractsEveryKeyOfAManifestWithItsFirstLine) {
  const std::string manifest = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: aws-auth-refresher, namespace: kube-system}
data:
  mapUsers: |
    - arnRegex: ^arn:aws:iam::1:user/a$
      username: a
  mapRoles: |
    - arnRegex: ^arn:aws:iam::1:role/r$
      username: r
  accounts: |
    - roleArn: arn:aws:iam::111122223333:role/reader
)";
  auto t = extractRulesText(manifest);
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_TRUE(t->map_users && t->map_roles && t->accounts);
  EXPECT_EQ(*t->map_users, "- arnRegex: ^arn:aws:iam::1:user/a$\n  username: a\n");
  EXPECT_EQ(t->map_users_first_line, 6);
  EXPECT_EQ(*t->map_roles, "- arnRegex: ^arn:aws:iam::1:role/r$\n  username: r\n");
  EXPECT_EQ(t->map_roles_first_line, 9);
  EXPECT_EQ(*t->accounts, "- roleArn: arn:aws:iam::111122223333:role/reader\n");
  EXPECT_EQ(t->accounts_first_line, 12);
  auto c = parseRulesConfig(*t);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->roles.rules()[0].line, 9);
  EXPECT_EQ(c->accounts[0].line, 12);

  auto roles_only = extractRulesText("kind: ConfigMap\ndata:\n  mapRoles: '[]'\n");
  ASSERT_TRUE(roles_only.ok()) << roles_only.error().message;
  EXPECT_FALSE(roles_only->map_users.has_value());
  EXPECT_EQ(roles_only->map_roles, "[]");
  EXPECT_EQ(roles_only->map_roles_first_line, 3);

  const std::string bare = "- {arnRegex: a, username: b}\n";
  auto list = extractRulesText(bare);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->map_users, bare);
  EXPECT_FALSE(list->map_roles.has_value());
  EXPECT_FALSE(list->accounts.has_value());
}

TEST(RulesConfigTest, ExtractRefusesFilesWithoutRules) {
  auto r = extractRulesText("kind: ConfigMap\ndata:\n  accounts: '[]'\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("neither data.mapUsers nor data.mapRoles"));
  r = extractRulesText("kind: ConfigMap\ndata:\n  mapUsers: '[]'\n  mapRoles: [a]\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("line 4: data.mapRoles must be a string"));
  r = extractRulesText("kind: Secret\ndata: {mapRoles: '[]'}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("kind must be ConfigMap"));
  EXPECT_FALSE(extractRulesText("").ok());
  // The older mapUsers-only extractor keeps its messages.
  auto u = extractRulesMapUsers("kind: ConfigMap\ndata:\n  mapRoles: '[]'\n");
  ASSERT_FALSE(u.ok());
  EXPECT_THAT(u.error().message, HasSubstr("no data.mapUsers (write [] to manage nothing)"));
  u = extractRulesMapUsers("kind: ConfigMap\ndata:\n  mapUsers: [a]\n");
  ASSERT_FALSE(u.ok());
  EXPECT_THAT(
      u.error().message,
      HasSubstr("line 3: data.mapUsers must be a string (a `|` block holding the YAML list of rules)"));
}

}  // namespace
}  // namespace aar::core
