#include "model/dense_mlp.h"

#include "kernels/kernels.h"

namespace dsinfer {

DenseMlp::DenseMlp(const Checkpoint& ckpt, const std::string& prefix, int64_t hidden, int64_t inter)
    : gate_(ckpt.weight(prefix + ".gate_proj.weight", inter, hidden)),
      up_(ckpt.weight(prefix + ".up_proj.weight", inter, hidden)),
      down_(ckpt.weight(prefix + ".down_proj.weight", hidden, inter)) {}

void DenseMlp::forward(ForwardContext& ctx, const float* x, int64_t n_tokens, float* out) {
  const int64_t hidden = gate_.cols, inter = gate_.rows;
  gate_out_.resize(size_t(n_tokens * inter));
  up_out_.resize(size_t(n_tokens * inter));
  // gate 与 up 在同一个并行区内完成
  const kernels::MatmulJob jobs[2] = {{x, hidden, n_tokens, &gate_, gate_out_.data(), inter},
                                      {x, hidden, n_tokens, &up_, up_out_.data(), inter}};
  kernels::matmul_batch(ctx.kernels, jobs, 2);
  kernels::silu_mul(ctx.kernels, gate_out_.data(), up_out_.data(), gate_out_.data(), n_tokens * inter);
  kernels::matmul(ctx.kernels, gate_out_.data(), inter, n_tokens, down_, out, hidden);
}

}  // namespace dsinfer
