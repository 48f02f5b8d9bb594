// A fast YAML reader for the core's hot path (internal to src/core).
//
// yaml-cpp reads about 4-5 MB/s: 200 ms for a 10,000-entry mapUsers. libyaml, the C library go-yaml (and so
// aws-iam-authenticator) descends from, reads the same text in ~25 ms. This builds a small tree from
// libyaml's events that keeps what yaml-cpp's nodes keep (shape, scalar text, tag: "?" plain, "!" quoted, or
// the explicit tag), refuses aliases (kParse: a few nested aliases expand 1 KB to gigabytes), and converts a
// subtree to a YAML::Node on request, so the rest of the codec keeps using yaml_util's type-preserving emit
// and compare.
//
// Thread-safety: pure functions.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace YAML {
class Node;
}

namespace aar::core::yaml {

struct TreeNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  std::string value;  // scalar text
  std::string tag;    // "?" plain, "!" quoted, else the explicit tag (e.g. "tag:yaml.org,2002:str")
  int line = 0;       // 1-based
  std::vector<TreeNode> children;  // sequence items; for a map: key, value, key, value...

  bool isMap() const { return kind == Kind::kMap; }
  bool isScalar() const { return kind == Kind::kScalar; }
  size_t mapSize() const { return children.size() / 2; }
  // First value whose key is the plain or quoted scalar `key`, or null.
  const TreeNode* find(std::string_view key) const;
};

// Reads a YAML stream event by event, for checks that compare a large document with what it should hold
// without building its tree (the emitters' parse-back check). Not copyable; one thread.
class EventReader {
 public:
  enum class Kind {
    kNone,
    kStreamStart,
    kStreamEnd,
    kDocumentStart,
    kDocumentEnd,
    kAlias,
    kScalar,
    kSequenceStart,
    kSequenceEnd,
    kMapStart,
    kMapEnd
  };

  explicit EventReader(std::string_view text);  // `text` must outlive the reader.
  ~EventReader();
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Moves to the next event. kParse (with line and column) on a syntax error; the reader is then done.
  Status next();
  Kind kind() const;
  int line() const;  // 1-based line where the current event starts.
  // The current scalar's text (empty if the event is not a scalar); valid until next().
  std::string_view scalar() const;
  // True if the current event is a scalar that reads as a string (see isStringScalar).
  bool scalarIsString() const;
  // Builds the node whose first event is the current one; afterwards the current event is its last one.
  // kParse if the node holds an alias (see refuseAliases).
  Result<TreeNode> readNode();
  // For an alias event: the anchor it names (empty otherwise).
  std::string aliasName() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses one YAML document. An empty stream gives a kNull root. More than one document, or any libyaml error,
// is kParse with the line and column.
Result<TreeNode> parseTree(std::string_view text);

// The first YAML alias (*name) in `text` before any syntax error (line 0: none; a syntax error is left to the
// caller's parser to report). Anchors alone are harmless and allowed. For text that yaml-cpp reads (the
// rules): yaml-cpp shares aliased nodes, but every walk over them (checks, compares, emit) is exponential.
struct FoundAlias {
  std::string name;
  int line = 0;  // 1-based; 0 if none
};
FoundAlias findAlias(std::string_view text);

// "YAML alias *name at line N is not allowed (...)".
std::string aliasNotAllowed(std::string_view name, int line);

// True if the scalar reads as a string (see yaml::isStringScalar).
bool isStringScalar(const TreeNode& node);

// The same tree as a yaml-cpp node (tags kept, repeated map keys kept, no marks).
YAML::Node toYamlCpp(const TreeNode& node);

}  // namespace aar::core::yaml
