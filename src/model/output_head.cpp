#include "model/output_head.h"

#include <algorithm>

#include "kernels/kernels.h"
#include "model/deepseek_model.h"

namespace dsinfer {

void OutputHead::forward(ForwardContext& ctx, const Batch& batch, const float* h, ForwardOutputs& out,
                         int64_t vocab_limit) const {
  ScopedTimer timer(ctx.monitor, Phase::kLmHead);
  const int64_t D = head_.cols, V = vocab_limit > 0 ? std::min(vocab_limit, head_.rows) : head_.rows;
  Weight head = head_;
  head.rows = V;  // 前 V 行是连续的子矩阵
  out.n_out = batch.n_outputs();
  out.n_hidden = batch.n_hidden();
  out.vocab = V;
  out.dim = D;
  out.hidden.resize(size_t(out.n_hidden * D));
  out.logits.resize(size_t(out.n_out * V));
  // 要 logits 的行先归一化到暂存里（连续），再一次矩阵乘
  normed_.resize(size_t(out.n_out * D));
  int64_t i = 0, j = 0;
  for (int64_t t = 0; t < batch.size(); ++t) {
    if (!batch.want_hidden[size_t(t)]) continue;
    float* dst = out.hidden.data() + i * D;
    kernels::rms_norm(ctx.kernels, h + t * D, norm_.data(), dst, D, eps_);
    ++i;
    if (batch.want_output[size_t(t)]) std::copy(dst, dst + D, normed_.data() + (j++) * D);
  }
  kernels::matmul(ctx.kernels, normed_.data(), D, out.n_out, head, out.logits.data(), V);
}

}  // namespace dsinfer
