// ModelConfig：Hugging Face config.json 中所有影响计算的字段（docs/spec.md §1），解析一次并校验。
// 缺字段 / 取值非法 / 未知架构都抛出 Error，消息点名 config.json 路径与字段名。
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsinfer {

enum class Architecture { kDeepseekV2, kDeepseekV3 };
enum class ScoringFunc { kSoftmax, kSigmoid };
// greedy：全局 top-k；group_limited_greedy：组分 = 组内最大值（V2）；
// noaux_tc：加偏置选择，组分 = 组内前 2 之和（V3）。见 docs/spec.md §3.7。
enum class TopkMethod { kGreedy, kGroupLimitedGreedy, kNoauxTc };

struct RopeScaling {
  bool yarn = false;  // rope_scaling 为 null 时为普通 RoPE
  double factor = 1.0;
  int64_t original_max_position_embeddings = 0;
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  double mscale = 1.0;
  double mscale_all_dim = 0.0;  // HF 缺省 0 → 不放大 softmax 缩放
};

struct ModelConfig {
  std::string path;  // config.json 路径（错误消息用）
  Architecture architecture = Architecture::kDeepseekV3;
  std::string model_type;

  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;      // 稠密 FFN 宽度
  int64_t moe_intermediate_size = 0;  // 每个专家的宽度
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t q_lora_rank = 0;  // 0 表示 null：直接用 q_proj
  int64_t kv_lora_rank = 0;
  int64_t qk_nope_head_dim = 0;
  int64_t qk_rope_head_dim = 0;
  int64_t v_head_dim = 0;

  int64_t n_routed_experts = 0;  // 0 表示没有 MoE 层
  int64_t n_shared_experts = 0;
  int64_t num_experts_per_tok = 0;
  int64_t n_group = 1;
  int64_t topk_group = 1;
  TopkMethod topk_method = TopkMethod::kGreedy;
  ScoringFunc scoring_func = ScoringFunc::kSoftmax;
  bool norm_topk_prob = false;
  double routed_scaling_factor = 1.0;
  int64_t first_k_dense_replace = 0;
  int64_t moe_layer_freq = 1;

  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 0;
  int64_t num_nextn_predict_layers = 0;
  bool tie_word_embeddings = false;
  std::vector<int32_t> bos_token_ids;
  std::vector<int32_t> eos_token_ids;
  std::string torch_dtype;
  bool fp8_quantized = false;  // quantization_config: fp8 e4m3，128×128 分块

  int64_t qk_head_dim() const { return qk_nope_head_dim + qk_rope_head_dim; }
  // 与 HF / vLLM 相同：n_routed_experts 非空、l >= first_k_dense_replace 且 l % moe_layer_freq == 0。
  bool is_moe_layer(int64_t layer) const;
  // softmax 缩放 = qk_head_dim^-0.5 × mscale²，mscale = 0.1·mscale_all_dim·ln(factor) + 1（docs/spec.md §3.5）。
  double softmax_scale() const;
  const char* architecture_name() const;
};

// 从 JSON 文本解析；path 只用于错误消息。
ModelConfig parse_model_config(const std::string& json_text, const std::string& path);
// 读取 dir/config.json。
ModelConfig load_model_config(const std::string& dir);

}  // namespace dsinfer
