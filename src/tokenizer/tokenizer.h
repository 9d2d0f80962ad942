// 公开的分词器接口：从 Hugging Face 格式的 tokenizer.json（可选 tokenizer_config.json）加载，
// 编码结果与 tokenizers 库逐 id 一致（见 docs/tokenizer.md）。
// 线程安全：加载后所有方法都是 const，可多线程并发调用。
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dsinfer {

class Tokenizer {
 public:
  // path_or_dir：模型目录（含 tokenizer.json，可选 tokenizer_config.json）或 tokenizer.json 文件
  // （同目录下的 tokenizer_config.json 若存在也会读取，用于 BOS/EOS）。
  // 文件缺失抛出 Error(kIo)，内容不合法抛出 Error(kFormat) 并点名字段。
  static Tokenizer load(const std::string& path_or_dir);
  // 从内存中的文本构造（测试与 fuzz 用）；config_json 为空表示没有 tokenizer_config.json。
  static Tokenizer from_json(std::string_view tokenizer_json, std::string_view config_json = {});

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // 文本中出现的 added token（如 <｜User｜>）直接成为其 id。
  // add_bos：post_processor 为 TemplateProcessing 时按模板加 special token，否则在开头加 BOS；
  // 无法确定 BOS 时抛出 Error(kConfig)。text 不是合法 UTF-8 时抛出 Error(kInvalidArgument)。
  std::vector<int32_t> encode(std::string_view text, bool add_bos = false) const;
  // 与 tokenizers 的 decode 相同：未知 id 被跳过；skip_special 时跳过 special token。
  std::string decode(std::span<const int32_t> ids, bool skip_special = false) const;

  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> eos_id() const;
  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int32_t id) const;
  bool is_special(int32_t id) const;
  // 最大 id + 1（含 added tokens）。
  size_t vocab_size() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dsinfer
