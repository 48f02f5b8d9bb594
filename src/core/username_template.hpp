// A rule's `username` as a template: literal text, `${name}` / `${N}` references to the rule's arnRegex
// capture groups, and `$$` for a literal `$`. A `$` followed by anything else is literal, so a 2019 username
// such as "a$b" keeps its meaning.
//
// Compiled once at parse time (references resolved to group numbers), expanded per principal. Expansion is
// safe by construction: each substituted capture may only hold characters IAM allows in user and role names
// and paths (A-Z a-z 0-9 + = , . @ _ / -), and must not be empty; otherwise expansion fails with a reason and
// no username at all. So a capture can never inject an aws-iam-authenticator template ({{...}}) or a
// `system:` prefix that the rule did not write itself, and two different principals can never share a
// half-built name.
//
// Thread-safety: immutable after compile(); const methods may be called from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace re2 {
class RE2;
}

namespace aar::core {

class UsernameTemplate {
 public:
  // A template that is the literal text `username`, without references (what compile() returns for a
  // username that has none, apart from `$$` folding).
  UsernameTemplate() = default;

  // Compiles `username` against `pattern` (the rule's compiled arnRegex; null when the rule has none). On
  // failure returns a reason naming the offending reference, without the rule/field prefix (the caller adds
  // it), e.g. `reference ${who}: the pattern has no capture group named "who"`. Errors:
  //   - an unclosed `${`, an empty `${}`;
  //   - `${N}` with N greater than the pattern's number of groups, `${name}` with no group of that name;
  //   - any reference when `pattern` is null (a rule with only iamGroup has nothing to capture).
  static Result<UsernameTemplate> compile(std::string_view username, const re2::RE2* pattern);

  // True when expand() needs captures, i.e. the username has at least one reference.
  bool hasReferences() const { return max_group_ >= 0; }
  // The highest group number referenced, -1 when none.
  int maxGroup() const { return max_group_; }

  // Expands with `groups[k]` = capture k of the match (groups.size() > maxGroup(); a group that did not take
  // part in the match is an empty view). On success returns the username; on failure returns false and
  // sets *error to a reason naming the reference and the offending text, and leaves *out empty.
  bool expand(const std::vector<std::string_view>& groups, std::string* out, std::string* error) const;

  // The literal username (only meaningful when !hasReferences()).
  const std::string& literal() const { return literal_; }

 private:
  struct Piece {
    std::string text;  // literal text, used when group < 0.
    int group = -1;    // capture number, or -1.
    std::string ref;   // the reference as written, e.g. "${who}", for messages.
  };
  std::vector<Piece> pieces_;
  std::string literal_;  // the whole result when there are no references ($$ already folded to $).
  int max_group_ = -1;
};

// True when `c` is a character IAM allows in user/role names and paths: A-Z a-z 0-9 + = , . @ _ / -.
bool isIamNameChar(char c);

}  // namespace aar::core
