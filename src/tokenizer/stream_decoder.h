// 流式解码：生成时每来一个 token id 就给出可以立即打印的文本。
// 保证：每次输出都是完整合法的 UTF-8；所有输出（含 flush）拼起来等于 decode(全部 id)，每个字节恰好一次。
// 做法（同 tokenizers 的 DecodeStream）：保留一小段已输出 token 作前缀上下文，对“前缀 + 新 token”整体解码，
// 输出超出前缀文本的部分；结尾是未写完的多字节字符（解码为 U+FFFD）时先不输出，等后续 token。
// 非线程安全：每条生成流一个实例。
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsinfer {

class Tokenizer;

class StreamDecoder {
 public:
  // tokenizer 须比 StreamDecoder 活得久。
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = false);

  // 加入一个 id，返回现在可以输出的文本（可能为空）。
  std::string push(int32_t id);
  // 输出所有剩余文本（包括无法补全的残缺字符，按 U+FFFD 输出），并清空状态。
  std::string flush();
  // 丢弃状态，开始一条新的流（如聊天的 /reset）。
  void reset();

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_;
  std::vector<int32_t> ids_;  // 前缀上下文 + 尚未输出的 token
  size_t prefix_count_ = 0;   // ids_ 中前 prefix_count_ 个已输出
  std::string prefix_text_;   // decode(ids_[0 .. prefix_count_))
};

}  // namespace dsinfer
