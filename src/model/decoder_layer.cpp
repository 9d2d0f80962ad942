#include "model/decoder_layer.h"

#include "kernels/kernels.h"

namespace dsinfer {

DecoderLayer::DecoderLayer(const ModelConfig& config, const Checkpoint& ckpt, int64_t layer_index, MlaMode mode,
                           ExpertStore& experts, LayerScratch& scratch)
    : eps_(float(config.rms_norm_eps)),
      hidden_(config.hidden_size),
      attn_norm_(ckpt.vector_f32("model.layers." + std::to_string(layer_index) + ".input_layernorm.weight",
                                 config.hidden_size)),
      ffn_norm_(ckpt.vector_f32("model.layers." + std::to_string(layer_index) + ".post_attention_layernorm.weight",
                                config.hidden_size)),
      attn_(config, ckpt, "model.layers." + std::to_string(layer_index) + ".self_attn", mode, scratch.attn),
      s_(scratch) {
  const std::string mlp = "model.layers." + std::to_string(layer_index) + ".mlp";
  if (config.is_moe_layer(layer_index)) {
    moe_ = std::make_unique<MoeLayer>(config, ckpt, mlp, layer_index, experts, scratch.moe);
  } else {
    mlp_ = std::make_unique<DenseMlp>(ckpt, mlp, config.hidden_size, config.intermediate_size);
  }
}

void DecoderLayer::forward(ForwardContext& ctx, float* h, const Batch& batch, KvCache& cache, int64_t cache_layer) {
  const int64_t T = batch.size(), D = hidden_;
  s_.xn.resize(size_t(T * D));
  s_.tmp.resize(size_t(T * D));
  for (int64_t t = 0; t < T; ++t)
    kernels::rms_norm(ctx.kernels, h + t * D, attn_norm_.data(), s_.xn.data() + t * D, D, eps_);
  attn_.forward(ctx, s_.xn.data(), batch, cache, cache_layer, s_.tmp.data());
  kernels::axpy(ctx.kernels, 1.0f, s_.tmp.data(), h, T * D);
  for (int64_t t = 0; t < T; ++t)
    kernels::rms_norm(ctx.kernels, h + t * D, ffn_norm_.data(), s_.xn.data() + t * D, D, eps_);
  if (moe_) {
    moe_->forward(ctx, s_.xn.data(), T, s_.tmp.data());
  } else {
    ScopedTimer timer(ctx.monitor, Phase::kDenseMlp);
    mlp_->forward(ctx, s_.xn.data(), T, s_.tmp.data());
  }
  kernels::axpy(ctx.kernels, 1.0f, s_.tmp.data(), h, T * D);
}

size_t DecoderLayer::active_weight_bytes() const {
  return attn_.weight_bytes() + (moe_ ? moe_->active_weight_bytes() : mlp_->weight_bytes()) +
         (attn_norm_.size() + ffn_norm_.size()) * 4;
}

}  // namespace dsinfer
