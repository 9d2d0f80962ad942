#include "model/model_stats.h"

#include "model/mla_attention.h"

namespace dsinfer {

namespace {

int64_t attention_params(const ModelConfig& c) {
  const int64_t D = c.hidden_size, H = c.num_attention_heads, qk = c.qk_head_dim();
  const int64_t q = c.q_lora_rank > 0 ? D * c.q_lora_rank + c.q_lora_rank + c.q_lora_rank * H * qk : D * H * qk;
  return q + D * (c.kv_lora_rank + c.qk_rope_head_dim) + c.kv_lora_rank +
         c.kv_lora_rank * H * (c.qk_nope_head_dim + c.v_head_dim) + H * c.v_head_dim * D;
}

// 一个解码层：{总参数, 激活参数}
std::pair<int64_t, int64_t> layer_params(const ModelConfig& c, int64_t layer) {
  const int64_t D = c.hidden_size, base = attention_params(c) + 2 * D;
  if (!c.is_moe_layer(layer)) return {base + 3 * D * c.intermediate_size, base + 3 * D * c.intermediate_size};
  const int64_t expert = 3 * D * c.moe_intermediate_size;
  const int64_t router = c.n_routed_experts * D + (c.topk_method == TopkMethod::kNoauxTc ? c.n_routed_experts : 0);
  const int64_t shared = c.n_shared_experts * expert;
  return {base + router + shared + c.n_routed_experts * expert,
          base + router + shared + c.num_experts_per_tok * expert};
}

}  // namespace

ParamCounts count_params(const ModelConfig& c) {
  ParamCounts p;
  const int64_t D = c.hidden_size, V = c.vocab_size;
  const int64_t head = c.tie_word_embeddings ? 0 : V * D;
  p.total = V * D + head + D;
  p.active = D + V * D + D;  // 一行词嵌入 + lm_head + 最终范数
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const auto [total, active] = layer_params(c, l);
    p.total += total;
    p.active += active;
  }
  for (int64_t k = 0; k < c.num_nextn_predict_layers; ++k) {
    // enorm、hnorm、eh_proj [D, 2D]、一个解码层、shared_head.norm、词嵌入与输出头副本
    p.mtp += 2 * D + 2 * D * D + layer_params(c, c.num_hidden_layers + k).first + D + 2 * V * D;
  }
  return p;
}

int64_t kv_bytes_per_token(const ModelConfig& c, MlaMode mode, DType kv_dtype) {
  return c.num_hidden_layers * MlaAttention::cache_row_values(c, mode) * int64_t(dtype_size(kv_dtype));
}

int64_t max_context_for_budget(const ModelConfig& c, MlaMode mode, DType kv_dtype, int64_t budget_bytes) {
  const int64_t per = kv_bytes_per_token(c, mode, kv_dtype);
  return per > 0 ? budget_bytes / per : 0;
}

}  // namespace dsinfer
