// tokenizer_config.json（transformers 的配置）中本引擎用到的字段：bos_token、eos_token、chat_template。
// token 字段既可以是字符串，也可以是 {"content": …} 形式的 AddedToken 对象。
#pragma once

#include <optional>
#include <string>

namespace dsinfer {

struct TokenizerConfig {
  std::optional<std::string> bos_token, eos_token, chat_template;
};

// text 为文件内容，file 只用于报错。chat_template 为列表时取名为 "default" 的一项。
TokenizerConfig parse_tokenizer_config(std::string_view text, const std::string& file);

// 模型目录或 tokenizer.json 路径 → (tokenizer.json 路径, tokenizer_config.json 路径)。
struct TokenizerPaths {
  std::string tokenizer_json, tokenizer_config;
};
TokenizerPaths resolve_tokenizer_paths(const std::string& path_or_dir);

}  // namespace dsinfer
