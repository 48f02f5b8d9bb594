#include "fakes/kube/selector.hpp"

#include <algorithm>

namespace aar::testing::kube {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Splits on commas that are not inside parentheses.
std::vector<std::string> splitTerms(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!trim(current).empty() || !out.empty()) out.push_back(trim(current));
  return out;
}

std::vector<std::string> splitValues(const std::string& inside) {
  std::vector<std::string> values;
  size_t start = 0;
  while (true) {
    size_t comma = inside.find(',', start);
    values.push_back(
        trim(inside.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return values;
}

std::optional<std::string> fieldValue(const nlohmann::json& object, const std::string& path) {
  const nlohmann::json* node = &object;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object() || !node->contains(part)) return std::nullopt;
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (node->is_string()) return node->get<std::string>();
  if (node->is_null()) return std::nullopt;
  return node->dump();
}

}  // namespace

std::optional<Selector> Selector::parseFields(const std::string& text, std::string* error) {
  Selector selector;
  for (const std::string& term_text : splitTerms(text)) {
    Term term;
    size_t pos;
    if ((pos = term_text.find("!=")) != std::string::npos) {
      term.op = Op::kNotEquals;
      term.key = trim(term_text.substr(0, pos));
      term.values = {trim(term_text.substr(pos + 2))};
    } else if ((pos = term_text.find("==")) != std::string::npos) {
      term.key = trim(term_text.substr(0, pos));
      term.values = {trim(term_text.substr(pos + 2))};
    } else if ((pos = term_text.find('=')) != std::string::npos) {
      term.key = trim(term_text.substr(0, pos));
      term.values = {trim(term_text.substr(pos + 1))};
    } else {
      *error = "invalid field selector: '" + text + "': " + "invalid selector: '" + term_text +
               "'; can't understand '" + term_text + "'";
      return std::nullopt;
    }
    if (term.key.empty()) {
      *error = "invalid field selector: '" + text + "'";
      return std::nullopt;
    }
    selector.terms_.push_back(std::move(term));
  }
  return selector;
}

std::optional<Selector> Selector::parseLabels(const std::string& text, std::string* error) {
  Selector selector;
  selector.labels_ = true;
  for (const std::string& term_text : splitTerms(text)) {
    Term term;
    size_t pos;
    size_t paren = term_text.find('(');
    if (term_text.empty()) {
      *error = "unable to parse requirement: found '', expected: identifier";
      return std::nullopt;
    }
    if (paren != std::string::npos) {
      if (term_text.back() != ')') {
        *error = "unable to parse requirement: found '" + term_text + "', expected: ')'";
        return std::nullopt;
      }
      std::string head = trim(term_text.substr(0, paren));
      std::string inside = term_text.substr(paren + 1, term_text.size() - paren - 2);
      size_t space = head.find_last_of(" \t");
      if (space == std::string::npos) {
        *error = "unable to parse requirement: '" + term_text + "'";
        return std::nullopt;
      }
      std::string op = trim(head.substr(space + 1));
      term.key = trim(head.substr(0, space));
      if (op == "in") {
        term.op = Op::kIn;
      } else if (op == "notin") {
        term.op = Op::kNotIn;
      } else {
        *error = "unable to parse requirement: unknown operator '" + op + "'";
        return std::nullopt;
      }
      term.values = splitValues(inside);
    } else if ((pos = term_text.find("!=")) != std::string::npos) {
      term.op = Op::kNotEquals;
      term.key = trim(term_text.substr(0, pos));
      term.values = {trim(term_text.substr(pos + 2))};
    } else if ((pos = term_text.find("==")) != std::string::npos) {
      term.key = trim(term_text.substr(0, pos));
      term.values = {trim(term_text.substr(pos + 2))};
    } else if ((pos = term_text.find('=')) != std::string::npos) {
      term.key = trim(term_text.substr(0, pos));
      term.values = {trim(term_text.substr(pos + 1))};
    } else if (term_text[0] == '!') {
      term.op = Op::kNotExists;
      term.key = trim(term_text.substr(1));
    } else {
      term.op = Op::kExists;
      term.key = term_text;
    }
    if (term.key.empty() || term.key.find_first_of(" \t") != std::string::npos) {
      *error = "unable to parse requirement: invalid label key '" + term.key + "'";
      return std::nullopt;
    }
    selector.terms_.push_back(std::move(term));
  }
  return selector;
}

bool Selector::matches(const nlohmann::json& object) const {
  for (const Term& term : terms_) {
    std::optional<std::string> value;
    if (labels_) {
      const nlohmann::json* labels = nullptr;
      if (object.contains("metadata") && object["metadata"].contains("labels"))
        labels = &object["metadata"]["labels"];
      if (labels != nullptr && labels->is_object() && labels->contains(term.key) &&
          (*labels)[term.key].is_string()) {
        value = (*labels)[term.key].get<std::string>();
      }
    } else {
      value = fieldValue(object, term.key);
      if (!value) value = "";
    }
    const auto& vs = term.values;
    bool in = value && std::find(vs.begin(), vs.end(), *value) != vs.end();
    switch (term.op) {
      case Op::kEquals:
      case Op::kIn:
        if (!in) return false;
        break;
      case Op::kNotEquals:
      case Op::kNotIn:
        if (in) return false;
        break;
      case Op::kExists:
        if (!value) return false;
        break;
      case Op::kNotExists:
        if (value) return false;
        break;
    }
  }
  return true;
}

}  // namespace aar::testing::kube
