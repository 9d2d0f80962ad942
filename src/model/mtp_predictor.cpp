#include "model/mtp_predictor.h"

#include <cstring>

#include "core/error.h"
#include "kernels/kernels.h"

namespace dsinfer {

MtpPredictor::MtpPredictor(const DeepseekModel& main, MlaMode mode)
    : main_(main), eps_(float(main.config().rms_norm_eps)) {
  const ModelConfig& c = main.config();
  const Checkpoint& ckpt = main.checkpoint();
  if (c.num_nextn_predict_layers <= 0)
    throw Error(ErrorCode::kUnsupported,
                cat(c.path, ": 模型没有 MTP（NextN）层（num_nextn_predict_layers = 0），不能使用 MTP"));
  const int64_t D = c.hidden_size, V = c.vocab_size;
  scratch_ = std::make_unique<LayerScratch>();
  for (int64_t k = 0; k < c.num_nextn_predict_layers; ++k) {
    const int64_t l = c.num_hidden_layers + k;
    const std::string p = "model.layers." + std::to_string(l);
    Module m;
    m.embed =
        ckpt.has(p + ".embed_tokens.weight") ? ckpt.weight(p + ".embed_tokens.weight", V, D) : main.embed_weight();
    m.eh_proj = ckpt.weight(p + ".eh_proj.weight", D, 2 * D);
    m.enorm = ckpt.vector_f32(p + ".enorm.weight", D);
    m.hnorm = ckpt.vector_f32(p + ".hnorm.weight", D);
    m.layer = std::make_unique<DecoderLayer>(c, ckpt, l, mode, main.experts(), *scratch_);
    m.head = std::make_unique<OutputHead>(
        ckpt.vector_f32(p + ".shared_head.norm.weight", D),
        ckpt.has(p + ".shared_head.head.weight") ? ckpt.weight(p + ".shared_head.head.weight", V, D) : main.lm_head(),
        eps_);
    modules_.push_back(std::move(m));
  }
}

KvCache MtpPredictor::make_cache(DType dtype, int64_t block_tokens) const {
  const ModelConfig& c = main_.config();
  return KvCache(1, MlaAttention::cache_row_values(c, main_.options().mla_mode), dtype, block_tokens);
}

size_t MtpPredictor::active_weight_bytes() const {
  const Module& m = modules_.front();
  return size_t(m.embed.cols) * dtype_size(m.embed.dtype) + m.eh_proj.bytes() + m.layer->active_weight_bytes() +
         m.head->weight_bytes() + (m.enorm.size() + m.hnorm.size()) * 4;
}

void MtpPredictor::forward(ForwardContext& ctx, int64_t module, const Batch& batch, const float* hidden_in,
                           KvCache& cache, ForwardOutputs& out, float* hidden_out, int64_t vocab_limit) {
  DSINFER_CHECK(module >= 0 && module < n_modules(), "MTP 模块编号越界 ", module);
  const Module& m = modules_[size_t(module)];
  const int64_t T = batch.size(), D = main_.config().hidden_size;
  main_.check_tokens(batch);
  cache.prepare(batch);
  // cat = [enorm(embed(t)) | hnorm(h)]，x = cat · eh_projᵀ
  cat_.resize(size_t(T * 2 * D));
  x_.resize(size_t(T * D));
  {
    ScopedTimer timer(ctx.monitor, Phase::kEmbedding);
    for (int64_t t = 0; t < T; ++t) {
      float* row = cat_.data() + t * 2 * D;
      kernels::dequantize_row(ctx.kernels, m.embed, batch.tokens[size_t(t)], row);
      kernels::rms_norm(ctx.kernels, row, m.enorm.data(), row, D, eps_);
      kernels::rms_norm(ctx.kernels, hidden_in + t * D, m.hnorm.data(), row + D, D, eps_);
    }
  }
  kernels::matmul(ctx.kernels, cat_.data(), 2 * D, T, m.eh_proj, x_.data(), D);
  m.layer->forward(ctx, x_.data(), batch, cache, 0);
  cache.commit(batch);
  if (hidden_out) std::memcpy(hidden_out, x_.data(), size_t(T * D) * sizeof(float));
  m.head->forward(ctx, batch, x_.data(), out, vocab_limit);
}

}  // namespace dsinfer
