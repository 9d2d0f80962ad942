// 各模板族的渲染逐句对照其官方 Jinja 模板（含模板本身的怪癖，见注释），保证逐字节一致。
#include "tokenizer/chat_template.h"

#include <filesystem>

#include "core/error.h"
#include "core/mapped_file.h"
#include "tokenizer/json_field.h"
#include "tokenizer/tokenizer_config.h"

namespace dsinfer {

namespace {

constexpr const char* kFamilyHint = "可用 --chat-template deepseek-v3|deepseek-r1|deepseek-v2|chatml 指定模板族";

bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

const std::string& text_of(const ChatMessage& m) {
  static const std::string kEmpty;
  return m.content ? *m.content : kEmpty;
}

std::string tool_call_text(const ToolCall& t) {
  return t.type + "<｜tool▁sep｜>" + t.name + "\n```json\n" + t.arguments + "\n```<｜tool▁call▁end｜>";
}

// ChatML 模板在首条消息不是 system 时插入的默认 system 内容（如 Qwen2 的 "You are a helpful assistant."）。
std::string default_chatml_system(std::string_view tmpl) {
  if (!contains(tmpl, "messages[0]['role'] != 'system'") && !contains(tmpl, "messages[0].role != 'system'")) return {};
  constexpr std::string_view kOpen = "<|im_start|>system\\n";
  const size_t begin = tmpl.find(kOpen);
  if (begin == std::string_view::npos) return {};
  const size_t start = begin + kOpen.size();
  const size_t end = tmpl.find("<|im_end|>", start);
  if (end == std::string_view::npos) return {};
  std::string out;
  const std::string_view raw = tmpl.substr(start, end - start);
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == 'n') {
      out += '\n';
      ++i;
    } else {
      out += raw[i];
    }
  }
  return out;
}

}  // namespace

std::optional<ChatFamily> ChatTemplate::detect(std::string_view t) {
  if (contains(t, "<｜User｜>") && contains(t, "<｜Assistant｜>"))
    return contains(t, "</think>") ? ChatFamily::kDeepSeekR1 : ChatFamily::kDeepSeekV3;
  if (contains(t, "'User: '") && contains(t, "'Assistant:")) return ChatFamily::kDeepSeekV2;
  if (contains(t, "<|im_start|>")) return ChatFamily::kChatMl;
  return std::nullopt;
}

ChatFamily ChatTemplate::parse_family(const std::string& name) {
  if (name == "deepseek-v2") return ChatFamily::kDeepSeekV2;
  if (name == "deepseek-v3") return ChatFamily::kDeepSeekV3;
  if (name == "deepseek-r1") return ChatFamily::kDeepSeekR1;
  if (name == "chatml") return ChatFamily::kChatMl;
  throw Error(ErrorCode::kInvalidArgument,
              cat("未知的模板族 '", name, "'（可选 deepseek-v3、deepseek-r1、deepseek-v2、chatml）"));
}

ChatTemplate ChatTemplate::load(const std::string& model_dir, std::optional<ChatFamily> family) {
  return from_config_json(read_text_file(resolve_tokenizer_paths(model_dir).tokenizer_config), family);
}

ChatTemplate ChatTemplate::from_config_json(std::string_view config_json, std::optional<ChatFamily> family) {
  const TokenizerConfig config = parse_tokenizer_config(config_json, "tokenizer_config.json");
  ChatTemplate t;
  t.bos_token_ = config.bos_token.value_or("");
  t.eos_token_ = config.eos_token.value_or("");
  const std::string tmpl = config.chat_template.value_or("");
  const bool explicit_family = family.has_value();
  if (!family) {
    if (!config.chat_template)
      throw Error(ErrorCode::kConfig, cat("tokenizer_config.json 没有 chat_template 字段；", kFamilyHint));
    family = detect(tmpl);
    if (!family)
      throw Error(ErrorCode::kConfig,
                  cat("tokenizer_config.json 的 chat_template 不属于已支持的模板族；", kFamilyHint));
  }
  t.family_ = *family;
  t.default_system_ = default_chatml_system(tmpl);
  // R1 的较新版本在生成提示后加 "<think>\n"；显式指定模板族时按最新版本。
  t.think_prompt_ = *family == ChatFamily::kDeepSeekR1 && (explicit_family || contains(tmpl, "<｜Assistant｜><think>"));
  return t;
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  switch (family_) {
    case ChatFamily::kDeepSeekV2:
      return render_deepseek_v2(messages, add_generation_prompt);
    case ChatFamily::kDeepSeekV3:
    case ChatFamily::kDeepSeekR1:
      return render_deepseek_v3(messages, add_generation_prompt);
    case ChatFamily::kChatMl:
      return render_chatml(messages, add_generation_prompt);
  }
  return {};
}

