// tokenizer.json 的 pre_tokenizer 部分：Split（正则或字面量，五种 behavior 与 invert）、
// ByteLevel（add_prefix_space / use_regex）、Digits 与 Sequence。
// 片段以 string_view 表示，尽量指向原文；新生成的文本存放在 PieceBuffer::owned 中。
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer {

class JsonField;

struct PieceBuffer {
  std::vector<std::string_view> pieces;
  std::vector<std::string_view> scratch;
  std::deque<std::string> owned;  // deque：追加元素不移动已有字符串

  std::string_view own(std::string text) {
    owned.push_back(std::move(text));
    return owned.back();
  }
  // 空文本不产生片段（tokenizers 同样丢弃空片段）。
  void reset(std::string_view text) {
    pieces.clear();
    if (!text.empty()) pieces.push_back(text);
    owned.clear();
  }
};

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  // 就地把 buf.pieces 细分；空片段会被丢弃（与 tokenizers 相同）。
  virtual void pre_tokenize(PieceBuffer& buf) const = 0;
};

// null 返回 nullptr。若流水线最后一步是 ByteLevel，它的字节→字符映射被推迟：
// *byte_level_tail 置 true，片段保持原始字节，由 BPE 直接按字节查表（结果相同，但更快）。
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const JsonField& field, bool* byte_level_tail);

}  // namespace dsinfer
