// MoeRouter：DeepSeek 路由（docs/spec.md §3.7）。
//   s = softmax(u) 或 sigmoid(u)，u = x·Wgᵀ（f32）；选择分数 = s (+ e_score_correction_bias)；
//   组限制：group_limited_greedy 取组内最大值、noaux_tc 取组内前 2 之和，保留 topk_group 组，
//   其余专家置 −inf（V3 的偏置分数可能为负，0 掩码不安全）；top-k 后权重取“无偏置”的 s，
//   norm_topk_prob 时归一化（+1e-20），最后乘 routed_scaling_factor。
#pragma once

#include <cstdint>
#include <vector>

#include "formats/checkpoint.h"
#include "formats/model_config.h"

namespace dsinfer {

class MoeRouter {
 public:
  MoeRouter(const ModelConfig& config, const Checkpoint& ckpt, const std::string& prefix);

  const Weight& gate() const { return gate_; }
  // 由一行路由 logits（n_experts 个）算出 top-k 专家编号与权重。scratch 至少 2·n_experts。
  void route(const float* logits, int32_t* experts, float* weights, float* scratch) const;
  int64_t top_k() const { return top_k_; }

 private:
  Weight gate_;
  std::vector<float> bias_;  // e_score_correction_bias（noaux_tc），否则为空
  int64_t n_experts_, top_k_, n_group_, topk_group_;
  TopkMethod method_;
  ScoringFunc scoring_;
  bool norm_topk_prob_;
  float routed_scaling_factor_;
};

}  // namespace dsinfer
