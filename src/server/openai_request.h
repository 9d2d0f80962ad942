// OpenAI 兼容接口的请求体：/v1/chat/completions 与 /v1/completions 的 JSON 解析与校验。
// 只认本服务支持的字段，其余字段（客户端常带的 frequency_penalty、user 等）忽略；支持的字段类型或取值
// 不对时抛出 ApiError（400，param 为字段名），不静默改用默认值。
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/sampler.h"
#include "tokenizer/chat_template.h"

namespace dsinfer::server {

struct ApiRequest {
  bool chat = false;
  std::vector<ChatMessage> messages;  // chat：对话（content 可为字符串或 [{type: text, text}] 片段数组）
  std::string prompt;                 // completions：提示文本
  std::optional<int64_t> max_tokens;  // 未给：生成到上下文上限或停止条件
  SamplingParams sampling;  // temperature 默认 1（与 OpenAI 相同），top_p 默认 1，top_k 默认 0（不限）
  bool seed_given = false;  // 未给 seed 时由服务端取随机种子
  std::vector<std::string> stop;  // 至多 4 个停止字符串（输出里不含停止字符串本身）
  bool stream = false;
  bool include_usage = false;              // stream_options.include_usage：流的最后一块附带 usage
  std::optional<bool> separate_reasoning;  // 本请求覆盖服务端的 reasoning 设置（dsinfer 扩展字段）
  bool ignore_eos = false;                 // 遇到 EOS 不停止（与 vLLM、llama.cpp 的同名扩展字段相同）
};

// body 不是合法 JSON、缺字段、字段类型或取值非法时抛出 ApiError(400)
ApiRequest parse_chat_request(std::string_view body);
ApiRequest parse_completion_request(std::string_view body);

}  // namespace dsinfer::server
