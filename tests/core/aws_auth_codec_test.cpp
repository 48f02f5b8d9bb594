#include "core/aws_auth_codec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>

namespace aar::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

UserMapping user(std::string arn, std::string username, std::vector<std::string> groups) {
  return UserMapping{std::move(arn), std::move(username), std::move(groups), std::nullopt};
}

TEST(AwsAuthCodecTest, EmitsBlockStyleWithKeysInAwsIamAuthenticatorOrder) {
  auto text = emitMapUsers(
      {MapUsersItem{user("arn:aws:iam::1234567890:user/tmp-foo-one", "foo", {"system:masters"}), {}}});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(*text,
            "- userarn: arn:aws:iam::1234567890:user/tmp-foo-one\n"
            "  username: foo\n"
            "  groups:\n"
            "  - system:masters\n");
}

TEST(AwsAuthCodecTest, OmitsEmptyGroupsAndWritesAnEmptyListAsBrackets) {
  auto text = emitMapUsers({MapUsersItem{user("arn:a", "u", {}), {}}});
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "- userarn: arn:a\n  username: u\n");
  auto empty = emitMapUsers({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "[]\n");
  auto parsed = parseMapUsers(*empty);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(AwsAuthCodecTest, RoundTripsAwkwardUsernamesAndGroupsExactly) {
  const std::vector<std::string> awkward = {"a: b",
                                            "#not-a-comment",
                                            "x #y",
                                            "'single'",
                                            "\"double\"",
                                            "  leading spaces",
                                            "trailing ",
                                            "ünïcødé-名前",
                                            "{{SessionName}}",
                                            "admin:{{AccessKeyID}}",
                                            "123",
                                            "0x1F",
                                            "1e3",
                                            "true",
                                            "yes",
                                            "on",
                                            "null",
                                            "~",
                                            "",
                                            "-",
                                            "- item",
                                            "[flow]",
                                            "{map}",
                                            "*alias",
                                            "&anchor",
                                            "!tag",
                                            "%percent",
                                            "@at",
                                            "`tick",
                                            "|pipe",
                                            ">gt",
                                            "line1\nline2",
                                            "tab\there",
                                            "2001-12-14",
                                            ".inf",
                                            "<<",
                                            "="};
  std::vector<MapUsersItem> items;
  for (size_t i = 0; i < awkward.size(); ++i) {
    items.push_back(MapUsersItem{user("arn:aws:iam::1:user/u" + std::to_string(i), awkward[i],
                                      {awkward[i], "system:masters", awkward[(i + 1) % awkward.size()]}),
                                 {}});
  }
  auto text = emitMapUsers(items);
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto back = parseMapUsers(*text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ((*back)[i].mapping, items[i].mapping) << "entry " << i;
    EXPECT_TRUE((*back)[i].canonical) << "entry " << i;
  }
  // Strings a YAML 1.1 reader (aws-iam-authenticator's) would take for numbers or booleans are quoted.
  EXPECT_THAT(*text, HasSubstr("username: \"123\""));
  EXPECT_THAT(*text, HasSubstr("username: \"yes\""));
  // Strings that plain style would misread (a flow map, a comment, a key) are quoted too, by libyaml's own
  // analysis.
  EXPECT_THAT(*text, HasSubstr("username: '{{SessionName}}'"));
  EXPECT_THAT(*text, HasSubstr("username: '#not-a-comment'"));
  EXPECT_THAT(*text, HasSubstr("username: 'a: b'"));
}

TEST(AwsAuthCodecTest, ReadsWhatAwsIamAuthenticatorReadsAndIgnoresUnknownFields) {
  auto entries = parseMapUsers(R"(
- userarn: arn:aws:iam::111122223333:user/admin   # the admin
  username: admin
  userid: AIDAEXAMPLE
  groups: [system:masters, ops]
  comment: added by hand
- {userarn: "arn:aws:iam::111122223333:user/ci", username: ci}
)");
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].mapping.user_arn, "arn:aws:iam::111122223333:user/admin");
  EXPECT_EQ((*entries)[0].mapping.username, "admin");
  EXPECT_EQ((*entries)[0].mapping.user_id, "AIDAEXAMPLE");
  EXPECT_THAT((*entries)[0].mapping.groups, ElementsAre("system:masters", "ops"));
  EXPECT_FALSE((*entries)[0].canonical);  // extra fields: never one we wrote.
  EXPECT_EQ((*entries)[0].line, 2);
  EXPECT_TRUE((*entries)[1].canonical);
  EXPECT_TRUE((*entries)[1].has_user_arn);
}

