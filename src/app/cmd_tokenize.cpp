// 子命令 tokenize 与 detokenize：文本 ↔ token id，供脚本与一致性检查调用（参数名是对外契约）。
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "app/flags.h"
#include "app/tokenizer_source.h"
#include "core/error.h"
#include "core/mapped_file.h"

namespace dsinfer {

namespace {

std::string ids_to_text(const std::vector<int32_t>& ids, bool json) {
  if (json) return nlohmann::json(ids).dump();
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ' ';
    out += std::to_string(ids[i]);
  }
  return out;
}

// --jsonl：每行一个 {"text": …, "add_bos": …}，输出每行一个 {"ids": […]}；空行跳过。
void encode_jsonl(const Tokenizer& tokenizer, const std::string& path, bool default_add_bos) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIo, cat("无法打开 --jsonl 文件 ", path));
  std::string line;
  for (size_t line_no = 1; std::getline(in, line); ++line_no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const nlohmann::json obj = nlohmann::json::parse(line, nullptr, false);
    const auto where = [&] { return cat("--jsonl 文件 ", path, " 第 ", line_no, " 行"); };
    if (!obj.is_object() || !obj.contains("text") || !obj["text"].is_string())
      throw Error(ErrorCode::kFormat, cat(where(), " 应为含字符串字段 \"text\" 的 JSON 对象"));
    bool add_bos = default_add_bos;
    if (obj.contains("add_bos")) {
      if (!obj["add_bos"].is_boolean()) throw Error(ErrorCode::kFormat, cat(where(), " 的 \"add_bos\" 应为布尔值"));
      add_bos = obj["add_bos"].get<bool>();
    }
    const auto ids = tokenizer.encode(obj["text"].get<std::string>(), add_bos);
    std::printf("%s\n", nlohmann::json{{"ids", ids}}.dump().c_str());
  }
}

}  // namespace

int cmd_tokenize(int argc, char** argv) {
  TokenizerSource source;
  std::string prompt, file, jsonl;
  bool json = false, add_bos = false;
  FlagSet flags("tokenize", "把文本编码为 token id（与 Hugging Face tokenizers 一致）");
  source.add_flags(flags);
  flags.add_string("-p,--prompt", &prompt, "要编码的文本");
  flags.add_string("-f,--file", &file, "从文件读取要编码的文本（原样，不去掉结尾换行）");
  flags.add_string("--jsonl", &jsonl, "批量编码：每行 {\"text\", \"add_bos\"?}，输出每行 {\"ids\"}");
  flags.add_bool("--json", &json, "以 JSON 数组输出");
  flags.add_bool("--add-bos", &add_bos, "在开头加 BOS（--jsonl 中作为 add_bos 的默认值）");
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  const int inputs = flags.seen("--prompt") + flags.seen("--file") + flags.seen("--jsonl");
  if (inputs != 1) throw Error(ErrorCode::kInvalidArgument, "须且只能给出 -p TEXT、-f FILE 与 --jsonl FILE 之一");
  const Tokenizer tokenizer = source.load();
  if (!jsonl.empty()) {
    encode_jsonl(tokenizer, jsonl, add_bos);
    return 0;
  }
  const std::string text = flags.seen("--file") ? read_text_file(file) : prompt;
  std::printf("%s\n", ids_to_text(tokenizer.encode(text, add_bos), json).c_str());
  return 0;
}

int cmd_detokenize(int argc, char** argv) {
  TokenizerSource source;
  std::vector<int32_t> ids;
  bool skip_special = false;
  FlagSet flags("detokenize", "把 token id 解码为文本（原样输出，不追加换行）");
  source.add_flags(flags);
  flags.add_custom("--ids", "1,2,3", "逗号分隔的 token id",
                   [&](const std::string& flag, const std::string& value) { ids = parse_id_list(flag, value); });
  flags.add_bool("--skip-special", &skip_special, "跳过 special token");
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  if (!flags.seen("--ids")) throw Error(ErrorCode::kInvalidArgument, "缺少必填参数 --ids");
  const std::string text = source.load().decode(ids, skip_special);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace dsinfer
