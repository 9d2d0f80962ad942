#include "model/output_head.h"

#include "kernels/kernels.h"
#include "model/deepseek_model.h"

namespace dsinfer {

void OutputHead::forward(ForwardContext& ctx, const Batch& batch, const float* h, ForwardOutputs& out) const {
  ScopedTimer timer(ctx.monitor, Phase::kLmHead);
  const int64_t D = head_.cols, V = head_.rows;
  out.n_out = batch.n_outputs();
  out.vocab = V;
  out.dim = D;
  out.hidden.resize(size_t(out.n_out * D));
  out.logits.resize(size_t(out.n_out * V));
  int64_t i = 0;
  for (int64_t t = 0; t < batch.size(); ++t) {
    if (!batch.want_output[size_t(t)]) continue;
    kernels::rms_norm(h + t * D, norm_.data(), out.hidden.data() + i * D, D, eps_);
    ++i;
  }
  kernels::matmul(out.hidden.data(), D, out.n_out, head_, out.logits.data(), V, ctx.pool);
}

}  // namespace dsinfer
