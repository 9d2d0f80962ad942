// OpenAI 请求体的解析与校验：支持的字段按 OpenAI 的语义取值，非法取值报 400 并点名字段。
#include "server/openai_request.h"

#include <gtest/gtest.h>

#include "server/api_error.h"

namespace dsinfer::server {
namespace {

// 期望 body 被拒绝，且错误点名 param
void expect_rejected(const std::string& body, const std::string& param, bool chat = true) {
  try {
    if (chat)
      parse_chat_request(body);
    else
      parse_completion_request(body);
    FAIL() << "应当拒绝: " << body;
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status(), 400) << body;
    EXPECT_EQ(e.param(), param) << body << " → " << e.what();
    EXPECT_EQ(e.type(), "invalid_request_error");
  }
}

TEST(OpenAiRequest, ChatFieldsAndDefaults) {
  const ApiRequest r = parse_chat_request(R"({"model": "x", "messages": [
      {"role": "system", "content": "简短回答"},
      {"role": "user", "content": [{"type": "text", "text": "你好"}, {"type": "text", "text": "！"}]}],
      "frequency_penalty": 0, "user": "ignored"})");
  EXPECT_TRUE(r.chat);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_EQ(*r.messages[1].content, "你好！");
  EXPECT_FALSE(r.max_tokens.has_value());
  EXPECT_DOUBLE_EQ(r.sampling.temperature, 1.0);  // 与 OpenAI 的默认相同
  EXPECT_DOUBLE_EQ(r.sampling.top_p, 1.0);
  EXPECT_EQ(r.sampling.top_k, 0);
  EXPECT_FALSE(r.seed_given);
  EXPECT_FALSE(r.stream);
  EXPECT_TRUE(r.stop.empty());
}

TEST(OpenAiRequest, SamplingStopAndStreamOptions) {
  const ApiRequest r = parse_chat_request(R"({"messages": [{"role": "developer", "content": "s"},
      {"role": "user", "content": "q"}], "max_tokens": 5, "max_completion_tokens": 7, "temperature": 0,
      "top_p": 0.5, "top_k": 3, "seed": 42, "stop": ["\n\n", "END", ""], "stream": true,
      "stream_options": {"include_usage": true}, "n": 1, "separate_reasoning": false, "ignore_eos": true})");
  EXPECT_EQ(r.messages[0].role, "system");  // developer 按 system 渲染
  EXPECT_EQ(*r.max_tokens, 7);              // max_completion_tokens 优先
  EXPECT_DOUBLE_EQ(r.sampling.temperature, 0);
  EXPECT_DOUBLE_EQ(r.sampling.top_p, 0.5);
  EXPECT_EQ(r.sampling.top_k, 3);
  EXPECT_EQ(r.sampling.seed, 42u);
  EXPECT_TRUE(r.seed_given);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"\n\n", "END"}));  // 空串忽略
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.separate_reasoning, false);
  EXPECT_TRUE(r.ignore_eos);
  const ApiRequest one = parse_chat_request(R"({"messages": [{"role": "user", "content": "q"}], "stop": "x"})");
  EXPECT_EQ(one.stop, std::vector<std::string>{"x"});
}

TEST(OpenAiRequest, AssistantToolCallsWithoutContent) {
  const ApiRequest r = parse_chat_request(R"({"messages": [{"role": "user", "content": "q"},
      {"role": "assistant", "content": null, "tool_calls": [{"type": "function",
        "function": {"name": "f", "arguments": "{\"a\":1}"}}]},
      {"role": "tool", "content": "3"}]})");
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_FALSE(r.messages[1].content.has_value());
  ASSERT_EQ(r.messages[1].tool_calls.size(), 1u);
  EXPECT_EQ(r.messages[1].tool_calls[0].name, "f");
}

TEST(OpenAiRequest, CompletionPrompt) {
  EXPECT_EQ(parse_completion_request(R"({"prompt": "abc", "max_tokens": 3})").prompt, "abc");
  EXPECT_EQ(parse_completion_request(R"({"prompt": ["abc"]})").prompt, "abc");
  EXPECT_FALSE(parse_completion_request(R"({"prompt": "abc"})").chat);
}

TEST(OpenAiRequest, InvalidBodiesNameTheField) {
  expect_rejected("{", "");
  expect_rejected("[1]", "");
  expect_rejected(R"({})", "messages");
  expect_rejected(R"({"messages": []})", "messages");
  expect_rejected(R"({"messages": [1]})", "messages[0]");
  expect_rejected(R"({"messages": [{"role": "robot", "content": "x"}]})", "messages[0].role");
  expect_rejected(R"({"messages": [{"role": "user"}]})", "messages[0].content");
  expect_rejected(R"({"messages": [{"role": "user", "content": 5}]})", "messages[0].content");
  expect_rejected(R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})", "messages[0].content[0]");
  expect_rejected(R"({"messages": [{"role": "assistant", "tool_calls": [{}]}]})", "messages[0].tool_calls");
  const std::string m = R"("messages": [{"role": "user", "content": "x"}])";
  expect_rejected("{" + m + R"(, "temperature": 3})", "temperature");
  expect_rejected("{" + m + R"(, "temperature": "hot"})", "temperature");
  expect_rejected("{" + m + R"(, "top_p": 0})", "top_p");
  expect_rejected("{" + m + R"(, "top_k": -1})", "top_k");
  expect_rejected("{" + m + R"(, "max_tokens": 0})", "max_tokens");
  expect_rejected("{" + m + R"(, "max_tokens": 1.5})", "max_tokens");
  expect_rejected("{" + m + R"(, "n": 2})", "n");
  expect_rejected("{" + m + R"(, "seed": "s"})", "seed");
  expect_rejected("{" + m + R"(, "stop": ["a", "b", "c", "d", "e"]})", "stop");
  expect_rejected("{" + m + R"(, "stop": [1]})", "stop");
  expect_rejected("{" + m + R"(, "stream": "yes"})", "stream");
  expect_rejected("{" + m + R"(, "stream_options": true})", "stream_options");
  expect_rejected("{" + m + R"(, "separate_reasoning": 1})", "separate_reasoning");
  expect_rejected("{" + m + R"(, "ignore_eos": 1})", "ignore_eos");
  expect_rejected(R"({})", "prompt", false);
  expect_rejected(R"({"prompt": ""})", "prompt", false);
  expect_rejected(R"({"prompt": [1, 2]})", "prompt", false);
}

TEST(OpenAiRequest, ErrorBodyHasOpenAiShape) {
  const std::string body = error_body(invalid_request("字段 n 不对", "n"));
  EXPECT_EQ(body, R"({"error":{"code":null,"message":"字段 n 不对","param":"n","type":"invalid_request_error"}})");
  EXPECT_EQ(error_body(ApiError(503, "server_error", "忙")),
            R"({"error":{"code":null,"message":"忙","param":null,"type":"server_error"}})");
}

}  // namespace
}  // namespace dsinfer::server
