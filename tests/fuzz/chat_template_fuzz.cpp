// 聊天模板：首字节是选项，其余字节以第一个 NUL 分成“模板”与“消息 JSON 数组”两段。
//   位 0：add_generation_prompt；
//   位 1：为 1 时第一段是模板原文（由本目标包进 tokenizer_config.json），为 0 时第一段就是
//         tokenizer_config.json 全文；
//   其余位 % 5：0 按模板文本识别模板族，1…4 显式指定模板族（同 --chat-template）。
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/error.h"
#include "fuzz/fuzz_support.h"
#include "tokenizer/chat_template.h"

namespace {

constexpr dsinfer::ChatFamily kFamilies[] = {dsinfer::ChatFamily::kDeepSeekV3, dsinfer::ChatFamily::kDeepSeekR1,
                                             dsinfer::ChatFamily::kDeepSeekV2, dsinfer::ChatFamily::kChatMl};

// 模板原文 → 最小的 tokenizer_config.json；非法 UTF-8 替换为 U+FFFD，让原文的任意字节都能进入模板识别。
std::string wrap_template(std::string_view text) {
  const nlohmann::json config = {{"bos_token", "<｜begin▁of▁sentence｜>"},
                                 {"eos_token", {{"content", "<｜end▁of▁sentence｜>"}}},
                                 {"chat_template", std::string(text)}};
  return config.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void render(std::string_view input) {
  if (input.empty()) return;
  const uint8_t options = uint8_t(input[0]);
  const auto [template_part, messages_json] = dsinfer::fuzz::split_at_nul(input.substr(1));
  const std::string config = (options & 2) ? wrap_template(template_part) : std::string(template_part);
  std::optional<dsinfer::ChatFamily> family;
  if (const int pick = (options >> 2) % 5; pick > 0) family = kFamilies[pick - 1];
  const dsinfer::ChatTemplate tmpl = dsinfer::ChatTemplate::from_config_json(config, family);
  const auto messages = dsinfer::parse_chat_messages(messages_json, "messages.json");
  tmpl.render(messages, options & 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  dsinfer::fuzz::run_parser(data, size, render);
  return 0;
}
