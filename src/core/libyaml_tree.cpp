#include "core/libyaml_tree.hpp"

#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include <map>
#include <memory>

#include "core/yaml_util.hpp"

namespace aar::core::yaml {
namespace {

constexpr char kStrTag[] = "tag:yaml.org,2002:str";
constexpr size_t kMaxDepth = 64;  // deeper documents are refused rather than recursed into.

// Plain scalars yaml-cpp (and YAML 1.2's core schema) read as null.
bool isPlainNull(std::string_view v) {
  return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL";
}

struct ParserDeleter {
  void operator()(yaml_parser_t* p) const {
    yaml_parser_delete(p);
    delete p;
  }
};
struct EventGuard {
  yaml_event_t event{};
  bool live = false;
  ~EventGuard() { reset(); }
  void reset() {
    if (live) yaml_event_delete(&event);
    live = false;
  }
};

std::string aliasMessage(const yaml_event_t& e) {
  return aliasNotAllowed(reinterpret_cast<const char*>(e.data.alias.anchor),
                         static_cast<int>(e.start_mark.line) + 1);
}

}  // namespace

class EventReader::Impl {
 public:
  explicit Impl(std::string_view text) : parser_(new yaml_parser_t) {
    yaml_parser_initialize(parser_.get());
    // libyaml asserts on a null buffer, which an empty string_view may have.
    static constexpr unsigned char kEmpty[1] = {0};
    const unsigned char* data = text.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(text.data());
    yaml_parser_set_input_string(parser_.get(), data, text.size());
  }

  Status next() {
    ev_.reset();
    if (!yaml_parser_parse(parser_.get(), &ev_.event)) return error();
    ev_.live = true;
    return {};
  }

  const yaml_event_t& event() const { return ev_.event; }

