#include "tokenizer/chat_template.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace dsinfer {
namespace {

std::string config_with(const nlohmann::json& chat_template) {
  return nlohmann::json{{"bos_token", "<s>"}, {"eos_token", "</s>"}, {"chat_template", chat_template}}.dump();
}

template <typename F>
void expect_error(F&& f, ErrorCode code, const std::string& fragment) {
  try {
    f();
    FAIL() << "应抛出 Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code);
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ChatTemplate, ApiMessagesRender) {
  const ChatTemplate chat = ChatTemplate::from_config_json(
      config_with("{{ bos_token }}{% for m in messages %}<｜User｜><｜Assistant｜>{% endfor %}"));
  EXPECT_EQ(chat.bos_token(), "<s>");
  EXPECT_EQ(chat.eos_token(), "</s>");
  const std::vector<ChatMessage> messages = {{"system", "S"}, {"user", "Q"}, {"assistant", "A"}};
  EXPECT_EQ(chat.render(messages, true), "<s>S<｜User｜>Q<｜Assistant｜>A<｜end▁of▁sentence｜><｜Assistant｜>");
}

TEST(ChatTemplate, TemplateListPicksDefault) {
  const nlohmann::json list = {{{"name", "tool_use"}, {"template", "x"}},
                               {{"name", "default"}, {"template", "<|im_start|>"}}};
  EXPECT_EQ(ChatTemplate::from_config_json(config_with(list)).family(), ChatFamily::kChatMl);
}

TEST(ChatTemplate, ExplicitFamilyOverridesDetection) {
  const ChatTemplate chat = ChatTemplate::from_config_json(config_with("{{ custom }}"), ChatFamily::kDeepSeekR1);
  EXPECT_EQ(chat.render({{"user", "hi"}}, true), "<s><｜User｜>hi<｜Assistant｜><think>\n");
  EXPECT_EQ(ChatTemplate::parse_family("deepseek-v2"), ChatFamily::kDeepSeekV2);
}

TEST(ChatTemplate, UnknownTemplateNamesTheFallbackOption) {
  expect_error([] { ChatTemplate::from_config_json(config_with("{{ custom }}")); }, ErrorCode::kConfig,
               "不属于已支持的模板族；可用 --chat-template");
  expect_error([] { ChatTemplate::from_config_json(R"({"bos_token": "<s>"})"); }, ErrorCode::kConfig,
               "没有 chat_template 字段；可用 --chat-template");
  expect_error([] { ChatTemplate::parse_family("llama3"); }, ErrorCode::kInvalidArgument, "未知的模板族 'llama3'");
  expect_error([] { ChatTemplate::from_config_json(config_with(42)); }, ErrorCode::kFormat,
               "tokenizer_config.json: chat_template 应为字符串或 {name, template} 列表");
}

TEST(ChatTemplate, MessagesJsonIsValidated) {
  const auto messages = parse_chat_messages(
      R"([{"role": "assistant", "content": null, "tool_calls": [{"type": "function",
          "function": {"name": "f", "arguments": "{}"}}]}])",
      "m.json");
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_FALSE(messages[0].content.has_value());
  EXPECT_EQ(messages[0].tool_calls[0].name, "f");
  expect_error([] { parse_chat_messages(R"([{"content": "x"}])", "m.json"); }, ErrorCode::kFormat,
               "m.json: [0].role 缺少必需字段");
  expect_error([] { parse_chat_messages(R"({"role": "user"})", "m.json"); }, ErrorCode::kFormat,
               "m.json: (根) 应为数组");
}

}  // namespace
}  // namespace dsinfer
