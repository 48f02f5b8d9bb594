// Cross-check: what we emit reads back as the same strings in a YAML 1.1 reader.
//
// aws-iam-authenticator reads aws-auth with sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 rules: `yes`, `on`,
// `0o17`, `2001-12-14`, `=` are not strings there). yaml-cpp reads YAML 1.2-ish, so checking our output with
// yaml-cpp alone would not catch a value that go-yaml misreads. PyYAML (Debian's python3-yaml, libyaml-based,
// YAML 1.1) stands in for go-yaml here: every username and group must come back as exactly the string we
// meant.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/aws_auth_codec.hpp"
#include "core/config_map.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace aar::core {
namespace {

constexpr char kPython[] = "/usr/bin/python3";
constexpr char kLoadScript[] =
    "import json,sys,yaml; d=yaml.safe_load(open(sys.argv[1],encoding='utf-8')); "
    "print(json.dumps(d, ensure_ascii=True))";

bool havePyYaml() {
  return std::filesystem::exists(kPython) &&
         std::system((std::string(kPython) + " -c 'import yaml' >/dev/null 2>&1").c_str()) == 0;
}

// Loads `yaml` with PyYAML's safe_load and returns it as JSON; a JSON string "ERROR: ..." if PyYAML failed.
nlohmann::json loadWithPyYaml(const std::string& yaml) {
  const test::TempDir dir("aar-yaml11");
  const std::string path = dir.write("in.yaml", yaml);
  // stdout and stderr in one file, so a PyYAML error becomes the "ERROR: ..." answer.
  test::ChildProcess python({kPython, "-c", kLoadScript, path}, test::kInheritEnvironment, dir.file("out"),
                            dir.file("out"));
  python.waitExit(std::chrono::seconds(60));
  const std::string out = python.out();
  try {
    return nlohmann::json::parse(out);
  } catch (const nlohmann::json::exception&) {
    return "ERROR: " + out;
  }
}

std::vector<std::string> awkwardStrings() {
  std::vector<std::string> s = {"yes",
                                "Yes",
                                "YES",
                                "no",
                                "on",
                                "Off",
                                "y",
                                "N",
                                "true",
                                "False",
                                "null",
                                "Null",
                                "~",
                                "",
                                "123",
                                "0o17",
                                "0x1F",
                                "2an:",
                                "12/34",
                                "1,000",
                                "3 # not a comment",
                                "1: x",
                                "0b101",
                                "1_000",
                                "190:20:30",
                                "1e3",
                                ".5",
                                "-.inf",
                                ".NaN",
                                "+1",
                                "-1",
                                "2001-12-14",
                                "2001-12-14t21:59:43.10-05:00",
                                "=",
                                "<<",
                                "a: b",
                                "#x",
                                "x #y",
                                "- x",
                                "? x",
                                "{{SessionName}}",
                                "admin:{{AccessKeyID}}",
                                "'q'",
                                "\"dq\"",
                                " lead",
                                "trail ",
                                "ünïcødé",
                                "名前",
                                "tab\tin",
                                "line\nbreak",
                                "back\\slash",
                                "%pct",
                                "@at",
                                "`tick",
                                "!bang",
                                "&amp",
                                "*star",
                                "|pipe",
                                ">gt",
                                "[x]",
                                "{x}",
                                ",comma",
                                "system:masters",
                                "system:node:{{EC2PrivateDNSName}}"};
  // Plus random strings over characters that mean something in YAML.
  std::mt19937 rng(1128);
  const std::string alphabet = "aZ09 :#-?'\"{}[],&*!|>%@`~.+_=\\/\tnyoe";
  for (int i = 0; i < 300; ++i) {
    std::string r;
    const int len = std::uniform_int_distribution<int>(1, 8)(rng);
    for (int k = 0; k < len; ++k)
      r += alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
    s.push_back(r);
  }
  return s;
}

TEST(Yaml11CrossCheckTest, AYaml11ReaderReadsEveryEmittedUsernameAndGroupAsTheSameString) {
  if (!havePyYaml()) GTEST_SKIP() << "needs /usr/bin/python3 with PyYAML (python3-yaml)";
  const auto strings = awkwardStrings();
  std::vector<MapUsersItem> items;
  for (size_t i = 0; i < strings.size(); ++i) {
    items.push_back(MapUsersItem{
        UserMapping{
            "arn:aws:iam::1:user/u" + std::to_string(i), strings[i], {strings[(i + 7) % strings.size()]}, {}},
        {}});
  }
  auto text = emitMapUsers(items);
  ASSERT_TRUE(text.ok()) << text.error().message;
  const nlohmann::json read = loadWithPyYaml(*text);
  ASSERT_TRUE(read.is_array()) << read.dump();
  ASSERT_EQ(read.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    ASSERT_TRUE(read[i]["username"].is_string()) << "entry " << i << " " << read[i].dump();
    EXPECT_EQ(read[i]["username"].get<std::string>(), items[i].mapping.username) << "entry " << i;
    ASSERT_TRUE(read[i]["groups"][0].is_string()) << "entry " << i << " " << read[i].dump();
    EXPECT_EQ(read[i]["groups"][0].get<std::string>(), items[i].mapping.groups[0]) << "entry " << i;
    EXPECT_EQ(read[i]["userarn"].get<std::string>(), items[i].mapping.user_arn);
  }
}

TEST(Yaml11CrossCheckTest, AYaml11ReaderReadsTheEmittedManifestDataAndAnnotationsExactly) {
  if (!havePyYaml()) GTEST_SKIP() << "needs /usr/bin/python3 with PyYAML (python3-yaml)";
  auto manifest = parseConfigMapManifest(
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\n"
      "  resourceVersion: \"42\"\n  labels: {app: x}\ndata:\n  mapRoles: |\n    - rolearn: r\n",
      "test");
  ASSERT_TRUE(manifest.ok()) << manifest.error().message;
  ConfigMapContent content;
  content.data = {{"mapUsers", "- userarn: a\n  username: yes\n"},
                  {"mapRoles", "- rolearn: r\n"},
                  {"odd", " leading space\nand trailing \n\n"},
                  {"no-newline", "a\nb"},
                  {"number", "0o17"}};
  content.annotations = {{"aws-auth-refresher/managed-users", "v1:AAAAAAAAAAAA"}, {"note", "on"}};
  auto text = emitConfigMapManifest(*manifest, content);
  ASSERT_TRUE(text.ok()) << text.error().message;
  const nlohmann::json read = loadWithPyYaml(*text);
  ASSERT_TRUE(read.is_object()) << read.dump();
  for (const auto& [k, v] : content.data) EXPECT_EQ(read["data"][k], v) << k;
  for (const auto& [k, v] : content.annotations) EXPECT_EQ(read["metadata"]["annotations"][k], v) << k;
  EXPECT_EQ(read["metadata"]["resourceVersion"], "42");
  EXPECT_EQ(read["metadata"]["labels"]["app"], "x");
}

}  // namespace
}  // namespace aar::core
