#include "core/config_map.hpp"

#include <yaml-cpp/yaml.h>

#include "core/yaml_util.hpp"

namespace aar::core {
namespace {

Error invalid(std::string_view source, std::string message) {
  return makeError(ErrorKind::kInvalidArgument, std::string(source) + ": " + std::move(message));
}

std::string lineText(const YAML::Node& node) { return "line " + std::to_string(yaml::lineOf(node)) + ": "; }

// Reads a map of string to string (data, annotations). Returns an error message or empty.
std::string readStringMap(const YAML::Node& node, std::string_view field,
                          std::map<std::string, std::string>* out) {
  if (!node.IsDefined() || node.IsNull()) return {};
  if (!node.IsMap()) return lineText(node) + std::string(field) + " must be a map of strings";
  if (const auto dup = yaml::findDuplicateKey(node); !dup.key.empty()) {
    return "line " + std::to_string(dup.line) + ": duplicate key \"" + dup.key + "\" in " +
           std::string(field);
  }
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return lineText(kv.first) + std::string(field) + " keys must be strings";
    if (kv.second.IsNull()) {
      (*out)[kv.first.Scalar()] = "";
    } else if (!kv.second.IsScalar()) {
      return lineText(kv.second) + std::string(field) + "." + kv.first.Scalar() + " must be a string";
    } else {
      (*out)[kv.first.Scalar()] = kv.second.Scalar();
    }
  }
  return {};
}

// A value that a literal block (`|`, clip chomping) represents exactly: several lines, one final newline,
// no carriage returns, tabs or trailing spaces, and a first line that does not start with a space.
bool literalSafe(const std::string& v) {
  if (v.size() < 2 || v.back() != '\n' || v[v.size() - 2] == '\n') return false;
  if (v.front() == ' ' || v.front() == '\n') return false;
  for (size_t i = 0; i < v.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(v[i]);
    if (c == '\r' || c == '\t' || (c < 0x20 && c != '\n') || c == 0x7f) return false;
    if (c == '\n' && i > 0 && v[i - 1] == ' ') return false;
  }
  return true;
}

void emitStringMap(YAML::Emitter& out, const std::map<std::string, std::string>& m, bool allow_literal) {
  out << YAML::BeginMap;
  for (const auto& [k, v] : m) {
    out << YAML::Key;
    yaml::emitString(out, k);
    out << YAML::Value;
    if (allow_literal && literalSafe(v)) {
      // yaml-cpp always writes `|` (clip: the value ends with one newline) and adds its own line break, so it
      // is given the value without its final newline. emitConfigMapManifest checks the result reads back
      // exactly.
      out << YAML::Literal << v.substr(0, v.size() - 1);
    } else if (v.find('\n') != std::string::npos) {
      out << YAML::DoubleQuoted << v;
    } else {
      yaml::emitString(out, v);
    }
  }
  out << YAML::EndMap;
}

void emitMetadata(YAML::Emitter& out, const YAML::Node& metadata, const ConfigMapContent& content) {
  out << YAML::BeginMap;
  bool wrote_annotations = false;
  if (metadata.IsMap()) {
    for (const auto& kv : metadata) {
      if (kv.first.IsScalar() && kv.first.Scalar() == "annotations") {
        if (content.annotations.empty()) continue;
        out << YAML::Key << "annotations" << YAML::Value;
        emitStringMap(out, content.annotations, false);
        wrote_annotations = true;
        continue;
      }
      out << YAML::Key;
      yaml::emitNode(out, kv.first);
      out << YAML::Value;
      yaml::emitNode(out, kv.second);
    }
  }
  if (!wrote_annotations && !content.annotations.empty()) {
    out << YAML::Key << "annotations" << YAML::Value;
    emitStringMap(out, content.annotations, false);
  }
  out << YAML::EndMap;
}

Result<std::string> emitWith(const YAML::Node& root, const ConfigMapContent& content, bool allow_literal) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  bool wrote_data = false, wrote_metadata = false;
  for (const auto& kv : root) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    if (key == "data") {
      if (content.data.empty()) continue;
      out << YAML::Key << "data" << YAML::Value;
      emitStringMap(out, content.data, allow_literal);
      wrote_data = true;
    } else if (key == "metadata") {
      out << YAML::Key << "metadata" << YAML::Value;
      emitMetadata(out, kv.second, content);
      wrote_metadata = true;
    } else {
      out << YAML::Key;
      yaml::emitNode(out, kv.first);
      out << YAML::Value;
      yaml::emitNode(out, kv.second);
    }
  }
  if (!wrote_metadata && !content.annotations.empty()) {
    out << YAML::Key << "metadata" << YAML::Value;
    emitMetadata(out, YAML::Node(), content);
  }
  if (!wrote_data && !content.data.empty()) {
    out << YAML::Key << "data" << YAML::Value;
    emitStringMap(out, content.data, allow_literal);
  }
  out << YAML::EndMap;
  if (!out.good())
    return makeError(ErrorKind::kInternal, std::string("manifest emitter: ") + out.GetLastError());
  return std::string(out.c_str(), out.size()) + "\n";
}

}  // namespace

