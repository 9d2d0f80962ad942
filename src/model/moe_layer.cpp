#include "model/moe_layer.h"

#include <cstring>

#include "kernels/kernels.h"

namespace dsinfer {

MoeLayer::MoeLayer(const ModelConfig& config, const Checkpoint& ckpt, const std::string& prefix, int64_t layer_index,
                   ExpertStore& experts)
    : layer_index_(layer_index),
      hidden_(config.hidden_size),
      inter_(config.moe_intermediate_size),
      shared_inter_(config.n_shared_experts * config.moe_intermediate_size),
      router_(config, ckpt, prefix),
      experts_(experts) {
  experts_.add_layer(layer_index);
  if (shared_inter_ > 0) {
    const std::string p = prefix + ".shared_experts";
    shared_ = {ckpt.weight(p + ".gate_proj.weight", shared_inter_, hidden_),
               ckpt.weight(p + ".up_proj.weight", shared_inter_, hidden_),
               ckpt.weight(p + ".down_proj.weight", hidden_, shared_inter_)};
  }
}

size_t MoeLayer::active_weight_bytes() const {
  return router_.gate().bytes() + shared_.gate.bytes() + shared_.up.bytes() + shared_.down.bytes() +
         size_t(router_.top_k()) * experts_.expert_bytes(layer_index_);
}

// 预测：把下一 MoE 层的路由器作用在本层的输入上（相邻层的隐状态变化小，预测多半命中），
// 让存储在本层计算的同时读入预测到的专家。预测错只浪费读盘，不影响结果。
void MoeLayer::prefetch_next(ForwardContext& ctx, const float* x, int64_t T) {
  const MoeRouter& r = next_->router_;
  const int64_t E = r.gate().rows, K = r.top_k(), D = hidden_;
  router_logits_.resize(size_t(T * E));
  kernels::matmul(ctx.kernels, x, D, T, r.gate(), router_logits_.data(), E);
  route_scratch_.resize(size_t(2 * E));
  choices_.resize(size_t(T * K));
  weights_.resize(size_t(T * K));
  std::vector<bool> seen(size_t(E), false);
  predicted_.clear();
  for (int64_t t = 0; t < T; ++t) {
    r.route(router_logits_.data() + t * E, choices_.data() + t * K, weights_.data() + t * K, route_scratch_.data());
    for (int64_t k = 0; k < K; ++k) {
      const int32_t e = choices_[size_t(t * K + k)];
      if (!seen[size_t(e)]) predicted_.push_back(e);
      seen[size_t(e)] = true;
    }
  }
  next_->experts_.prefetch(next_->layer_index_, predicted_.data(), int64_t(predicted_.size()), ctx.monitor);
}

void MoeLayer::forward(ForwardContext& ctx, const float* x, int64_t n_tokens, float* out) {
  ScopedTimer timer(ctx.monitor, Phase::kMoe);
  const int64_t E = router_.gate().rows, K = router_.top_k(), T = n_tokens, D = hidden_;
  if (next_ && experts_.wants_prefetch()) prefetch_next(ctx, x, T);

  // 1. 路由
  router_logits_.resize(size_t(T * E));
  kernels::matmul(ctx.kernels, x, D, T, router_.gate(), router_logits_.data(), E);
  route_scratch_.resize(size_t(2 * E));
  choices_.resize(size_t(T * K));
  weights_.resize(size_t(T * K));
  for (int64_t t = 0; t < T; ++t)
    router_.route(router_logits_.data() + t * E, choices_.data() + t * K, weights_.data() + t * K,
                  route_scratch_.data());

  // 2. 按专家分组：counts → offsets → 每个槽位（专家内的第 i 个 token）记下 token 与权重
  counts_.resize(size_t(E));
  offsets_.resize(size_t(E + 1));
  std::fill(counts_.data(), counts_.data() + E, 0);
  for (int64_t i = 0; i < T * K; ++i) counts_[size_t(choices_[size_t(i)])]++;
  offsets_[0] = 0;
  for (int64_t e = 0; e < E; ++e) offsets_[size_t(e + 1)] = offsets_[size_t(e)] + counts_[size_t(e)];
  slot_token_.resize(size_t(T * K));
  slot_weight_.resize(size_t(T * K));
  std::fill(counts_.data(), counts_.data() + E, 0);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t k = 0; k < K; ++k) {
      const int32_t e = choices_[size_t(t * K + k)];
      const int32_t slot = offsets_[size_t(e)] + counts_[size_t(e)]++;
      slot_token_[size_t(slot)] = int32_t(t);
      slot_weight_[size_t(slot)] = weights_[size_t(t * K + k)];
    }
  gathered_.resize(size_t(T * K * D));
  for (int64_t s = 0; s < T * K; ++s)
    std::memcpy(gathered_.data() + s * D, x + int64_t(slot_token_[size_t(s)]) * D, size_t(D) * sizeof(float));
  needed_.clear();
  for (int64_t e = 0; e < E; ++e)
    if (counts_[size_t(e)]) {
      needed_.push_back(int32_t(e));
      if (ctx.monitor) ctx.monitor->add_expert_load(layer_index_, e, counts_[size_t(e)]);
    }

