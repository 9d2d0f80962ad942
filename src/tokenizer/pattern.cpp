#include "tokenizer/pattern.h"

#include <utility>

#include "core/error.h"
#include "tokenizer/json_field.h"

namespace dsinfer {

namespace {

Regex compile_pattern(const JsonField& field, bool* empty_literal) {
  if (field.has("String")) {
    const JsonField s = field["String"];
    *empty_literal = s.str().empty();
    return Regex(s.str(), Regex::Syntax::kLiteral, s);
  }
  if (field.has("Regex")) {
    const JsonField r = field["Regex"];
    *empty_literal = false;
    return Regex(r.str(), Regex::Syntax::kRegex, r);
  }
  field.fail("应为 {\"String\": …} 或 {\"Regex\": …}");
}

}  // namespace

Pattern::Pattern(const JsonField& field) : regex_(compile_pattern(field, &empty_literal_)) {}

void Pattern::find_matches(std::string_view text, std::vector<PatternSpan>& out) const {
  out.clear();
  if (text.empty() || empty_literal_) {
    out.push_back({0, text.size(), false});
    return;
  }
  thread_local std::vector<std::pair<size_t, size_t>> matches;
  regex_.find_all(text, matches);
  size_t prev = 0;
  for (const auto& [b, e] : matches) {
    if (prev != b) out.push_back({prev, b, false});
    out.push_back({b, e, true});
    prev = e;
  }
  if (prev != text.size()) out.push_back({prev, text.size(), false});
}

std::string Pattern::replace(std::string_view text, std::string_view content) const {
  thread_local std::vector<PatternSpan> spans;
  find_matches(text, spans);
  std::string out;
  out.reserve(text.size());
  for (const auto& s : spans) {
    if (s.is_match)
      out += content;
    else
      out += text.substr(s.begin, s.end - s.begin);
  }
  return out;
}

}  // namespace dsinfer