  // Builds the node whose first event is the current one.
  Result<TreeNode> build(size_t depth) {
    if (depth > kMaxDepth) return makeError(ErrorKind::kParse, "YAML nested too deeply");
    const yaml_event_t& e = ev_.event;
    TreeNode node;
    node.line = static_cast<int>(e.start_mark.line) + 1;
    switch (e.type) {
      case YAML_ALIAS_EVENT:
        // Refused, not resolved: each alias copies its anchor's node, so a 1 KB document of nested aliases
        // ("billion laughs") would expand to gigabytes. aws-auth and the rules never need them.
        return makeError(ErrorKind::kParse, aliasMessage(e));
      case YAML_SCALAR_EVENT: {
        node.value.assign(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
        const bool plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (e.data.scalar.tag) {
          node.tag = reinterpret_cast<const char*>(e.data.scalar.tag);
        } else {
          node.tag = plain ? "?" : "!";
        }
        node.kind = (!e.data.scalar.tag && plain && isPlainNull(node.value)) ? TreeNode::Kind::kNull
                                                                             : TreeNode::Kind::kScalar;
        remember(e.data.scalar.anchor, node);
        return node;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        const bool is_map = e.type == YAML_MAPPING_START_EVENT;
        node.kind = is_map ? TreeNode::Kind::kMap : TreeNode::Kind::kSequence;
        const yaml_char_t* anchor_raw = is_map ? e.data.mapping_start.anchor : e.data.sequence_start.anchor;
        const std::string anchor = anchor_raw ? reinterpret_cast<const char*>(anchor_raw) : "";
        const yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
        for (;;) {
          if (Status s = next(); !s.ok()) return s.error();
          if (ev_.event.type == end) break;
          auto child = build(depth + 1);
          if (!child.ok()) return child;
          node.children.push_back(std::move(child.value()));
        }
        if (!anchor.empty()) anchors_[anchor] = node;
        return node;
      }
      default:
        return makeError(ErrorKind::kParse, "unexpected YAML event");
    }
  }

 private:
  Error error() const {
    const yaml_parser_t& p = *parser_;
    std::string msg = "YAML syntax error at line " + std::to_string(p.problem_mark.line + 1) + ", column " +
                      std::to_string(p.problem_mark.column + 1) + ": " +
                      (p.problem ? p.problem : "unknown error");
    if (p.context) msg += std::string(" ") + p.context;
    return makeError(ErrorKind::kParse, msg);
  }

  void remember(const yaml_char_t* anchor, const TreeNode& node) {
    if (anchor) anchors_[reinterpret_cast<const char*>(anchor)] = node;
  }

  std::unique_ptr<yaml_parser_t, ParserDeleter> parser_;
  EventGuard ev_;
  std::map<std::string, TreeNode> anchors_;
};

EventReader::EventReader(std::string_view text) : impl_(std::make_unique<Impl>(text)) {}
EventReader::~EventReader() = default;

Status EventReader::next() { return impl_->next(); }

std::string EventReader::aliasName() const {
  const yaml_event_t& e = impl_->event();
  return e.type == YAML_ALIAS_EVENT ? reinterpret_cast<const char*>(e.data.alias.anchor) : "";
}

EventReader::Kind EventReader::kind() const {
  switch (impl_->event().type) {
    case YAML_STREAM_START_EVENT:
      return Kind::kStreamStart;
    case YAML_STREAM_END_EVENT:
      return Kind::kStreamEnd;
    case YAML_DOCUMENT_START_EVENT:
      return Kind::kDocumentStart;
    case YAML_DOCUMENT_END_EVENT:
      return Kind::kDocumentEnd;
    case YAML_ALIAS_EVENT:
      return Kind::kAlias;
    case YAML_SCALAR_EVENT:
      return Kind::kScalar;
    case YAML_SEQUENCE_START_EVENT:
      return Kind::kSequenceStart;
    case YAML_SEQUENCE_END_EVENT:
      return Kind::kSequenceEnd;
    case YAML_MAPPING_START_EVENT:
      return Kind::kMapStart;
    case YAML_MAPPING_END_EVENT:
      return Kind::kMapEnd;
    case YAML_NO_EVENT:
      break;
  }
  return Kind::kNone;
}

int EventReader::line() const { return static_cast<int>(impl_->event().start_mark.line) + 1; }

std::string_view EventReader::scalar() const {
  const yaml_event_t& e = impl_->event();
  if (e.type != YAML_SCALAR_EVENT) return {};
  return {reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length};
}

bool EventReader::scalarIsString() const {
  const yaml_event_t& e = impl_->event();
  if (e.type != YAML_SCALAR_EVENT) return false;
  if (e.data.scalar.tag) return reinterpret_cast<const char*>(e.data.scalar.tag) == std::string_view(kStrTag);
  if (e.data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return true;
  return !plainLooksNonString(scalar());
}

Result<TreeNode> EventReader::readNode() { return impl_->build(0); }

namespace {

Result<TreeNode> readDocument(EventReader& reader) {
  TreeNode root;
  int documents = 0;
  for (;;) {
    if (Status s = reader.next(); !s.ok()) return s.error();
    const EventReader::Kind kind = reader.kind();
    if (kind == EventReader::Kind::kStreamEnd) break;
    if (kind == EventReader::Kind::kStreamStart || kind == EventReader::Kind::kDocumentEnd) continue;
    if (kind == EventReader::Kind::kDocumentStart) {
      if (++documents > 1) return makeError(ErrorKind::kParse, "more than one YAML document");
      if (Status s = reader.next(); !s.ok()) return s.error();
      auto node = reader.readNode();
      if (!node.ok()) return node;
      root = std::move(node.value());
      continue;
    }
    return makeError(ErrorKind::kParse, "unexpected YAML event");
  }
  return root;
}

}  // namespace

const TreeNode* TreeNode::find(std::string_view key) const {
  if (kind != Kind::kMap) return nullptr;
  for (size_t i = 0; i + 1 < children.size(); i += 2) {
    if (children[i].kind == Kind::kScalar && children[i].value == key) return &children[i + 1];
  }
  return nullptr;
}

std::string aliasNotAllowed(std::string_view name, int line) {
  return "YAML alias *" + std::string(name) + " at line " + std::to_string(line) +
         " is not allowed (aliases can expand a small document to gigabytes; write the value out)";
}

FoundAlias findAlias(std::string_view text) {
  EventReader reader(text);
  for (;;) {
    if (!reader.next().ok()) return {};  // a syntax error is the caller's parser's to report
    if (reader.kind() == EventReader::Kind::kStreamEnd) return {};
    if (reader.kind() == EventReader::Kind::kAlias) return FoundAlias{reader.aliasName(), reader.line()};
  }
}

Result<TreeNode> parseTree(std::string_view text) {
  EventReader reader(text);
  return readDocument(reader);
}

bool isStringScalar(const TreeNode& node) {
  if (node.kind != TreeNode::Kind::kScalar) return false;
  if (node.tag == "!" || node.tag == kStrTag) return true;
  if (node.tag == "?") return !plainLooksNonString(node.value);
  return false;
}

YAML::Node toYamlCpp(const TreeNode& node) {
  switch (node.kind) {
    case TreeNode::Kind::kNull:
      return YAML::Node(YAML::NodeType::Null);
    case TreeNode::Kind::kScalar: {
      YAML::Node n(node.value);
      n.SetTag(node.tag);
      return n;
    }
    case TreeNode::Kind::kSequence: {
      YAML::Node n(YAML::NodeType::Sequence);
      for (const auto& c : node.children) n.push_back(toYamlCpp(c));
      return n;
    }
    case TreeNode::Kind::kMap: {
      YAML::Node n(YAML::NodeType::Map);
      for (size_t i = 0; i + 1 < node.children.size(); i += 2) {
        n.force_insert(toYamlCpp(node.children[i]), toYamlCpp(node.children[i + 1]));
      }
      return n;
    }
  }
  return YAML::Node();
}

}  // namespace aar::core::yaml
