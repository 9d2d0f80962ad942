// ReplyText：把生成的 token 变成发给客户端的文本增量。三层，依次：
//   1. 流式解码（tokenizer/stream_decoder.h）：只输出完整的 UTF-8 字符，跳过 special token；
//   2. 停止字符串：输出中出现任一停止字符串即停止，停止字符串本身与其后的文本不输出；可能是停止字符串
//      开头的尾巴先扣住，等后续文本确认；
//   3. 推理内容：DeepSeek-R1 式的 <think>…</think> 拆到 reasoning 里（与 DeepSeek 官方 API 的
//      reasoning_content 相同），之后的文本进 content；不拆时全部进 content。提示以 <think> 结尾
//      （R1 新版模板）时从推理内容开始。拆分时推理内容与其后 content 的开头空白去掉。
// 非线程安全：每个请求一个实例。
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer::server {

class ReplyText {
 public:
  struct Delta {
    std::string content, reasoning;
    bool empty() const { return content.empty() && reasoning.empty(); }
  };

  ReplyText(const Tokenizer& tokenizer, std::vector<std::string> stop, bool split_reasoning, bool starts_in_reasoning);

  // 加入一个 token。stopped() 变为 true 之后加入的 token 被忽略。
  Delta push(int32_t id);
  // 序列结束：输出扣住的文本
  Delta finish();
  // 命中了停止字符串
  bool stopped() const { return stopped_; }
  // 到目前为止输出的全部文本
  const std::string& content() const { return content_; }
  const std::string& reasoning() const { return reasoning_; }

 private:
  enum class Mode { kStart, kReasoning, kContent };
  Delta accept(const std::string& piece, bool final);
  void route(std::string text, bool final, Delta& out);
  void append(std::string text, std::string& total, std::string& delta);

  StreamDecoder decoder_;
  std::vector<std::string> stop_;
  bool split_;
  Mode mode_;
  std::string held_;                              // 可能是停止字符串开头的尾巴
  std::string tag_held_;                          // 可能是 <think> / </think> 开头的尾巴
  bool stopped_ = false, strip_leading_ = false;  // 推理内容与其后 content 的开头空白去掉
  std::string content_, reasoning_;
};

}  // namespace dsinfer::server
