#include "tokenizer/pre_tokenizer.h"

#include "core/error.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/json_field.h"
#include "tokenizer/pattern.h"

namespace dsinfer {

namespace {

enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };

Behavior parse_behavior(const JsonField& f) {
  const std::string b = f.str();
  if (b == "Removed") return Behavior::kRemoved;
  if (b == "Isolated") return Behavior::kIsolated;
  if (b == "MergedWithPrevious") return Behavior::kMergedWithPrevious;
  if (b == "MergedWithNext") return Behavior::kMergedWithNext;
  if (b == "Contiguous") return Behavior::kContiguous;
  f.fail(cat("是未知的 behavior '", b, "'（支持 Removed、Isolated、MergedWithPrevious、MergedWithNext、Contiguous）"));
}

// 按 behavior 合并匹配段与非匹配段（对齐 tokenizers NormalizedString::split），非空片段追加到 out。
void split_by_behavior(std::string_view text, std::vector<PatternSpan>& spans, Behavior behavior,
                       std::vector<std::string_view>& out) {
  struct Part {
    size_t begin, end;
    bool removed;
  };
  thread_local std::vector<Part> parts;
  parts.clear();
  bool previous_match = false;
  switch (behavior) {
    case Behavior::kRemoved:
    case Behavior::kIsolated:
      for (const auto& s : spans) parts.push_back({s.begin, s.end, behavior == Behavior::kRemoved && s.is_match});
      break;
    case Behavior::kContiguous:
    case Behavior::kMergedWithPrevious:
      for (const auto& s : spans) {
        const bool merge =
            behavior == Behavior::kContiguous ? s.is_match == previous_match : s.is_match && !previous_match;
        if (merge && !parts.empty())
          parts.back().end = s.end;
        else
          parts.push_back({s.begin, s.end, false});
        previous_match = s.is_match;
      }
      break;
    case Behavior::kMergedWithNext:
      for (size_t i = spans.size(); i-- > 0;) {
        const auto& s = spans[i];
        if (s.is_match && !previous_match && !parts.empty())
          parts.back().begin = s.begin;
        else
          parts.push_back({s.begin, s.end, false});
        previous_match = s.is_match;
      }
      for (size_t i = parts.size(); i-- > 0;)
        if (!parts[i].removed && parts[i].end > parts[i].begin)
          out.push_back(text.substr(parts[i].begin, parts[i].end - parts[i].begin));
      return;
  }
  for (const auto& p : parts)
    if (!p.removed && p.end > p.begin) out.push_back(text.substr(p.begin, p.end - p.begin));
}

// 用 pattern 细分每个片段；Split、Digits 与 ByteLevel 的正则都走这里。
void split_pieces(PieceBuffer& buf, const Pattern& pattern, Behavior behavior, bool invert) {
  thread_local std::vector<PatternSpan> spans;
  buf.scratch.clear();
  for (const std::string_view piece : buf.pieces) {
    pattern.find_matches(piece, spans);
    if (invert)
      for (auto& s : spans) s.is_match = !s.is_match;
    split_by_behavior(piece, spans, behavior, buf.scratch);
  }
  buf.pieces.swap(buf.scratch);
}

nlohmann::json regex_pattern_json(const char* regex) {
  return {{"Regex", regex}};
}

class SplitPreTokenizer final : public PreTokenizer {
 public:
  explicit SplitPreTokenizer(const JsonField& f)
      : pattern_(f["pattern"]), behavior_(parse_behavior(f["behavior"])), invert_(f.boolean_or("invert", false)) {}
  void pre_tokenize(PieceBuffer& buf) const override { split_pieces(buf, pattern_, behavior_, invert_); }

 private:
  Pattern pattern_;
  Behavior behavior_;
  bool invert_;
};

// Digits：数字（Unicode N 类，同 Rust char::is_numeric）逐个或成段切出。
class DigitsPreTokenizer final : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(const JsonField& f)
      : pattern_(JsonField(numeric_json(), "", "")),
        behavior_(f.boolean_or("individual_digits", false) ? Behavior::kIsolated : Behavior::kContiguous) {}
  void pre_tokenize(PieceBuffer& buf) const override { split_pieces(buf, pattern_, behavior_, false); }

 private:
  static const nlohmann::json& numeric_json() {
    static const nlohmann::json kJson = regex_pattern_json("\\p{N}");
    return kJson;
  }
  Pattern pattern_;
  Behavior behavior_;
};

// GPT-2 的切分正则（tokenizers 的 ByteLevel 内置同一条）。
constexpr const char* kGpt2Regex = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

std::string with_leading_space(std::string_view piece) {
  std::string s;
  s.reserve(piece.size() + 1);
  s += ' ';
  s.append(piece);
  return s;
}

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(const JsonField& f, bool defer_mapping)
      : pattern_(JsonField(gpt2_json(), "", "")),
        add_prefix_space_(f.boolean_or("add_prefix_space", true)),
        use_regex_(f.boolean_or("use_regex", true)),
        defer_mapping_(defer_mapping) {}

  void pre_tokenize(PieceBuffer& buf) const override {
    if (add_prefix_space_)
      for (auto& piece : buf.pieces)
        if (piece.front() != ' ') piece = buf.own(with_leading_space(piece));
    if (use_regex_) split_pieces(buf, pattern_, Behavior::kIsolated, false);
    if (!defer_mapping_)
      for (auto& piece : buf.pieces) piece = buf.own(byte_level::encode(piece));
  }

 private:
  static const nlohmann::json& gpt2_json() {
    static const nlohmann::json kJson = regex_pattern_json(kGpt2Regex);
    return kJson;
  }
  Pattern pattern_;
  bool add_prefix_space_, use_regex_, defer_mapping_;
};

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(PieceBuffer& buf) const override {
    for (const auto& s : steps_) s->pre_tokenize(buf);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

std::unique_ptr<PreTokenizer> make_step(const JsonField& field, bool is_tail, bool* byte_level_tail) {
  const std::string type = field["type"].str();
  if (type == "Split") return std::make_unique<SplitPreTokenizer>(field);
  if (type == "Digits") return std::make_unique<DigitsPreTokenizer>(field);
  if (type == "ByteLevel") {
    if (is_tail) *byte_level_tail = true;
    return std::make_unique<ByteLevelPreTokenizer>(field, is_tail);
  }
  if (type == "Sequence") {
    const JsonField list = field["pretokenizers"];
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list.size(); ++i)
      steps.push_back(make_step(list.at(i), is_tail && i + 1 == list.size(), byte_level_tail));
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  field["type"].fail(cat("是不支持的 pre_tokenizer 类型 '", type, "'（支持 Split、ByteLevel、Digits、Sequence）"));
}

}  // namespace

std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonField& field, bool* byte_level_tail) {
  *byte_level_tail = false;
  if (field.is_null()) return nullptr;
  return make_step(field, true, byte_level_tail);
}

}  // namespace dsinfer