TEST(AwsAuthCodecTest, CarriesAnUnmanagedEntryWithExtraFieldsAndOddFormattingIntact) {
  const std::string original = R"(-   userarn:   'arn:aws:iam::111122223333:user/admin'
    username:    "007"
    extra:
      nested: {a: [1, "2", true, ~]}
      when: 2024-01-01
    userid: "12345"
    groups:
        - "system:masters"
        - yes-really
)";
  auto parsed = parseMapUsers(original);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const MapUsersEntry& entry = parsed->front();
  auto text = emitMapUsers({MapUsersItem{entry.mapping, entry.node},
                            MapUsersItem{user("arn:aws:iam::111122223333:user/z", "z", {}), {}}});
  ASSERT_TRUE(text.ok()) << text.error().message;
  // The same meaning when read back with a generic YAML reader: every field, every type.
  const YAML::Node before = YAML::Load(original)[0];
  const YAML::Node after = YAML::Load(*text)[0];
  EXPECT_EQ(after["userarn"].as<std::string>(), "arn:aws:iam::111122223333:user/admin");
  EXPECT_EQ(after["username"].Scalar(), "007");
  EXPECT_EQ(after["username"].Tag(), "!");  // still quoted: a string, not the number 7.
  EXPECT_EQ(after["userid"].Tag(), "!");
  EXPECT_EQ(after["extra"]["nested"]["a"][0].Tag(), "?");  // still a plain number.
  EXPECT_EQ(after["extra"]["nested"]["a"][1].Tag(), "!");  // still a string.
  EXPECT_EQ(after["extra"]["nested"]["a"][2].Scalar(), "true");
  EXPECT_TRUE(after["extra"]["nested"]["a"][3].IsNull());
  EXPECT_EQ(after["extra"]["when"].Scalar(), "2024-01-01");
  EXPECT_EQ(after["groups"][1].Scalar(), "yes-really");
  EXPECT_EQ(after.size(), before.size());
  auto reparsed = parseMapUsers(*text);
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(reparsed->front().mapping, entry.mapping);
}

TEST(AwsAuthCodecTest, WritesBackAPlainKeyThatLibyamlMustQuote) {
  // Found by fuzzing: "2an:" starts with a digit but can be no number; libyaml quotes it when writing, and
  // the parse-back check must see the same string, not a changed type.
  auto parsed = parseMapUsers("- 2an::\n  userarn: arn:aws:iam::1:user/x\n");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_TRUE(parsed->front().node);
  auto text = emitMapUsers({MapUsersItem{parsed->front().mapping, parsed->front().node}});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_THAT(*text, HasSubstr("'2an:':"));
}

