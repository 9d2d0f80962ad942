#include "tokenizer/tokenizer_config.h"

#include <filesystem>

#include "core/error.h"
#include "tokenizer/json_field.h"

namespace dsinfer {

namespace {

std::optional<std::string> token_field(const JsonField& root, const char* key) {
  const JsonField f = root.optional(key);
  if (f.is_null()) return std::nullopt;
  if (f.json().is_string()) return f.str();
  return f["content"].str();
}

}  // namespace

TokenizerConfig parse_tokenizer_config(std::string_view text, const std::string& file) {
  const nlohmann::json json = parse_json_text(text, file);
  const JsonField root(json, file, "");
  if (!json.is_object()) root.fail(cat("应为对象，实际为 ", json.type_name()));
  TokenizerConfig config;
  config.bos_token = token_field(root, "bos_token");
  config.eos_token = token_field(root, "eos_token");
  const JsonField tmpl = root.optional("chat_template");
  if (tmpl.json().is_string()) {
    config.chat_template = tmpl.str();
  } else if (tmpl.json().is_array()) {
    for (size_t i = 0; i < tmpl.size(); ++i)
      if (tmpl.at(i)["name"].str() == "default") config.chat_template = tmpl.at(i)["template"].str();
  } else if (!tmpl.is_null()) {
    tmpl.fail(cat("应为字符串或 {name, template} 列表，实际为 ", tmpl.json().type_name()));
  }
  return config;
}

TokenizerPaths resolve_tokenizer_paths(const std::string& path_or_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path_or_dir, ec))
    return {(fs::path(path_or_dir) / "tokenizer.json").string(),
            (fs::path(path_or_dir) / "tokenizer_config.json").string()};
  return {path_or_dir, (fs::path(path_or_dir).parent_path() / "tokenizer_config.json").string()};
}

}  // namespace dsinfer
