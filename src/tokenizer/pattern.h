// tokenizer.json 中的 pattern 字段：{"String": "..."}（字面量）或 {"Regex": "..."}。
// Split 预分词器、Replace normalizer 与 Replace 解码器共用；语义对齐 tokenizers 的 Pattern。
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/regex.h"

namespace dsinfer {

class JsonField;

// 覆盖整段文本的一段：匹配段或非匹配段。
struct PatternSpan {
  size_t begin, end;
  bool is_match;
};

class Pattern {
 public:
  explicit Pattern(const JsonField& field);

  // 把 text 切成首尾相接的匹配 / 非匹配段（空文本得到一个空的非匹配段）。
  void find_matches(std::string_view text, std::vector<PatternSpan>& out) const;
  // 每个匹配段替换为 content。
  std::string replace(std::string_view text, std::string_view content) const;

 private:
  Regex regex_;
  bool empty_literal_;  // 空字面量什么也不匹配（tokenizers 的约定）
};

}  // namespace dsinfer
