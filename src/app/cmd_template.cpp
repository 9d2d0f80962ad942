// 子命令 template：按模型的 chat_template 渲染一段对话，原样输出（不追加换行），供核对提示词。
#include <cstdio>
#include <optional>
#include <string>

#include "app/flags.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "tokenizer/chat_template.h"

namespace dsinfer {

int cmd_template(int argc, char** argv) {
  std::string model_dir, messages_file, family_name;
  bool add_generation_prompt = false;
  FlagSet flags("template", "用模型的 chat_template 渲染对话（输出与 transformers 逐字节一致）");
  flags.add_string("-m,--model", &model_dir, "模型目录（含 tokenizer_config.json）", true);
  flags.add_string("--messages", &messages_file, "JSON 文件：[{\"role\", \"content\"}, …]", true);
  flags.add_bool("--add-generation-prompt", &add_generation_prompt, "结尾加上助手回合的开头");
  flags.add_string("--chat-template", &family_name,
                   "不识别模板文本，直接指定模板族：deepseek-v3|deepseek-r1|deepseek-v2|chatml");
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  std::optional<ChatFamily> family;
  if (!family_name.empty()) family = ChatTemplate::parse_family(family_name);
  const ChatTemplate chat = ChatTemplate::load(model_dir, family);
  const auto messages = parse_chat_messages(read_text_file(messages_file), messages_file);
  const std::string prompt = chat.render(messages, add_generation_prompt);
  std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  return 0;
}

}  // namespace dsinfer