// DeepSeek-V3 / R1 模板。怪癖照搬：ns.is_first 在整段对话中只置位一次，所以只有第一条
// 工具调用带 <｜Assistant｜><｜tool▁calls▁begin｜>；V3 只在第 2 个及以后的调用后写 calls_end。
std::string ChatTemplate::render_deepseek_v3(const std::vector<ChatMessage>& messages,
                                             bool add_generation_prompt) const {
  const bool r1 = family_ == ChatFamily::kDeepSeekR1;
  std::string system_prompt;
  bool first_system = true;
  for (const auto& m : messages) {
    if (m.role != "system") continue;
    system_prompt += (first_system ? "" : "\n\n") + text_of(m);
    first_system = false;
  }
  std::string out = bos_token_ + system_prompt;
  bool is_first = false, is_tool = false, is_output_first = true;
  for (const auto& m : messages) {
    if (m.role == "user") {
      is_tool = false;
      out += "<｜User｜>" + text_of(m);
    }
    // V3 以 content 为 null 判断工具调用；R1 以是否带 tool_calls 判断，且 content 可与调用同时出现。
    const bool tool_branch = r1 ? !m.tool_calls.empty() : !m.content.has_value();
    if (m.role == "assistant" && tool_branch) {
      is_tool = false;
      for (const ToolCall& call : m.tool_calls) {
        if (!is_first) {
          out += "<｜Assistant｜>" + (r1 ? text_of(m) : std::string()) + "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>" +
                 tool_call_text(call);
          is_first = true;
        } else {
          out += "\n<｜tool▁call▁begin｜>" + tool_call_text(call);
          if (!r1) out += "<｜tool▁calls▁end｜><｜end▁of▁sentence｜>";
        }
      }
      if (r1) out += "<｜tool▁calls▁end｜><｜end▁of▁sentence｜>";
    }
    if (m.role == "assistant" && !tool_branch) {
      if (is_tool) {
        out += "<｜tool▁outputs▁end｜>" + text_of(m) + "<｜end▁of▁sentence｜>";
        is_tool = false;
      } else {
        std::string content = text_of(m);
        // R1：历史中的推理过程不回传，只保留最后一个 </think> 之后的内容。
        if (const size_t pos = content.rfind("</think>"); r1 && pos != std::string::npos)
          content = content.substr(pos + 8);
        out += "<｜Assistant｜>" + content + "<｜end▁of▁sentence｜>";
      }
    }
    if (m.role == "tool") {
      is_tool = true;
      out += (is_output_first ? "<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>" : "\n<｜tool▁output▁begin｜>") +
             text_of(m) + "<｜tool▁output▁end｜>";
      is_output_first = false;
    }
  }
  if (is_tool) out += "<｜tool▁outputs▁end｜>";
  if (add_generation_prompt && !is_tool) out += think_prompt_ ? "<｜Assistant｜><think>\n" : "<｜Assistant｜>";
  return out;
}

// DeepSeek-V2：User: / Assistant: 纯文本格式，助手回合以 eos_token 结尾。
std::string ChatTemplate::render_deepseek_v2(const std::vector<ChatMessage>& messages,
                                             bool add_generation_prompt) const {
  std::string out = bos_token_;
  for (const auto& m : messages) {
    if (m.role == "user")
      out += "User: " + text_of(m) + "\n\n";
    else if (m.role == "assistant")
      out += "Assistant: " + text_of(m) + eos_token_;
    else if (m.role == "system")
      out += text_of(m) + "\n\n";
  }
  if (add_generation_prompt) out += "Assistant:";
  return out;
}

std::string ChatTemplate::render_chatml(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const {
  std::string out;
  if (!default_system_.empty() && !messages.empty() && messages.front().role != "system")
    out += "<|im_start|>system\n" + default_system_ + "<|im_end|>\n";
  for (const auto& m : messages) out += "<|im_start|>" + m.role + "\n" + text_of(m) + "<|im_end|>\n";
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

std::vector<ChatMessage> parse_chat_messages(std::string_view json_text, const std::string& source) {
  const nlohmann::json json = parse_json_text(json_text, source);
  const JsonField root(json, source, "");
  std::vector<ChatMessage> messages;
  for (size_t i = 0; i < root.size(); ++i) {
    const JsonField m = root.at(i);
    ChatMessage msg;
    msg.role = m["role"].str();
    if (!m["content"].is_null()) msg.content = m["content"].str();
    const JsonField calls = m.optional("tool_calls");
    for (size_t k = 0; !calls.is_null() && k < calls.size(); ++k) {
      const JsonField c = calls.at(k);
      msg.tool_calls.push_back(
          {c.str_or("type", "function"), c["function"]["name"].str(), c["function"]["arguments"].str()});
    }
    messages.push_back(std::move(msg));
  }
  return messages;
}

}  // namespace dsinfer
