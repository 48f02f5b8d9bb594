// The libyaml writer must write what it is given: any parsed node comes back with the same meaning (shape,
// text, string-ness, tags), strings come back as exactly the same strings, and misuse is an error, not text.
#include "core/libyaml_emitter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "core/yaml_util.hpp"

namespace aar::core::yaml {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

YAML::Node loadOne(const std::string& text) { return YAML::Load(text); }

TEST(LibyamlEmitterTest, WritesEveryParsedNodeBackWithTheSameMeaning) {
  const std::vector<std::string> documents = {
      "- userarn: arn:aws:iam::1:user/a\n  username: a\n  groups:\n  - system:masters\n",
      "- {userarn: 'arn:aws:iam::1:user/a', username: \"007\", extra: {n: 1, s: \"2\", b: yes}}\n",
      "- userarn: !!str 123\n  username: !custom tagged\n  n: !!int \"7\"\n",
      "- username: |\n    line one\n    line two\n  folded: >\n    a\n    b\n",
      "- username: \"esc\\t\\\"q\\\" \\u00e9 \\x01\"\n  other: 'it''s'\n",
      "- \"userarn\": quoted-key\n  ? complex\n  : value\n",
      "- a: null\n  b: ~\n  c:\n  d: ''\n  e: \"null\"\n",
      "- [1, -2.5, 0x1F, .inf, 2001-12-14, true, 'true', \"0o17\"]\n",
      "- ' leading'\n- 'trailing '\n- '#hash'\n- 'a: b'\n- '- dash'\n- '{{SessionName}}'\n- '*x'\n- '&y'\n",
  };
  for (const auto& doc : documents) {
    SCOPED_TRACE(doc);
    const YAML::Node before = loadOne(doc);
    LibyamlEmitter out;
    out.node(before);
    auto text = out.finish();
    ASSERT_TRUE(text.ok()) << text.error().message;
    const YAML::Node after = loadOne(*text);
    EXPECT_TRUE(sameNode(before, after)) << *text;
  }
}

TEST(LibyamlEmitterTest, QuotesStringsAYaml11ReaderWouldTakeForSomethingElse) {
  LibyamlEmitter out;
  out.beginSequence();
  for (const char* s : {"123", "yes", "on", "~", "", "2001-12-14", "0x1F", "plain-text"}) out.string(s);
  out.endSequence();
  auto text = out.finish();
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text,
            "- \"123\"\n- \"yes\"\n- \"on\"\n- \"~\"\n- \"\"\n- \"2001-12-14\"\n- \"0x1F\"\n- plain-text\n");
}

TEST(LibyamlEmitterTest, KeepsLongAndUnicodeStringsOnOneLineUnescaped) {
  const std::string long_name(300, 'x');
  const std::string unicode = "ünïcødé 名前";
  LibyamlEmitter out;
  out.beginMap();
  out.string("username");
  out.string(long_name + " " + long_name);
  out.string("group");
  out.string(unicode);
  out.endMap();
  auto text = out.finish();
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text, "username: " + long_name + " " + long_name + "\ngroup: " + unicode + "\n");
  EXPECT_THAT(*text, Not(HasSubstr("\\u")));
}

TEST(LibyamlEmitterTest, WritesAnEmptyListAsBrackets) {
  LibyamlEmitter out;
  out.beginSequence();
  out.endSequence();
  auto text = out.finish();
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text, "[]\n");
}

TEST(LibyamlEmitterTest, RefusesUnbalancedEventsWithAnInternalError) {
  LibyamlEmitter out;
  out.beginSequence();
  out.endMap();  // closes a map that was never opened.
  out.string("ignored after the first error");
  auto text = out.finish();
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().kind, ErrorKind::kInternal);
  EXPECT_THAT(text.error().message, HasSubstr("YAML emitter"));
}

}  // namespace
}  // namespace aar::core::yaml
