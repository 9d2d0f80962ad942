// tokenizer.json 的 decoder 部分：ByteLevel，以及 sentencepiece 风格用到的
// Sequence / Replace / ByteFallback / Fuse / Strip。语义对齐 tokenizers 的 decode_chain：
// 每个解码器把 token 字符串列表变换为新的列表，最后拼接。
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace dsinfer {

class JsonField;

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// null 返回 nullptr（此时 token 以空格连接，同 tokenizers）。
std::unique_ptr<Decoder> make_decoder(const JsonField& field);

}  // namespace dsinfer
