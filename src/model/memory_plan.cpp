#include "model/memory_plan.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "model/mla_attention.h"
#include "model/tiered_expert_store.h"

namespace dsinfer {

namespace {

// 张量名中的层号（"model.layers.12.xxx" → 12；不是层内张量时 -1）
int64_t layer_of(const std::string& name) {
  const std::string p = "model.layers.";
  if (name.compare(0, p.size(), p) != 0) return -1;
  return std::strtoll(name.c_str() + p.size(), nullptr, 10);
}

bool is_routed_expert(const std::string& name) {
  return name.find(".mlp.experts.") != std::string::npos;
}

// 一个预填充块在各层共用的暂存（f32）：注意力（查询、潜向量、吸收后的查询与输出）、MoE（聚合输入、
// gate/up/down 输出、路由 logits）、隐状态与残差，加上最后一行的 logits。按最大的模式估计。
uint64_t scratch_estimate(const ModelConfig& c, int64_t T, int64_t threads, int64_t ctx) {
  const int64_t D = c.hidden_size, H = c.num_attention_heads, L = c.kv_lora_rank, R = c.qk_rope_head_dim;
  const int64_t K = std::max<int64_t>(c.num_experts_per_tok, 1), I = c.moe_intermediate_size;
  const int64_t S = c.n_shared_experts * c.moe_intermediate_size;
  int64_t floats = 3 * T * D;                                                    // h、xn、tmp
  floats += T * (c.q_lora_rank + H * c.qk_head_dim() + L + R);                   // q_a、q、kv
  floats += T * H * (c.qk_nope_head_dim + c.v_head_dim);                         // expanded 模式的 kv_b 输出
  floats += T * H * (L + R) + T * H * L + T * H * c.v_head_dim;                  // q_cat、o_lat、o
  floats += threads * H * ctx;                                                   // 每线程的注意力分数
  floats += T * c.n_routed_experts + 2 * T * K * D + 2 * T * K * I + 2 * T * S;  // MoE
  floats += std::max<int64_t>(c.intermediate_size, 1) * T * 2;                   // 稠密层 gate/up
  floats += 2 * c.vocab_size;                                                    // logits
  return uint64_t(floats) * 4;
}

}  // namespace

MemoryPlan plan_memory(const ModelConfig& c, const Checkpoint& ckpt, const MemoryRequest& r) {
  MemoryPlan p;
  p.budget_bytes = r.budget_bytes;
  const int64_t n_layers = c.num_hidden_layers + (r.include_mtp ? c.num_nextn_predict_layers : 0);
  for (const auto& [name, t] : ckpt.tensors()) {
    const int64_t l = layer_of(name);
    if (l >= n_layers) continue;
    if (is_routed_expert(name))
      p.all_expert_bytes += t->nbytes;
    else
      p.resident_bytes += t->nbytes;
  }
  int64_t first_moe = -1;
  for (int64_t l = 0; l < n_layers; ++l)
    if (c.is_moe_layer(l)) {
      ++p.moe_layers;
      if (first_moe < 0) first_moe = l;
    }
  // MLA 吸收路径从 kv_b_proj 派生的 W_UKᵀ 与 W_UV（按 kv_b_proj 的 dtype 存放）
  const std::string kvb = "model.layers.0.self_attn.kv_b_proj.weight";
  const size_t es = ckpt.has(kvb) ? dtype_size(ckpt.tensor(kvb).dtype) : 4;
  p.resident_bytes +=
      uint64_t(n_layers) * uint64_t(c.num_attention_heads * c.kv_lora_rank * (c.qk_nope_head_dim + c.v_head_dim)) * es;
  p.n_experts = c.n_routed_experts;
  if (first_moe >= 0) {
    p.slot_bytes = TieredExpertStore::slot_bytes(ckpt, c, first_moe);
    for (const auto* t : {"gate_proj", "up_proj", "down_proj"}) {
      const std::string name = cat("model.layers.", first_moe, ".mlp.experts.0.", t, ".weight");
      p.expert_bytes += ckpt.tensor(name).nbytes;
      if (ckpt.has(name + "_scale_inv")) p.expert_bytes += ckpt.tensor(name + "_scale_inv").nbytes;
    }
  }
  p.kv_bytes_per_token =
      uint64_t(MlaAttention::cache_row_values(c, r.mla_mode)) * dtype_size(r.kv_dtype) * uint64_t(n_layers);
  p.kv_tokens = r.context_tokens;
  p.kv_bytes = p.kv_bytes_per_token * uint64_t(r.context_tokens);
  p.scratch_bytes = scratch_estimate(c, r.chunk_tokens, std::max<int64_t>(r.threads, 1), r.context_tokens);
  // 余量：程序与库、线程栈、分配器；分词器的词表与合并表在内存中约为 tokenizer.json 的数倍
  struct stat st {};
  const uint64_t tokenizer = ::stat((ckpt.dir() + "/tokenizer.json").c_str(), &st) == 0 ? uint64_t(st.st_size) : 0;
  p.reserve_bytes = (uint64_t(48) << 20) + 6 * tokenizer;
  if (p.moe_layers == 0) return p;
  const uint64_t one_slot_each = uint64_t(p.moe_layers) * p.slot_bytes;
  if (p.budget_bytes >= p.fixed_bytes())
    p.slots_per_layer = std::min<int64_t>(int64_t((p.budget_bytes - p.fixed_bytes()) / one_slot_each), p.n_experts);
  const uint64_t without_kv = p.fixed_bytes() - p.kv_bytes + one_slot_each;
  if (p.budget_bytes > without_kv && p.kv_bytes_per_token)
    p.max_context =
        std::min<int64_t>(int64_t((p.budget_bytes - without_kv) / p.kv_bytes_per_token), c.max_position_embeddings);
  return p;
}

std::string MemoryPlan::shortfall() const {
  const uint64_t need = fixed_bytes() + uint64_t(moe_layers) * slot_bytes;
  return cat("内存预算 ", format_bytes(budget_bytes), " 不够：常驻权重 ", format_bytes(resident_bytes), " + KV 缓存 ",
             format_bytes(kv_bytes), "（", kv_tokens, " token）+ 暂存 ", format_bytes(scratch_bytes), " + 余量 ",
             format_bytes(reserve_bytes), " + 每个 MoE 层至少 1 个专家槽位 ",
             format_bytes(uint64_t(moe_layers) * slot_bytes), " = ", format_bytes(need), "，还差 ",
             format_bytes(need - std::min(need, budget_bytes)));
}

std::string format_bytes(uint64_t bytes) {
  char buf[64];
  if (bytes >= (uint64_t(1) << 30))
    std::snprintf(buf, sizeof buf, "%.2f GiB", double(bytes) / double(uint64_t(1) << 30));
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / double(uint64_t(1) << 20));
  return buf;
}

}  // namespace dsinfer
