// Generator：给定若干提示，批量预填充、逐步解码（贪心或采样），流式回调每个新 token。
// 多个请求在同一次前向中并行（最多 max_batch 条），各自一个 Sampler（种子 = seed + 序号），
// 遇到 EOS / 停止 token 或达到 max_new_tokens 停止。启用 MTP（mtp.enabled）时解码由 Speculator
// 完成：每步起草、一次验证、接受若干 token。计时写入 PerformanceMonitor（预填充、解码、首 token 延迟）。
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "config/optimization_config.h"
#include "model/deepseek_model.h"
#include "runtime/sampler.h"
#include "runtime/speculator.h"

namespace dsinfer {

struct GenerationRequest {
  std::vector<int32_t> prompt;
  int64_t max_new_tokens = 32;
  SamplingParams sampling;
  bool stop_at_eos = true;
  std::vector<int32_t> stop_token_ids;  // 额外的停止 token（与 vLLM 的 stop_token_ids 相同语义）
  // 诊断 / 基准用：已知的续写（通常是贪心结果）。启用 MTP 时用它替换 MTP 的草稿（MTP 照常计算），
  // 以测量推测解码机制本身的上限（bench --oracle-drafts）；输出仍由验证决定，保持无损。
  std::vector<int32_t> oracle_drafts;
};

// (请求序号, 新 token)
using TokenCallback = std::function<void(size_t, int32_t)>;

class Generator {
 public:
  // ctx：内核上下文与性能监视器（Engine::context()）
  Generator(DeepseekModel& model, const ForwardContext& ctx, const OptimizationConfig& config);

  // 返回每个请求生成的 token（不含提示；若生成了 EOS，EOS 是最后一个）。
  std::vector<std::vector<int32_t>> generate(const std::vector<GenerationRequest>& requests,
                                             const TokenCallback& on_token = nullptr);

  // 一次预填充前向的最大 token 数（长提示分块预填充，限制暂存内存）
  static constexpr int64_t kPrefillChunk = 512;

 private:
  void generate_group(const std::vector<GenerationRequest>& requests, size_t first, size_t count,
                      std::vector<std::vector<int32_t>>& results, const TokenCallback& on_token);
  bool is_stop(const GenerationRequest& r, int32_t token) const;

  DeepseekModel& model_;
  ForwardContext ctx_;
  OptimizationConfig config_;
  std::unique_ptr<Speculator> speculator_;  // 启用 MTP 时创建
};

}  // namespace dsinfer
