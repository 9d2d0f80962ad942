// tokenizer.json 的 post_processor 部分（只关心加 special token 的那一面）：
// TemplateProcessing 的 single 模板、ByteLevel（对 id 无作用）与 Sequence。
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace dsinfer {

class JsonField;

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  // 按模板在 ids 前后加 special token（相当于 add_special_tokens=True）。
  virtual void add_special_tokens(std::vector<int32_t>& ids) const = 0;
  // 模板是否真的会加 token（ByteLevel 不加）。
  virtual bool adds_tokens() const = 0;
  // 模板开头的 special token（用作没有 tokenizer_config.json 时的 BOS）。
  virtual std::optional<int32_t> leading_token() const = 0;
};

std::unique_ptr<PostProcessor> make_post_processor(const JsonField& field);

}  // namespace dsinfer
