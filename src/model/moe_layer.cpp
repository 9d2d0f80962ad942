#include "model/moe_layer.h"

#include <cstring>

#include "kernels/kernels.h"

namespace dsinfer {

MoeLayer::MoeLayer(const ModelConfig& config, const Checkpoint& ckpt, const std::string& prefix, int64_t layer_index)
    : layer_index_(layer_index),
      hidden_(config.hidden_size),
      inter_(config.moe_intermediate_size),
      shared_inter_(config.n_shared_experts * config.moe_intermediate_size),
      router_(config, ckpt, prefix) {
  experts_.reserve(size_t(config.n_routed_experts));
  for (int64_t e = 0; e < config.n_routed_experts; ++e) {
    const std::string p = prefix + ".experts." + std::to_string(e);
    experts_.push_back({ckpt.weight(p + ".gate_proj.weight", inter_, hidden_),
                        ckpt.weight(p + ".up_proj.weight", inter_, hidden_),
                        ckpt.weight(p + ".down_proj.weight", hidden_, inter_)});
  }
  if (shared_inter_ > 0) {
    const std::string p = prefix + ".shared_experts";
    shared_ = {ckpt.weight(p + ".gate_proj.weight", shared_inter_, hidden_),
               ckpt.weight(p + ".up_proj.weight", shared_inter_, hidden_),
               ckpt.weight(p + ".down_proj.weight", hidden_, shared_inter_)};
  }
}

size_t MoeLayer::active_weight_bytes() const {
  const auto& e = experts_.front();
  return router_.gate().bytes() + shared_.gate.bytes() + shared_.up.bytes() + shared_.down.bytes() +
         size_t(router_.top_k()) * (e.gate.bytes() + e.up.bytes() + e.down.bytes());
}

void MoeLayer::forward(ForwardContext& ctx, const float* x, int64_t n_tokens, float* out) {
  ScopedTimer timer(ctx.monitor, Phase::kMoe);
  const int64_t E = int64_t(experts_.size()), K = router_.top_k(), T = n_tokens, D = hidden_;

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

  // 3. 所有被选中专家与共享专家的 gate/up 一批完成，silu，再 down 一批完成
  const int64_t I = inter_, S = shared_inter_;
  gate_out_.resize(size_t(T * K * I));
  up_out_.resize(size_t(T * K * I));
  down_out_.resize(size_t(T * K * D));
  shared_gate_.resize(size_t(T * S));
  shared_up_.resize(size_t(T * S));
  jobs_.clear();
  for (int64_t e = 0; e < E; ++e) {
    const int64_t n = counts_[size_t(e)], o = offsets_[size_t(e)];
    if (!n) continue;
    if (ctx.monitor) ctx.monitor->add_expert_load(layer_index_, e, n);
    jobs_.push_back({gathered_.data() + o * D, D, n, &experts_[size_t(e)].gate, gate_out_.data() + o * I, I});
    jobs_.push_back({gathered_.data() + o * D, D, n, &experts_[size_t(e)].up, up_out_.data() + o * I, I});
  }
  if (S > 0) {
    jobs_.push_back({x, D, T, &shared_.gate, shared_gate_.data(), S});
    jobs_.push_back({x, D, T, &shared_.up, shared_up_.data(), S});
  }
  kernels::matmul_batch(ctx.kernels, jobs_.data(), jobs_.size());
  kernels::silu_mul(ctx.kernels, gate_out_.data(), up_out_.data(), gate_out_.data(), T * K * I);
  if (S > 0) kernels::silu_mul(ctx.kernels, shared_gate_.data(), shared_up_.data(), shared_gate_.data(), T * S);
  jobs_.clear();
  for (int64_t e = 0; e < E; ++e) {
    const int64_t n = counts_[size_t(e)], o = offsets_[size_t(e)];
    if (n) jobs_.push_back({gate_out_.data() + o * I, I, n, &experts_[size_t(e)].down, down_out_.data() + o * D, D});
  }
  if (S > 0) jobs_.push_back({shared_gate_.data(), S, T, &shared_.down, out, D});
  kernels::matmul_batch(ctx.kernels, jobs_.data(), jobs_.size());

  // 4. 共享专家输出（已写入 out）+ 路由专家的加权累加（f32，与 HF 的 moe_infer 一致）
  if (S == 0) std::fill(out, out + T * D, 0.0f);
  for (int64_t s = 0; s < T * K; ++s)
    kernels::axpy(ctx.kernels, slot_weight_[size_t(s)], down_out_.data() + s * D,
                  out + int64_t(slot_token_[size_t(s)]) * D, D);
}

}  // namespace dsinfer
