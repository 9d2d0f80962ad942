// 聊天模板：按 tokenizer_config.json 中 chat_template 的文本识别模板族（DeepSeek-V2、DeepSeek-V3、
// DeepSeek-R1、ChatML），再用对应的原生实现渲染，结果与 transformers 渲染该 Jinja 模板逐字节相同。
// 不是通用 Jinja 解释器：无法识别的模板报错，并提示用 --chat-template 指定模板族。
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dsinfer {

struct ToolCall {
  std::string type = "function";
  std::string name, arguments;  // arguments 为 JSON 文本
};

struct ChatMessage {
  ChatMessage() = default;
  ChatMessage(std::string r, std::optional<std::string> c, std::vector<ToolCall> calls = {})
      : role(std::move(r)), content(std::move(c)), tool_calls(std::move(calls)) {}

  std::string role;                    // system / user / assistant / tool
  std::optional<std::string> content;  // assistant 只发起工具调用时为空（JSON null）
  std::vector<ToolCall> tool_calls;
};

enum class ChatFamily { kDeepSeekV2, kDeepSeekV3, kDeepSeekR1, kChatMl };

class ChatTemplate {
 public:
  // 读取 model_dir/tokenizer_config.json；family 给出时不再识别模板文本。
  // 文件缺失抛出 Error(kIo)；没有 chat_template 或无法识别时抛出 Error(kConfig)。
  static ChatTemplate load(const std::string& model_dir, std::optional<ChatFamily> family = std::nullopt);
  static ChatTemplate from_config_json(std::string_view config_json, std::optional<ChatFamily> family = std::nullopt);

  // 从模板文本识别模板族；无法识别返回 nullopt。
  static std::optional<ChatFamily> detect(std::string_view template_text);
  // "deepseek-v2" / "deepseek-v3" / "deepseek-r1" / "chatml"；其他名字抛出 Error(kInvalidArgument)。
  static ChatFamily parse_family(const std::string& name);

  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  ChatFamily family() const { return family_; }
  const std::string& bos_token() const { return bos_token_; }
  const std::string& eos_token() const { return eos_token_; }

 private:
  std::string render_deepseek_v3(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  std::string render_deepseek_v2(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;
  std::string render_chatml(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  ChatFamily family_ = ChatFamily::kDeepSeekV3;
  std::string bos_token_, eos_token_;
  std::string default_system_;  // ChatML：模板在没有 system 消息时插入的默认 system 内容
  bool think_prompt_ = false;   // R1：生成提示后带 "<think>\n"
};

// JSON 数组 [{"role", "content", "tool_calls"?}, …] → 消息列表；source 用于报错。
std::vector<ChatMessage> parse_chat_messages(std::string_view json_text, const std::string& source);

}  // namespace dsinfer
