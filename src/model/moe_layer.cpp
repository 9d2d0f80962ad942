#include "model/moe_layer.h"

#include <cstring>

#include "kernels/kernels.h"

namespace dsinfer {

MoeLayer::MoeLayer(const ModelConfig& config, const Checkpoint& ckpt, const std::string& prefix, int64_t layer_index,
                   ExpertStore& experts, MoeScratch& scratch)
    : layer_index_(layer_index),
      hidden_(config.hidden_size),
      inter_(config.moe_intermediate_size),
      shared_inter_(config.n_shared_experts * config.moe_intermediate_size),
      router_(config, ckpt, prefix),
      experts_(experts),
      s_(scratch) {
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
  s_.router_logits.resize(size_t(T * E));
  kernels::matmul(ctx.kernels, x, D, T, r.gate(), s_.router_logits.data(), E);
  s_.route_scratch.resize(size_t(2 * E));
  s_.choices.resize(size_t(T * K));
  s_.weights.resize(size_t(T * K));
  std::vector<bool> seen(size_t(E), false);
  s_.predicted.clear();
  for (int64_t t = 0; t < T; ++t) {
    r.route(s_.router_logits.data() + t * E, s_.choices.data() + t * K, s_.weights.data() + t * K,
            s_.route_scratch.data());
    for (int64_t k = 0; k < K; ++k) {
      const int32_t e = s_.choices[size_t(t * K + k)];
      if (!seen[size_t(e)]) s_.predicted.push_back(e);
      seen[size_t(e)] = true;
    }
  }
  next_->experts_.prefetch(next_->layer_index_, s_.predicted.data(), int64_t(s_.predicted.size()), ctx.monitor);
}

void MoeLayer::forward(ForwardContext& ctx, const float* x, int64_t n_tokens, float* out) {
  ScopedTimer timer(ctx.monitor, Phase::kMoe);
  const int64_t E = router_.gate().rows, K = router_.top_k(), T = n_tokens, D = hidden_;
  if (next_ && experts_.wants_prefetch()) prefetch_next(ctx, x, T);

  // 1. 路由
  s_.router_logits.resize(size_t(T * E));
  kernels::matmul(ctx.kernels, x, D, T, router_.gate(), s_.router_logits.data(), E);
  s_.route_scratch.resize(size_t(2 * E));
  s_.choices.resize(size_t(T * K));
  s_.weights.resize(size_t(T * K));
  for (int64_t t = 0; t < T; ++t)
    router_.route(s_.router_logits.data() + t * E, s_.choices.data() + t * K, s_.weights.data() + t * K,
                  s_.route_scratch.data());

  // 2. 按专家分组：counts → offsets → 每个槽位（专家内的第 i 个 token）记下 token 与权重
  s_.counts.resize(size_t(E));
  s_.offsets.resize(size_t(E + 1));
  std::fill(s_.counts.data(), s_.counts.data() + E, 0);
  for (int64_t i = 0; i < T * K; ++i) s_.counts[size_t(s_.choices[size_t(i)])]++;
  s_.offsets[0] = 0;
  for (int64_t e = 0; e < E; ++e) s_.offsets[size_t(e + 1)] = s_.offsets[size_t(e)] + s_.counts[size_t(e)];
  s_.slot_token.resize(size_t(T * K));
  s_.slot_weight.resize(size_t(T * K));
  std::fill(s_.counts.data(), s_.counts.data() + E, 0);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t k = 0; k < K; ++k) {
      const int32_t e = s_.choices[size_t(t * K + k)];
      const int32_t slot = s_.offsets[size_t(e)] + s_.counts[size_t(e)]++;
      s_.slot_token[size_t(slot)] = int32_t(t);
      s_.slot_weight[size_t(slot)] = s_.weights[size_t(t * K + k)];
    }
  s_.gathered.resize(size_t(T * K * D));
  for (int64_t s = 0; s < T * K; ++s)
    std::memcpy(s_.gathered.data() + s * D, x + int64_t(s_.slot_token[size_t(s)]) * D, size_t(D) * sizeof(float));
  s_.needed.clear();
  for (int64_t e = 0; e < E; ++e)
    if (s_.counts[size_t(e)]) {
      s_.needed.push_back(int32_t(e));
      if (ctx.monitor) ctx.monitor->add_expert_load(layer_index_, e, s_.counts[size_t(e)]);
    }

  // 3. 逐波：取得一批驻留的专家，其（第一波还有共享专家的）gate/up 一批完成，silu，再 down 一批完成
  const int64_t I = inter_, S = shared_inter_;
  s_.gate_out.resize(size_t(T * K * I));
  s_.up_out.resize(size_t(T * K * I));
  s_.down_out.resize(size_t(T * K * D));
  s_.shared_gate.resize(size_t(T * S));
  s_.shared_up.resize(size_t(T * S));
  s_.wave.resize(s_.needed.size());
  size_t done = 0;
  while (done < s_.needed.size()) {
    const bool first = done == 0;
    const int64_t m = experts_.acquire(layer_index_, s_.needed.data() + done, int64_t(s_.needed.size() - done),
                                       s_.wave.data(), ctx.monitor);
    s_.jobs.clear();
    for (int64_t i = 0; i < m; ++i) {
      const int32_t e = s_.needed[done + size_t(i)];
      const int64_t n = s_.counts[size_t(e)], o = s_.offsets[size_t(e)];
      s_.jobs.push_back({s_.gathered.data() + o * D, D, n, &s_.wave[size_t(i)]->gate, s_.gate_out.data() + o * I, I});
      s_.jobs.push_back({s_.gathered.data() + o * D, D, n, &s_.wave[size_t(i)]->up, s_.up_out.data() + o * I, I});
    }
    if (first && S > 0) {
      s_.jobs.push_back({x, D, T, &shared_.gate, s_.shared_gate.data(), S});
      s_.jobs.push_back({x, D, T, &shared_.up, s_.shared_up.data(), S});
    }
    kernels::matmul_batch(ctx.kernels, s_.jobs.data(), s_.jobs.size());
    s_.jobs.clear();
    for (int64_t i = 0; i < m; ++i) {
      const int32_t e = s_.needed[done + size_t(i)];
      const int64_t n = s_.counts[size_t(e)], o = s_.offsets[size_t(e)];
      float* g = s_.gate_out.data() + o * I;
      kernels::silu_mul(ctx.kernels, g, s_.up_out.data() + o * I, g, n * I);
      s_.jobs.push_back({g, I, n, &s_.wave[size_t(i)]->down, s_.down_out.data() + o * D, D});
    }
    if (first && S > 0) {
      kernels::silu_mul(ctx.kernels, s_.shared_gate.data(), s_.shared_up.data(), s_.shared_gate.data(), T * S);
      s_.jobs.push_back({s_.shared_gate.data(), S, T, &shared_.down, out, D});
    }
    kernels::matmul_batch(ctx.kernels, s_.jobs.data(), s_.jobs.size());
    done += size_t(m);
  }

  // 4. 共享专家输出（已写入 out）+ 路由专家的加权累加（f32，与 HF 的 moe_infer 一致）
  if (S == 0) std::fill(out, out + T * D, 0.0f);
  for (int64_t s = 0; s < T * K; ++s)
    kernels::axpy(ctx.kernels, s_.slot_weight[size_t(s)], s_.down_out.data() + s * D,
                  out + int64_t(s_.slot_token[size_t(s)]) * D, D);
}

}  // namespace dsinfer
