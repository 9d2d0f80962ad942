#include "model/deepseek_model.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "kernels/kernels.h"
#include "model/resident_expert_store.h"

namespace dsinfer {

DeepseekModel::DeepseekModel(const std::string& dir, const ModelOptions& options)
    : config_(load_model_config(dir)),
      options_(options),
      ckpt_(std::make_unique<Checkpoint>(dir, options.memory.budget_bytes ? LoadMode::kMmap : options.load_mode,
                                         options.progress, options.memory.budget_bytes > 0)) {
  const int64_t V = config_.vocab_size, D = config_.hidden_size;
  scratch_ = std::make_unique<LayerScratch>();
  if (options_.memory.budget_bytes > 0 && config_.n_routed_experts > 0) {
    plan_ = plan_memory(config_, *ckpt_, options_.memory);
    if (!plan_.fits()) throw Error(ErrorCode::kConfig, plan_.shortfall());
    TieredExpertStoreOptions o = options_.experts;
    o.slots_per_layer = plan_.slots_per_layer;
    auto tiered = std::make_unique<TieredExpertStore>(config_, *ckpt_, o);
    tiered_ = tiered.get();
    experts_ = std::move(tiered);
  } else {
    experts_ = std::make_unique<ResidentExpertStore>(config_, *ckpt_);
  }
  embed_ = ckpt_->weight("model.embed_tokens.weight", V, D);
  head_ = std::make_unique<OutputHead>(ckpt_->vector_f32("model.norm.weight", D),
                                       config_.tie_word_embeddings ? embed_ : ckpt_->weight("lm_head.weight", V, D),
                                       float(config_.rms_norm_eps));
  for (int64_t l = 0; l < config_.num_hidden_layers; ++l)
    layers_.push_back(std::make_unique<DecoderLayer>(config_, *ckpt_, l, options_.mla_mode, *experts_, *scratch_));
  // 每个 MoE 层知道下一个 MoE 层（next-layer 预取用）
  MoeLayer* prev = nullptr;
  for (const auto& layer : layers_)
    if (MoeLayer* moe = layer->moe()) {
      if (prev) prev->set_next(moe);
      prev = moe;
    }
}

KvCache DeepseekModel::make_cache(DType dtype, int64_t block_tokens) const {
  return KvCache(config_.num_hidden_layers, MlaAttention::cache_row_values(config_, options_.mla_mode), dtype,
                 block_tokens);
}

void DeepseekModel::embed(const ForwardContext& ctx, const int32_t* tokens, int64_t n, float* out) const {
  for (int64_t i = 0; i < n; ++i)
    kernels::dequantize_row(ctx.kernels, embed_, tokens[i], out + i * config_.hidden_size);
}

size_t DeepseekModel::active_weight_bytes() const {
  size_t b = size_t(config_.hidden_size) * dtype_size(embed_.dtype) + head_->weight_bytes();
  for (const auto& l : layers_) b += l->active_weight_bytes();
  return b;
}

void DeepseekModel::check_tokens(const Batch& batch) const {
  for (int32_t tok : batch.tokens)
    if (tok < 0 || tok >= config_.vocab_size)
      throw Error(ErrorCode::kInvalidArgument, cat("token id ", tok, " 超出词表范围 [0, ", config_.vocab_size, ")"));
}

void DeepseekModel::forward(ForwardContext& ctx, const Batch& batch, KvCache& cache, ForwardOutputs& out) {
  const int64_t T = batch.size(), D = config_.hidden_size;
  check_tokens(batch);
  cache.prepare(batch);
  h_.resize(size_t(T * D));
  {
    ScopedTimer timer(ctx.monitor, Phase::kEmbedding);
    embed(ctx, batch.tokens.data(), T, h_.data());
  }
  for (size_t l = 0; l < layers_.size(); ++l) layers_[l]->forward(ctx, h_.data(), batch, cache, int64_t(l));
  cache.commit(batch);

  head_->forward(ctx, batch, h_.data(), out);
}

}  // namespace dsinfer
