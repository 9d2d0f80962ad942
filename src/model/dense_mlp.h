// SwiGLU 前馈：down(silu(x·gateᵀ) ⊙ (x·upᵀ))。用于前 first_k_dense_replace 个稠密层，
// 也用于 MoE 的共享专家（宽度 n_shared_experts × moe_intermediate_size，docs/spec.md §3.7）。
#pragma once

#include <string>

#include "core/buffer.h"
#include "core/weight.h"
#include "formats/checkpoint.h"
#include "model/forward_context.h"

namespace dsinfer {

class DenseMlp {
 public:
  // prefix 形如 "model.layers.0.mlp" 或 "model.layers.3.mlp.shared_experts"
  DenseMlp(const Checkpoint& ckpt, const std::string& prefix, int64_t hidden, int64_t inter);

  // out[T, hidden] = MLP(x[T, hidden])（覆盖写）
  void forward(ForwardContext& ctx, const float* x, int64_t n_tokens, float* out);

  int64_t inter() const { return gate_.rows; }
  size_t weight_bytes() const { return gate_.bytes() + up_.bytes() + down_.bytes(); }

 private:
  Weight gate_, up_, down_;
  Buffer<float> gate_out_, up_out_;
};

}  // namespace dsinfer
