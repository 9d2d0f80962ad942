#include "tokenizer/stream_decoder.h"

#include "tokenizer/tokenizer.h"

namespace dsinfer {

namespace {
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
}  // namespace

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(&tokenizer), skip_special_(skip_special) {}

std::string StreamDecoder::push(int32_t id) {
  ids_.push_back(id);
  const std::string text = tokenizer_->decode(ids_, skip_special_);
  // 结尾的 U+FFFD 可能只是多字节字符还没写完；文本若没越过前缀也无可输出。
  if (text.size() <= prefix_text_.size() || text.ends_with(kReplacement)) return {};
  // 对 ByteLevel / ByteFallback 等解码器，在字符边界处结束的前缀解码结果不会再改变。
  if (text.compare(0, prefix_text_.size(), prefix_text_) != 0) return {};
  std::string fresh = text.substr(prefix_text_.size());
  // 刚输出的 token 成为新的前缀上下文，丢掉更早的，使每步只解码少量 token。
  ids_.erase(ids_.begin(), ids_.begin() + long(prefix_count_));
  prefix_count_ = ids_.size();
  prefix_text_ = tokenizer_->decode(ids_, skip_special_);
  return fresh;
}

std::string StreamDecoder::flush() {
  const std::string text = tokenizer_->decode(ids_, skip_special_);
  std::string rest =
      text.compare(0, prefix_text_.size(), prefix_text_) == 0
          ? text.substr(prefix_text_.size())
          : tokenizer_->decode(std::vector<int32_t>(ids_.begin() + long(prefix_count_), ids_.end()), skip_special_);
  reset();
  return rest;
}

void StreamDecoder::reset() {
  ids_.clear();
  prefix_count_ = 0;
  prefix_text_.clear();
}

}  // namespace dsinfer
