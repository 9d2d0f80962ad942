// 一个生成请求（提示、生成长度、采样参数、停止条件），以及调度器给在途序列的编号。
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/sampler.h"

namespace dsinfer {

struct GenerationRequest {
  std::vector<int32_t> prompt;
  int64_t max_new_tokens = 32;
  SamplingParams sampling;
  bool stop_at_eos = true;
  std::vector<int32_t> stop_token_ids;  // 额外的停止 token（与 vLLM 的 stop_token_ids 相同语义）
};

// 调度器内序列的编号：按 add 的先后从 0 递增，不复用（KV 缓存的序列 id 会复用，不能当作请求的身份）。
using SequenceId = int64_t;

// 请求不合法时的原因（空字符串 = 合法）
std::string request_error(const GenerationRequest& request);

}  // namespace dsinfer
