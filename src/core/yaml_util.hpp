// Small yaml-cpp helpers shared by the core's codecs (internal to src/core).
//
// Why they exist: yaml-cpp forgets how a scalar was written. Emitting a parsed "123" (quoted, a string) gives
// plain 123, which Go readers such as aws-iam-authenticator (sigs.k8s.io/yaml, YAML 1.1 rules) read as a
// number and then reject the whole mapUsers value. So we decide per scalar whether it is a string, and quote
// every string that a YAML 1.1 reader could take for something else.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace YAML {
class Emitter;
class Node;
}  // namespace YAML

namespace aar::core::yaml {

// True if a plain (unquoted) scalar with this text could be read by a YAML 1.1 or 1.2 reader as something
// other than a string: null, boolean (yes/no/on/off/y/n/true/false), integer, float, timestamp, merge key.
// Errs on the side of true (a username starting with a digit is quoted; that is harmless).
bool plainLooksNonString(std::string_view text);

// True if a yaml-cpp tag is an explicit one to keep: not "" or "?" (plain), "!" (quoted) or !!str.
bool isExplicitTag(const std::string& tag);

// True if `node` is a scalar that YAML readers take as a string: quoted, tagged !!str, or plain text that
// plainLooksNonString() says is a string.
bool isStringScalar(const YAML::Node& node);

// Emits `value` so that it reads back as exactly this string (double-quoted when plain would be misread).
void emitString(YAML::Emitter& out, const std::string& value);

// Emits a parsed node keeping what it means: strings stay strings (quoted when needed), other plain scalars
// stay plain, explicit tags are kept, null stays null.
void emitNode(YAML::Emitter& out, const YAML::Node& node);

// Deep equality of meaning: same shape, same scalar text, same string-ness, same explicit tags, map entries
// in the same order.
bool sameNode(const YAML::Node& a, const YAML::Node& b);

// 1-based line of a node (0 if yaml-cpp has no mark).
int lineOf(const YAML::Node& node);

// yaml-cpp keeps both pairs of a map with a repeated key but operator[] sees only the first. Returns the
// first repeated key of a map (as text) and the 1-based line of its second occurrence, or an empty key if
// none.
struct DuplicateKey {
  std::string key;
  int line = 0;
};
DuplicateKey findDuplicateKey(const YAML::Node& map);

// YAML 1.1 readers disagree on line breaks other than LF and CRLF: libyaml and go-yaml (so
// aws-iam-authenticator) take a lone CR, NEL (U+0085), LS (U+2028) and PS (U+2029) as breaks, yaml-cpp keeps
// them inside scalars. Names the first one in `text` ("a carriage return without a line feed", "NEL
// (U+0085)", ...), or returns empty if there is none.
std::string_view ambiguousLineBreak(std::string_view text);

}  // namespace aar::core::yaml