TEST(AwsAuthCodecTest, RefusesValuesAwsIamAuthenticatorCouldNotRead) {
  auto syntax = parseMapUsers("- userarn: [unterminated\n");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.error().kind, ErrorKind::kParse);
  EXPECT_THAT(syntax.error().message, HasSubstr("YAML syntax error at line"));
  auto not_list = parseMapUsers("userarn: x\n");
  ASSERT_FALSE(not_list.ok());
  EXPECT_THAT(not_list.error().message, HasSubstr("must be a YAML list"));
  auto scalar_entry = parseMapUsers("- just-a-string\n");
  ASSERT_FALSE(scalar_entry.ok());
  EXPECT_THAT(scalar_entry.error().message, HasSubstr("entry 0 (line 1): must be a map"));
  auto bad_groups = parseMapUsers("- userarn: a\n  username: b\n  groups: system:masters\n");
  ASSERT_FALSE(bad_groups.ok());
  EXPECT_THAT(bad_groups.error().message, HasSubstr("groups must be a list of strings"));
  auto map_arn = parseMapUsers("- userarn: {a: b}\n");
  ASSERT_FALSE(map_arn.ok());
  EXPECT_THAT(map_arn.error().message, HasSubstr("userarn must be a string"));
  auto two_documents = parseMapUsers("- userarn: a\n---\n- userarn: b\n");
  ASSERT_FALSE(two_documents.ok());
  EXPECT_THAT(two_documents.error().message, HasSubstr("more than one YAML document"));
  auto late_syntax_error = parseMapUsers("- userarn: a\n  username: a\n- userarn: b\n  username: [\n");
  ASSERT_FALSE(late_syntax_error.ok());  // after a good entry: still an error, never a partial list.
  EXPECT_THAT(late_syntax_error.error().message, HasSubstr("YAML syntax error at line"));
  auto scalar_root = parseMapUsers("just text\n");
  ASSERT_FALSE(scalar_root.ok());
  EXPECT_THAT(scalar_root.error().message, HasSubstr("must be a YAML list"));
}

TEST(AwsAuthCodecTest, ReadsEmptyOrNullValuesAsNoEntries) {
  for (const char* text : {"", "\n", "~", "null", "[]", "# only a comment\n", "---\n"}) {
    auto entries = parseMapUsers(text);
    ASSERT_TRUE(entries.ok()) << text;
    EXPECT_TRUE(entries->empty()) << text;
  }
}

TEST(AwsAuthCodecTest, ParsesMapRoles) {
  auto roles = parseMapRoles(R"(- rolearn: arn:aws:iam::111122223333:role/eks-node
  username: system:node:{{EC2PrivateDNSName}}
  groups:
  - system:bootstrappers
  - system:nodes
)");
  ASSERT_TRUE(roles.ok()) << roles.error().message;
  ASSERT_EQ(roles->size(), 1u);
  EXPECT_EQ((*roles)[0].username, "system:node:{{EC2PrivateDNSName}}");
  auto bad = parseMapRoles("- rolearn: a\n  groups: {a: b}\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("mapRoles: entry 0"));
}

TEST(AwsAuthCodecTest, ReadsAndWritesMapRolesWithTheSameCodeAsMapUsers) {
  auto entries = parseMapEntries(
      "- rolearn: arn:aws:iam::1:role/a\n  username: a\n  groups: [g]\n"
      "- RoleArn: arn:aws:iam::1:role/b\n  username: b\n"               // hand-written spelling: not ours
      "- rolearn: arn:aws:iam::1:role/c\n  username: c\n  userid: x\n"  // userid is no mapRoles field
      "- userarn: arn:aws:iam::1:user/d\n  username: d\n",              // no rolearn at all
      MapList::kMapRoles);
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_TRUE((*entries)[0].canonical);
  EXPECT_EQ((*entries)[0].mapping.user_arn, "arn:aws:iam::1:role/a");
  EXPECT_FALSE((*entries)[1].canonical);
  EXPECT_EQ((*entries)[1].mapping.user_arn, "arn:aws:iam::1:role/b");
  EXPECT_FALSE((*entries)[2].canonical);
  EXPECT_FALSE((*entries)[2].mapping.user_id.has_value());
  EXPECT_FALSE((*entries)[3].has_user_arn);

  // aws-iam-authenticator's templates, alone or inside a name, are written verbatim and read back exactly.
  const std::vector<std::string> names = {"{{SessionName}}",
                                          "{{SessionNameRaw}}",
                                          "admin:{{AccountID}}",
                                          "{{AccessKeyID}}:x",
                                          "system:node:{{EC2PrivateDNSName}}",
                                          "- {{SessionName}}",
                                          "{{SessionName}}: x",
                                          "'{{SessionName}}'"};
  std::vector<MapUsersItem> items;
  for (size_t i = 0; i < names.size(); ++i) {
    items.push_back(MapUsersItem{
        UserMapping{"arn:aws:iam::1:role/r" + std::to_string(i), names[i], {"{{AccountID}}"}, std::nullopt},
        {}});
  }
  items.push_back(MapUsersItem{(*entries)[1].mapping, (*entries)[1].node});  // carried over from its node
  auto text = emitMapEntries(items, MapList::kMapRoles);
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_THAT(*text, HasSubstr("- rolearn: arn:aws:iam::1:role/r0\n  username: '{{SessionName}}'\n"));
  EXPECT_THAT(*text, HasSubstr("RoleArn: arn:aws:iam::1:role/b"));
  auto back = parseMapRoles(*text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), names.size() + 1);
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ((*back)[i],
              (RoleMapping{"arn:aws:iam::1:role/r" + std::to_string(i), names[i], {"{{AccountID}}"}}));
  }
  EXPECT_EQ(back->back(), (RoleMapping{"arn:aws:iam::1:role/b", "b", {}}));
  auto empty = emitMapEntries({}, MapList::kMapRoles);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "[]\n");
}

