#include "model/moe_router.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace dsinfer {

MoeRouter::MoeRouter(const ModelConfig& config, const Checkpoint& ckpt, const std::string& prefix)
    : gate_(ckpt.weight(prefix + ".gate.weight", config.n_routed_experts, config.hidden_size)),
      n_experts_(config.n_routed_experts),
      top_k_(config.num_experts_per_tok),
      n_group_(config.n_group),
      topk_group_(config.topk_group),
      method_(config.topk_method),
      scoring_(config.scoring_func),
      norm_topk_prob_(config.norm_topk_prob),
      routed_scaling_factor_(float(config.routed_scaling_factor)) {
  if (method_ == TopkMethod::kNoauxTc) bias_ = ckpt.vector_f32(prefix + ".gate.e_score_correction_bias", n_experts_);
}

void MoeRouter::route(const float* logits, int32_t* experts, float* weights, float* scratch) const {
  const int64_t E = n_experts_;
  float* s = scratch;           // 无偏置分数
  float* choice = scratch + E;  // 选择分数
  if (scoring_ == ScoringFunc::kSoftmax) {
    float mx = -std::numeric_limits<float>::infinity();
    for (int64_t e = 0; e < E; ++e) mx = std::max(mx, logits[e]);
    float sum = 0;
    for (int64_t e = 0; e < E; ++e) sum += (s[e] = std::exp(logits[e] - mx));
    for (int64_t e = 0; e < E; ++e) s[e] /= sum;
  } else {
    for (int64_t e = 0; e < E; ++e) s[e] = 1.0f / (1.0f + std::exp(-logits[e]));
  }
  for (int64_t e = 0; e < E; ++e) choice[e] = s[e] + (bias_.empty() ? 0.0f : bias_[size_t(e)]);

  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  if (method_ != TopkMethod::kGreedy && n_group_ > 1) {
    const int64_t per = E / n_group_;
    float group_score[256];
    int32_t order[256];
    DSINFER_CHECK(n_group_ <= 256, "n_group 过大");
    for (int64_t g = 0; g < n_group_; ++g) {
      const float* c = choice + g * per;
      if (method_ == TopkMethod::kGroupLimitedGreedy) {
        group_score[g] = *std::max_element(c, c + per);
      } else {
        float a = kNegInf, b = kNegInf;  // 组内前 2
        for (int64_t i = 0; i < per; ++i) {
          if (c[i] > a) {
            b = a;
            a = c[i];
          } else if (c[i] > b) {
            b = c[i];
          }
        }
        group_score[g] = a + b;
      }
      order[g] = int32_t(g);
    }
    std::partial_sort(order, order + topk_group_, order + n_group_, [&](int32_t a, int32_t b) {
      return group_score[a] > group_score[b] || (group_score[a] == group_score[b] && a < b);
    });
    bool keep[256] = {};
    for (int64_t i = 0; i < topk_group_; ++i) keep[order[i]] = true;
    for (int64_t g = 0; g < n_group_; ++g)
      if (!keep[g]) std::fill(choice + g * per, choice + (g + 1) * per, kNegInf);
  }
  // top-k（k 很小：逐个选最大，平局取编号小者，与 torch.topk 的稳定行为一致）
  float sum = 0;
  for (int64_t k = 0; k < top_k_; ++k) {
    int64_t best = -1;
    for (int64_t e = 0; e < E; ++e)
      if (choice[e] != kNegInf && (best < 0 || choice[e] > choice[best])) best = e;
    DSINFER_CHECK(best >= 0, "路由可选专家不足");
    experts[k] = int32_t(best);
    weights[k] = s[best];
    sum += s[best];
    choice[best] = kNegInf;
  }
  const float norm = (norm_topk_prob_ && top_k_ > 1) ? 1.0f / (sum + 1e-20f) : 1.0f;
  for (int64_t k = 0; k < top_k_; ++k) weights[k] *= norm * routed_scaling_factor_;
}

}  // namespace dsinfer
