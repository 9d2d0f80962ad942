#include "model/deepseek_model.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "kernels/kernels.h"

namespace dsinfer {

DeepseekModel::DeepseekModel(const std::string& dir, const ModelOptions& options)
    : config_(load_model_config(dir)), options_(options), ckpt_(std::make_unique<Checkpoint>(dir, options.load_mode)) {
  const int64_t V = config_.vocab_size, D = config_.hidden_size;
  embed_ = ckpt_->weight("model.embed_tokens.weight", V, D);
  lm_head_ = config_.tie_word_embeddings ? embed_ : ckpt_->weight("lm_head.weight", V, D);
  final_norm_ = ckpt_->vector_f32("model.norm.weight", D);
  for (int64_t l = 0; l < config_.num_hidden_layers; ++l)
    layers_.push_back(std::make_unique<DecoderLayer>(config_, *ckpt_, l, options_.mla_mode));
}

KvCache DeepseekModel::make_cache(DType dtype, int64_t block_tokens) const {
  return KvCache(config_.num_hidden_layers, MlaAttention::cache_row_values(config_, options_.mla_mode), dtype,
                 block_tokens);
}

void DeepseekModel::embed(const int32_t* tokens, int64_t n, float* out) const {
  for (int64_t i = 0; i < n; ++i) kernels::dequantize_row(embed_, tokens[i], out + i * config_.hidden_size);
}

size_t DeepseekModel::active_weight_bytes() const {
  size_t b = size_t(config_.hidden_size) * dtype_size(embed_.dtype) + lm_head_.bytes() + final_norm_.size() * 4;
  for (const auto& l : layers_) b += l->active_weight_bytes();
  return b;
}

void DeepseekModel::validate_and_reserve(const Batch& batch, KvCache& cache) {
  const int64_t T = batch.size();
  DSINFER_CHECK(batch.seq_ids.size() == size_t(T) && batch.positions.size() == size_t(T) &&
                    batch.want_output.size() == size_t(T),
                "Batch 各数组长度不一致");
  int32_t max_seq = -1;
  for (int64_t t = 0; t < T; ++t) {
    const int32_t tok = batch.tokens[size_t(t)], seq = batch.seq_ids[size_t(t)];
    if (tok < 0 || tok >= config_.vocab_size)
      throw Error(ErrorCode::kInvalidArgument, cat("token id ", tok, " 超出词表范围 [0, ", config_.vocab_size, ")"));
    if (!cache.has_sequence(seq)) throw Error(ErrorCode::kInvalidArgument, cat("批次引用了不存在的序列 ", seq));
    max_seq = std::max(max_seq, seq);
  }
  next_pos_.resize(size_t(max_seq + 1));
  for (int64_t t = 0; t < T; ++t) next_pos_[size_t(batch.seq_ids[size_t(t)])] = cache.length(batch.seq_ids[size_t(t)]);
  for (int64_t t = 0; t < T; ++t) {
    const int32_t seq = batch.seq_ids[size_t(t)];
    int64_t& next = next_pos_[size_t(seq)];
    if (batch.positions[size_t(t)] != next)
      throw Error(ErrorCode::kInvalidArgument, cat("序列 ", seq, " 的位置 ", batch.positions[size_t(t)],
                                                   " 不连续：应为 ", next, "（位置须从缓存长度起逐一递增）"));
    ++next;
  }
  for (int64_t t = 0; t < T; ++t) {
    const int32_t seq = batch.seq_ids[size_t(t)];
    cache.reserve(seq, next_pos_[size_t(seq)]);
  }
}

void DeepseekModel::forward(ForwardContext& ctx, const Batch& batch, KvCache& cache, ForwardOutputs& out) {
  const int64_t T = batch.size(), D = config_.hidden_size, V = config_.vocab_size;
  validate_and_reserve(batch, cache);
  h_.resize(size_t(T * D));
  {
    ScopedTimer timer(ctx.monitor, Phase::kEmbedding);
    embed(batch.tokens.data(), T, h_.data());
  }
  for (size_t l = 0; l < layers_.size(); ++l) layers_[l]->forward(ctx, h_.data(), batch, cache, int64_t(l));
  for (int64_t t = 0; t < T; ++t) {
    const int32_t seq = batch.seq_ids[size_t(t)];
    cache.set_length(seq, std::max(cache.length(seq), batch.positions[size_t(t)] + 1));
  }

  ScopedTimer timer(ctx.monitor, Phase::kLmHead);
  out.n_out = batch.n_outputs();
  out.vocab = V;
  out.dim = D;
  out.hidden.resize(size_t(out.n_out * D));
  out.logits.resize(size_t(out.n_out * V));
  int64_t i = 0;
  for (int64_t t = 0; t < T; ++t) {
    if (!batch.want_output[size_t(t)]) continue;
    kernels::rms_norm(h_.data() + t * D, final_norm_.data(), out.hidden.data() + i * D, D, float(config_.rms_norm_eps));
    ++i;
  }
  kernels::matmul(out.hidden.data(), D, out.n_out, lm_head_, out.logits.data(), V, ctx.pool);
}

}  // namespace dsinfer