TEST(AwsAuthCodecTest, ParsesMapAccountsAsStrings) {
  auto accounts = parseMapAccounts("- \"111122223333\"\n- 444455556666\n");
  ASSERT_TRUE(accounts.ok());
  EXPECT_THAT(*accounts, ElementsAre("111122223333", "444455556666"));
  EXPECT_FALSE(parseMapAccounts("- [a]\n").ok());
}

TEST(AwsAuthCodecTest, ReadsFieldNamesCaseInsensitivelyAsAwsIamAuthenticatorDoes) {
  // aws-iam-authenticator's fixture aws-auth-crazy-case-keys.yaml, and a second spelling in one entry.
  auto users = parseMapUsers(R"(- uSeRaRn: arn:aws:iam::555555555555:user/admin
  UsErNaMe: admin
  gRoUpS:
    - system:masters
- UserArn: arn:aws:iam::1:user/Dave
  USERNAME: upper
  username: exact
  Groups: [a]
  groups: ~
- uſerarn: arn:aws:iam::1:user/long-s
  UserId: AIDA1
)");
  ASSERT_TRUE(users.ok()) << users.error().message;
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[0].mapping, user("arn:aws:iam::555555555555:user/admin", "admin", {"system:masters"}));
  EXPECT_TRUE((*users)[0].has_user_arn);
  EXPECT_FALSE((*users)[0].canonical);  // only exactly the keys we write can be ours
  EXPECT_EQ((*users)[1].mapping, user("arn:aws:iam::1:user/Dave", "exact", {}));
  EXPECT_EQ((*users)[2].mapping.user_arn, "arn:aws:iam::1:user/long-s");
  EXPECT_EQ((*users)[2].mapping.user_id, "AIDA1");

  auto roles =
      parseMapRoles("- rOlEaRn: arn:aws:iam::5:role/Node\n  UsErNaMe: node\n  gRoUpS: [system:nodes]\n");
  ASSERT_TRUE(roles.ok()) << roles.error().message;
  EXPECT_EQ(roles->front(), (RoleMapping{"arn:aws:iam::5:role/Node", "node", {"system:nodes"}}));
}

TEST(AwsAuthCodecTest, RefusesWhatAwsIamAuthenticatorCannotReadUnderAnySpelling) {
  auto users = parseMapUsers("- userarn: arn:aws:iam::1:user/a\n  UserName: {x: 1}\n");
  ASSERT_FALSE(users.ok());
  EXPECT_THAT(users.error().message, HasSubstr("entry 0 (line 1): username must be a string"));
  users = parseMapUsers("- userarn: arn:aws:iam::1:user/a\n  GROUPS: admin\n");
  ASSERT_FALSE(users.ok());
  EXPECT_THAT(users.error().message, HasSubstr("groups must be a list of strings"));
  users = parseMapUsers("- userarn: arn:aws:iam::1:user/a\n  ? [k]\n  : v\n");
  ASSERT_FALSE(users.ok());
  EXPECT_THAT(users.error().message, HasSubstr("a key is a map or a list"));
  auto roles = parseMapRoles("- RoleArn: [a]\n");
  ASSERT_FALSE(roles.ok());
  EXPECT_THAT(roles.error().message, HasSubstr("rolearn must be a string"));
}

