#include "core/libyaml_emitter.hpp"

#include <yaml-cpp/yaml.h>
#include <yaml.h>

#include <climits>

#include "core/yaml_util.hpp"

namespace aar::core::yaml {
namespace {

constexpr char kNullText[] = "~";

int appendToString(void* data, unsigned char* buffer, size_t size) {
  static_cast<std::string*>(data)->append(reinterpret_cast<const char*>(buffer), size);
  return 1;
}

const yaml_char_t* bytes(const char* s) { return reinterpret_cast<const yaml_char_t*>(s); }

}  // namespace

void LibyamlEmitter::Deleter::operator()(yaml_emitter_s* e) const {
  yaml_emitter_delete(e);
  delete e;
}

LibyamlEmitter::LibyamlEmitter() : emitter_(new yaml_emitter_t) {
  yaml_emitter_t* e = emitter_.get();
  if (!yaml_emitter_initialize(e)) {
    // Only fails on allocation failure; yaml_emitter_delete copes with a zeroed emitter.
    error_ = "cannot initialize libyaml's emitter";
    return;
  }
  yaml_emitter_set_output(e, appendToString, &out_);
  yaml_emitter_set_encoding(e, YAML_UTF8_ENCODING);
  yaml_emitter_set_unicode(e, 1);
  yaml_emitter_set_width(e, -1);  // no folding of long lines
  yaml_emitter_set_indent(e, 2);
  yaml_emitter_set_break(e, YAML_LN_BREAK);
  yaml_event_t event;
  emit(&event, yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING) != 0);
  emit(&event, yaml_document_start_event_initialize(&event, nullptr, nullptr, nullptr, 1) != 0);
}

LibyamlEmitter::~LibyamlEmitter() = default;

void LibyamlEmitter::emit(yaml_event_s* event, bool initialized) {
  if (!error_.empty()) {
    if (initialized) yaml_event_delete(event);
    return;
  }
  if (!initialized) {
    error_ = "cannot build a libyaml event";
    return;
  }
  // yaml_emitter_emit takes ownership of the event, also when it fails.
  if (!yaml_emitter_emit(emitter_.get(), event)) {
    const char* problem = emitter_->problem;
    error_ = problem ? problem : "libyaml emitter error";
  }
}

void LibyamlEmitter::beginSequence() {
  yaml_event_t event;
  emit(&event,
       yaml_sequence_start_event_initialize(&event, nullptr, nullptr, 1, YAML_BLOCK_SEQUENCE_STYLE) != 0);
}

void LibyamlEmitter::endSequence() {
  yaml_event_t event;
  emit(&event, yaml_sequence_end_event_initialize(&event) != 0);
}

void LibyamlEmitter::beginMap() {
  yaml_event_t event;
  emit(&event,
       yaml_mapping_start_event_initialize(&event, nullptr, nullptr, 1, YAML_BLOCK_MAPPING_STYLE) != 0);
}

void LibyamlEmitter::endMap() {
  yaml_event_t event;
  emit(&event, yaml_mapping_end_event_initialize(&event) != 0);
}

void LibyamlEmitter::scalar(std::string_view value, const char* tag, bool plain_implicit,
                            bool force_double_quoted) {
  yaml_event_t event;
  if (value.size() > static_cast<size_t>(INT_MAX)) {
    error_ = "scalar too long";
    return;
  }
  const bool implicit = tag == nullptr;
  const yaml_scalar_style_t style =
      force_double_quoted ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE;
  emit(&event, yaml_scalar_event_initialize(&event, nullptr, implicit ? nullptr : bytes(tag),
                                            bytes(value.data()), static_cast<int>(value.size()),
                                            implicit && plain_implicit, implicit, style) != 0);
}

void LibyamlEmitter::string(std::string_view value) {
  const bool misread_if_plain = plainLooksNonString(value);
  scalar(value, nullptr, !misread_if_plain, misread_if_plain);
}

void LibyamlEmitter::null() { scalar(kNullText, nullptr, true, false); }

void LibyamlEmitter::node(const YAML::Node& node) {
  if (!node.IsDefined()) {
    null();
    return;
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      null();
      return;
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      if (isExplicitTag(tag)) {
        scalar(node.Scalar(), tag.c_str(), false, false);
      } else if (isStringScalar(node)) {
        string(node.Scalar());
      } else {
        scalar(node.Scalar(), nullptr, true, false);  // a plain number or boolean: keep it plain.
      }
      return;
    }
    case YAML::NodeType::Sequence:
      beginSequence();
      for (const auto& item : node) this->node(item);
      endSequence();
      return;
    case YAML::NodeType::Map:
      beginMap();
      for (const auto& kv : node) {
        this->node(kv.first);
        this->node(kv.second);
      }
      endMap();
      return;
  }
}

Result<std::string> LibyamlEmitter::finish() {
  yaml_event_t event;
  emit(&event, yaml_document_end_event_initialize(&event, 1) != 0);
  emit(&event, yaml_stream_end_event_initialize(&event) != 0);
  if (!error_.empty()) return makeError(ErrorKind::kInternal, "YAML emitter: " + error_);
  return std::move(out_);
}

}  // namespace aar::core::yaml
