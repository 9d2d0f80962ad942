// 聊天模板一致性：渲染结果与 Jinja 参考实现逐字节相同。
// deepseek-v3/chat_cases.jsonl 由 @huggingface/jinja 渲染（并核对 ids）；chat/<族>.cases.jsonl 由
// tools/tokenizer/render_chat_cases.py 用 jinja2（transformers 的设置）渲染同目录下的 <族>.jinja。
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/mapped_file.h"
#include "parity/fixture.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace dsinfer {
namespace {

const std::string kData = DSINFER_TEST_DATA_DIR "/tokenizer";

using testing_support::read_jsonl;

TEST(ChatTemplateConformance, DeepSeekV3FixtureRendersAndEncodes) {
  const ChatTemplate chat = ChatTemplate::load(kData + "/deepseek-v3");
  EXPECT_EQ(chat.family(), ChatFamily::kDeepSeekV3);
  const Tokenizer tok = Tokenizer::load(kData + "/deepseek-v3");
  const auto rows = read_jsonl(kData + "/deepseek-v3/chat_cases.jsonl");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    SCOPED_TRACE(row["name"].get<std::string>());
    const auto messages = parse_chat_messages(row["messages"].dump(), "messages");
    const std::string prompt = chat.render(messages, row["add_generation_prompt"]);
    EXPECT_EQ(prompt, row["prompt"].get<std::string>());
    EXPECT_EQ(tok.encode(prompt), row["ids"].get<std::vector<int32_t>>());
  }
}

struct FamilyCase {
  const char* file;
  ChatFamily family;
};

class ChatFamilyConformance : public testing::TestWithParam<FamilyCase> {};

TEST_P(ChatFamilyConformance, DetectsFamilyAndRendersLikeJinja) {
  const std::string base = kData + "/chat/" + GetParam().file;
  const nlohmann::json config = {{"bos_token", "<｜begin▁of▁sentence｜>"},
                                 {"eos_token", {{"content", "<｜end▁of▁sentence｜>"}}},
                                 {"chat_template", read_text_file(base + ".jinja")}};
  const ChatTemplate chat = ChatTemplate::from_config_json(config.dump());
  EXPECT_EQ(chat.family(), GetParam().family);
  const auto rows = read_jsonl(base + ".cases.jsonl");
  ASSERT_FALSE(rows.empty());
  for (const auto& row : rows) {
    SCOPED_TRACE(row["name"].get<std::string>() + (row["add_generation_prompt"].get<bool>() ? " +gen" : ""));
    const auto messages = parse_chat_messages(row["messages"].dump(), "messages");
    EXPECT_EQ(chat.render(messages, row["add_generation_prompt"]), row["prompt"].get<std::string>());
  }
}

INSTANTIATE_TEST_SUITE_P(Families, ChatFamilyConformance,
                         testing::Values(FamilyCase{"deepseek-v3", ChatFamily::kDeepSeekV3},
                                         FamilyCase{"deepseek-r1", ChatFamily::kDeepSeekR1},
                                         FamilyCase{"deepseek-v2", ChatFamily::kDeepSeekV2},
                                         FamilyCase{"chatml", ChatFamily::kChatMl}),
                         [](const auto& info) {
                           std::string name = info.param.file;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace dsinfer