// "Billion laughs": 9 levels of 9 aliases each, under 1 KB, would expand to 9^9 (~387 million) scalars.
std::string billionLaughs(const std::string& first_entry) {
  std::string text =
      first_entry + "- userarn: arn:aws:iam::1:user/lol\n  username: lol\n  groups: &l0 [lol]\n";
  for (int i = 1; i <= 9; ++i) {
    text += "- userarn: arn:aws:iam::1:user/lol" + std::to_string(i) + "\n  username: lol\n  extra: &l" +
            std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) text += (k ? ",*l" : "*l") + std::to_string(i - 1);
    text += "]\n";
  }
  return text;
}

TEST(AwsAuthCodecTest, RefusesYamlAliasesSoThatABillionLaughsCannotExpand) {
  const std::string text = billionLaughs("");
  ASSERT_LT(text.size(), 1024u);
  auto users = parseMapUsers(text);
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.error().kind, ErrorKind::kParse);
  EXPECT_THAT(users.error().message, HasSubstr("YAML alias *l0 at line 6 is not allowed"));
  // In a role or an account list too; an anchor alone is harmless.
  auto roles = parseMapRoles("- rolearn: &r arn:aws:iam::1:role/a\n  username: *r\n");
  ASSERT_FALSE(roles.ok());
  EXPECT_THAT(roles.error().message, HasSubstr("mapRoles: YAML alias *r at line 2 is not allowed"));
  auto accounts = parseMapAccounts("- &a \"1\"\n- *a\n");
  ASSERT_FALSE(accounts.ok());
  EXPECT_THAT(accounts.error().message, HasSubstr("YAML alias *a at line 2"));
  EXPECT_TRUE(parseMapUsers("- userarn: &x arn:aws:iam::1:user/a\n  username: a\n").ok());
}

// libyaml and go-yaml take a lone CR, NEL, LS and PS as line breaks, yaml-cpp does not: text holding one is
// refused, naming it; CRLF line ends are read as line feeds.
TEST(AwsAuthCodecTest, RefusesLineBreaksThatYamlReadersDisagreeOn) {
  const std::pair<std::string, std::string> cases[] = {
      {"- userarn: arn:aws:iam::1:user/M\r\r\n  username: m\n", "a carriage return without a line feed"},
      {"- userarn: arn:aws:iam::1:user/M\n  username: m\r", "a carriage return without a line feed"},
      {"- userarn: arn:aws:iam::1:user/M\xC2\x85  username: m\n", "NEL (U+0085)"},
      {"- userarn: arn:aws:iam::1:user/M\n  username: \"m\xE2\x80\xA8\"\n", "a line separator (U+2028)"},
      {"- userarn: arn:aws:iam::1:user/M\xE2\x80\xA9\n", "a paragraph separator (U+2029)"},
  };
  for (const auto& [text, named] : cases) {
    for (MapList list : {MapList::kMapUsers, MapList::kMapRoles}) {
      auto parsed = parseMapEntries(text, list);
      ASSERT_FALSE(parsed.ok()) << text;
      EXPECT_EQ(parsed.error().kind, ErrorKind::kParse);
      EXPECT_THAT(parsed.error().message,
                  HasSubstr("holds " + named + ", a line break YAML readers disagree on"));
    }
  }
  auto crlf = parseMapUsers("- userarn: arn:aws:iam::1:user/M\r\n  username: m\r\n");
  ASSERT_TRUE(crlf.ok()) << crlf.error().message;
  ASSERT_EQ(crlf->size(), 1u);
  EXPECT_EQ((*crlf)[0].mapping.user_arn, "arn:aws:iam::1:user/M");
  EXPECT_EQ((*crlf)[0].mapping.username, "m");
  // Other non-ASCII text is no line break.
  EXPECT_TRUE(parseMapUsers("- userarn: arn:aws:iam::1:user/\xC3\xA9\xE2\x80\x99\n  username: m\n").ok());
}

}  // namespace
}  // namespace aar::core
