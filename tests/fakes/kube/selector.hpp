// Field and label selectors, as list and watch accept them
// (?fieldSelector=metadata.name=x&labelSelector=a=b).
//
// Field selectors: comma-separated `path=value`, `path==value`, `path!=value`, where path is a dotted field
// of the object (metadata.name, metadata.namespace, and for Events e.g. involvedObject.name). A missing field
// compares as "".
// Label selectors: comma-separated `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
//
// Thread-safety: immutable after parse; safe to share.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace aar::testing::kube {

class Selector {
 public:
  // The empty selector matches everything. nullopt + *error when the text does not parse.
  static std::optional<Selector> parseFields(const std::string& text, std::string* error);
  static std::optional<Selector> parseLabels(const std::string& text, std::string* error);

  bool matches(const nlohmann::json& object) const;
  bool empty() const { return terms_.empty(); }

 private:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  struct Term {
    std::string key;
    Op op = Op::kEquals;
    std::vector<std::string> values;
  };
  bool labels_ = false;
  std::vector<Term> terms_;
};

}  // namespace aar::testing::kube
