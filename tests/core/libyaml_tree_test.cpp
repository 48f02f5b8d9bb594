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
    "- &base\n  username: shared\n  groups: &g [a, b]\n- userarn: x\n",  // anchors alone are fine
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

TEST(LibyamlTreeTest, RefusesAliasesInsteadOfExpandingThem) {
  auto tree =
      parseTree("- &base\n  username: shared\n  groups: &g [a, b]\n- userarn: x\n  groups: *g\n- *base\n");
  ASSERT_FALSE(tree.ok());
  EXPECT_EQ(tree.error().kind, ErrorKind::kParse);
  EXPECT_THAT(tree.error().message, HasSubstr("YAML alias *g at line 5 is not allowed"));
  const FoundAlias found = findAlias("a: &x 1\nb:\n  - *x\n");
  EXPECT_EQ(found.name, "x");
  EXPECT_EQ(found.line, 3);
  EXPECT_EQ(findAlias("a: &x 1\n").line, 0);
  EXPECT_EQ(findAlias("a: b: c\nd: *x\n").line, 0);  // a syntax error first: left to the caller's parser
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

TEST(EventReaderTest, StepsThroughEventsAndBuildsASubtreeFromTheCurrentOne) {
  using Kind = EventReader::Kind;
  EventReader reader("- 'yes'\n- yes\n- {a: [1, b]}\n- !!str 5\n");
  std::vector<Kind> kinds;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(reader.next().ok());
    kinds.push_back(reader.kind());
  }
  EXPECT_EQ(kinds, (std::vector<Kind>{Kind::kStreamStart, Kind::kDocumentStart, Kind::kSequenceStart,
                                      Kind::kScalar, Kind::kScalar}));
  EXPECT_EQ(reader.scalar(), "yes");
  EXPECT_FALSE(reader.scalarIsString());  // plain yes: a YAML 1.1 boolean.
  ASSERT_TRUE(reader.next().ok());
  EXPECT_EQ(reader.kind(), Kind::kMapStart);
  EXPECT_EQ(reader.line(), 3);
  auto map = reader.readNode();
  ASSERT_TRUE(map.ok()) << map.error().message;
  ASSERT_TRUE(map->isMap());
  EXPECT_EQ(map->find("a")->children.size(), 2u);
  EXPECT_EQ(reader.kind(), Kind::kMapEnd);  // readNode leaves the reader on the subtree's last event.
  ASSERT_TRUE(reader.next().ok());
  EXPECT_EQ(reader.scalar(), "5");
  EXPECT_TRUE(reader.scalarIsString());  // tagged !!str.
  ASSERT_TRUE(reader.next().ok());
  EXPECT_EQ(reader.kind(), Kind::kSequenceEnd);
}

TEST(EventReaderTest, ReportsASyntaxErrorWithItsLine) {
  EventReader reader("- a\n- [b\n");
  Status last;
  for (int i = 0; i < 20 && last.ok(); ++i) last = reader.next();
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.error().kind, ErrorKind::kParse);
  EXPECT_THAT(last.error().message, HasSubstr("line 3"));
}

}  // namespace
}  // namespace aar::core::yaml
