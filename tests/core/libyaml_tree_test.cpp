// The libyaml reader must see what yaml-cpp sees: same shape, text, string-ness and tags.
#include "core/libyaml_tree.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "core/yaml_util.hpp"

namespace aar::core::yaml {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kDocuments = {
    "- userarn: arn:aws:iam::1:user/a\n  username: a\n  groups:\n  - system:masters\n",
    "-   userarn: 'arn:aws:iam::1:user/a'   # comment\n    username: \"007\"\n    extra: {n: 1, s: \"2\", b: "
    "yes}\n",
    "- {userarn: arn:aws:iam::1:user/b, username: hand, groups: [ops, \"true\", ~]}\n",
    "- userid: AIDAEXAMPLE\n  username: by-id\n  groups: []\n  meta: {}\n",
    "- &base\n  username: shared\n  groups: &g [a, b]\n- userarn: x\n  groups: *g\n- *base\n",
    "- userarn: !!str 123\n  username: !custom tagged\n  n: !!int \"7\"\n",
    "- username: |\n    line one\n    line two\n  folded: >\n    a\n    b\n",
    "- username: \"esc\\t\\\"q\\\" \\u00e9\"\n  other: 'it''s'\n",
    "- \"userarn\": quoted-key\n  ? complex\n  : value\n",
    "- username: ünïcødé 名前\n  groups:\n    - \"{{SessionName}}\"\n    - admin:{{AccessKeyID}}\n",
    "- a: null\n  b: Null\n  c: ~\n  d:\n  e: ''\n  f: \"null\"\n",
    "- userarn: a\n  userarn: b\n",
    "[]\n",
    "~\n",
    "",
    "# only a comment\n",
    "- 1\n- -2.5\n- 0x1F\n- .inf\n- 2001-12-14\n- true\n",
};

TEST(LibyamlTreeTest, ReadsEveryDocumentAsYamlCppDoes) {
  for (const auto& doc : kDocuments) {
    auto tree = parseTree(doc);
    ASSERT_TRUE(tree.ok()) << doc << "\n" << tree.error().message;
    const YAML::Node expected = YAML::Load(doc);
    EXPECT_TRUE(sameNode(toYamlCpp(*tree), expected)) << doc;
  }
}

TEST(LibyamlTreeTest, KeepsQuotedAndPlainScalarsApart) {
  auto tree = parseTree("- \"123\"\n- 123\n- 'yes'\n- yes\n- !!str 5\n");
  ASSERT_TRUE(tree.ok());
  const auto& items = tree->children;
  EXPECT_TRUE(isStringScalar(items[0]));
  EXPECT_FALSE(isStringScalar(items[1]));
  EXPECT_TRUE(isStringScalar(items[2]));
  EXPECT_FALSE(isStringScalar(items[3]));
  EXPECT_TRUE(isStringScalar(items[4]));
}

TEST(LibyamlTreeTest, ReportsSyntaxErrorsWithLineAndRefusesSeveralDocuments) {
  auto bad = parseTree("- a\n- [b\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kParse);
  EXPECT_THAT(bad.error().message, HasSubstr("YAML syntax error at line"));
  auto two = parseTree("- a\n---\n- b\n");
  ASSERT_FALSE(two.ok());
  EXPECT_THAT(two.error().message, HasSubstr("more than one YAML document"));
  auto alias = parseTree("- *nowhere\n");
  EXPECT_FALSE(alias.ok());
}

TEST(LibyamlTreeTest, KeepsRepeatedMapKeysAndGivesLines) {
  auto tree = parseTree("- userarn: a\n  userarn: b\n");
  ASSERT_TRUE(tree.ok());
  const TreeNode& entry = tree->children[0];
  EXPECT_EQ(entry.mapSize(), 2u);
  EXPECT_EQ(entry.find("userarn")->value, "a");
  EXPECT_EQ(entry.line, 1);
  EXPECT_EQ(entry.children[2].line, 2);
}

}  // namespace
}  // namespace aar::core::yaml