size_t dataSize(const std::map<std::string, std::string>& data) {
  size_t n = 0;
  for (const auto& [k, v] : data) n += k.size() + v.size();
  return n;
}

size_t annotationsSize(const std::map<std::string, std::string>& annotations) {
  return dataSize(annotations);
}

Result<ConfigMapManifest> parseConfigMapManifest(std::string_view yaml_text, std::string_view source_name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return invalid(source_name, "YAML syntax error at line " + std::to_string(e.mark.line + 1) + ", column " +
                                    std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) return invalid(source_name, "expected a ConfigMap manifest (a YAML map)");
  if (const auto dup = yaml::findDuplicateKey(root); !dup.key.empty()) {
    return invalid(source_name, "line " + std::to_string(dup.line) + ": duplicate key \"" + dup.key + "\"");
  }
  const YAML::Node kind = root["kind"];
  if (!kind.IsDefined() || !kind.IsScalar() || kind.Scalar() != "ConfigMap") {
    return invalid(source_name, "kind must be ConfigMap");
  }
  ConfigMapManifest manifest;
  manifest.source = std::string(yaml_text);
  const YAML::Node metadata = root["metadata"];
  if (metadata.IsDefined() && !metadata.IsNull()) {
    if (!metadata.IsMap()) return invalid(source_name, lineText(metadata) + "metadata must be a map");
    if (const auto dup = yaml::findDuplicateKey(metadata); !dup.key.empty()) {
      return invalid(source_name, "line " + std::to_string(dup.line) + ": duplicate key \"" + dup.key + "\"");
    }
    const YAML::Node name = metadata["name"];
    const YAML::Node namespace_name = metadata["namespace"];
    if (name.IsDefined() && name.IsScalar()) manifest.name = name.Scalar();
    if (namespace_name.IsDefined() && namespace_name.IsScalar())
      manifest.namespace_name = namespace_name.Scalar();
    if (auto m =
            readStringMap(metadata["annotations"], "metadata.annotations", &manifest.content.annotations);
        !m.empty()) {
      return invalid(source_name, m);
    }
  }
  if (auto m = readStringMap(root["data"], "data", &manifest.content.data); !m.empty()) {
    return invalid(source_name, m);
  }
  return manifest;
}

Result<std::string> emitConfigMapManifest(const ConfigMapManifest& original,
                                          const ConfigMapContent& content) {
  YAML::Node root;
  try {
    root = YAML::Load(original.source);
  } catch (const YAML::Exception& e) {
    return makeError(ErrorKind::kInternal, std::string("manifest no longer parses: ") + e.what());
  }
  if (!root.IsMap()) return makeError(ErrorKind::kInternal, "manifest is not a map");
  for (bool allow_literal : {true, false}) {
    auto text = emitWith(root, content, allow_literal);
    if (!text.ok()) return text;
    auto back = parseConfigMapManifest(*text, "emitted manifest");
    if (back.ok() && back->content == content) return text;
  }
  return makeError(ErrorKind::kInternal,
                   "emitted manifest does not read back as the intended data and annotations");
}

}  // namespace aar::core