  // 3. 逐波：取得一批驻留的专家，其（第一波还有共享专家的）gate/up 一批完成，silu，再 down 一批完成
  const int64_t I = inter_, S = shared_inter_;
  gate_out_.resize(size_t(T * K * I));
  up_out_.resize(size_t(T * K * I));
  down_out_.resize(size_t(T * K * D));
  shared_gate_.resize(size_t(T * S));
  shared_up_.resize(size_t(T * S));
  wave_.resize(needed_.size());
  size_t done = 0;
  while (done < needed_.size()) {
    const bool first = done == 0;
    const int64_t m = experts_.acquire(layer_index_, needed_.data() + done, int64_t(needed_.size() - done),
                                       wave_.data(), ctx.monitor);
    jobs_.clear();
    for (int64_t i = 0; i < m; ++i) {
      const int32_t e = needed_[done + size_t(i)];
      const int64_t n = counts_[size_t(e)], o = offsets_[size_t(e)];
      jobs_.push_back({gathered_.data() + o * D, D, n, &wave_[size_t(i)]->gate, gate_out_.data() + o * I, I});
      jobs_.push_back({gathered_.data() + o * D, D, n, &wave_[size_t(i)]->up, up_out_.data() + o * I, I});
    }
    if (first && S > 0) {
      jobs_.push_back({x, D, T, &shared_.gate, shared_gate_.data(), S});
      jobs_.push_back({x, D, T, &shared_.up, shared_up_.data(), S});
    }
    kernels::matmul_batch(ctx.kernels, jobs_.data(), jobs_.size());
    jobs_.clear();
    for (int64_t i = 0; i < m; ++i) {
      const int32_t e = needed_[done + size_t(i)];
      const int64_t n = counts_[size_t(e)], o = offsets_[size_t(e)];
      float* g = gate_out_.data() + o * I;
      kernels::silu_mul(ctx.kernels, g, up_out_.data() + o * I, g, n * I);
      jobs_.push_back({g, I, n, &wave_[size_t(i)]->down, down_out_.data() + o * D, D});
    }
    if (first && S > 0) {
      kernels::silu_mul(ctx.kernels, shared_gate_.data(), shared_up_.data(), shared_gate_.data(), T * S);
      jobs_.push_back({shared_gate_.data(), S, T, &shared_.down, out, D});
    }
    kernels::matmul_batch(ctx.kernels, jobs_.data(), jobs_.size());
    done += size_t(m);
  }

  // 4. 共享专家输出（已写入 out）+ 路由专家的加权累加（f32，与 HF 的 moe_infer 一致）
  if (S == 0) std::fill(out, out + T * D, 0.0f);
  for (int64_t s = 0; s < T * K; ++s)
    kernels::axpy(ctx.kernels, slot_weight_[size_t(s)], down_out_.data() + s * D,
                  out + int64_t(slot_token_[size_t(s)]) * D, D);
}

}  // namespace dsinfer
