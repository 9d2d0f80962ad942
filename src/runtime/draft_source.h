// DraftSource：推测解码的草稿来源。调度器每步先向它要草稿 d_1 … d_k，主模型验证之后再把已确认的
// 位置告诉它（供下一步起草）。实现：MtpDraftSource（MTP 模块）；基准用的 OracleDraftSource（已知续写）。
#pragma once

#include <cstdint>
#include <vector>

#include "model/forward_context.h"
#include "runtime/generation_request.h"
#include "runtime/sampler.h"

namespace dsinfer {

// 一条序列一步的草稿
struct Draft {
  std::vector<int32_t> tokens;  // d_1 … d_k（位置 L+1 … L+k，t_L 是已采样、尚未经主模型处理的 token）
  std::vector<float> q;         // 采样时各深度的草稿分布 [k, vocab]（拒绝采样用）；贪心时为空
};

class DraftSource {
 public:
  virtual ~DraftSource() = default;
  // 登记刚完成预填充的序列：提示、每个提示位置的最终隐状态 hidden [P, hidden]、第一个生成的 token（位置 P）。
  virtual void add_sequence(SequenceId id, const std::vector<int32_t>& prompt, const float* hidden,
                            int32_t next_token) = 0;
  virtual void remove_sequence(SequenceId id) = 0;
  // 为 ids[i] 起草 k[i] ≥ 1 个（各序列可不同：临近上下文上限的序列起草得少）。samplers[i] 决定贪心或采样，
  // 采样时 q 与目标分布同参数。
  virtual void draft(ForwardContext& ctx, const std::vector<SequenceId>& ids, const std::vector<Sampler*>& samplers,
                     const std::vector<int64_t>& k, std::vector<Draft>& out) = 0;
  // 主模型确认了 n 个新位置：位置 L+i 的最终隐状态 hidden[i] 与其后的 token tokens[i]（i < n，
  // 最后一个 token 是新的 t_L）。drafted = false 表示这一步没有起草（k = 0）。
  virtual void confirm(SequenceId id, const int32_t* tokens, const float* hidden, int64_t n, bool drafted) = 0;
};

}  // namespace dsinfer
