// MlaAttention：多头潜在注意力（docs/spec.md §3.3–§3.6）。
//   q = (q_lora_rank ? RMSNorm(x·Wqaᵀ)·Wqbᵀ : x·Wqᵀ)，每头 [q_nope | q_pe]；
//   [c_kv | k_pe] = x·Wkvaᵀ，c_kv 先 RMSNorm；q_pe 与 k_pe（所有头共享）做交错对 RoPE。
// latent 模式缓存 [RMSNorm(c_kv) | k_pe]（kv_lora_rank + rope 个值），解码时吸收：
//   q_abs_h = W_UK_hᵀ·q_nope_h，分数 = (q_abs_h·c + q_pe_h·k_pe)·scale，o_lat_h = Σ p·c，o_h = W_UV_h·o_lat_h；
// expanded 模式把 kv_b_proj 解压出每头 K = [k_nope_h | k_pe] 与 V = v_h 存入缓存，做普通多头注意力。
// 两种模式数学上等价（测试保证 logits 一致）。
#pragma once

#include <string>
#include <vector>

#include "core/buffer.h"
#include "formats/checkpoint.h"
#include "formats/model_config.h"
#include "kernels/rope.h"
#include "model/batch.h"
#include "model/flash_attention.h"
#include "model/forward_context.h"
#include "model/kv_cache.h"

namespace dsinfer {

class MlaAttention {
 public:
  MlaAttention(const ModelConfig& config, const Checkpoint& ckpt, const std::string& prefix, MlaMode mode);

  // 每 token 每层的缓存行长度（元素数）
  static int64_t cache_row_values(const ModelConfig& config, MlaMode mode);

  // out[T, hidden] = Attention(x[T, hidden])（x 已做 input_layernorm）。先把本批所有 token 的
  // K/V 写入 cache 的第 cache_layer 层，再让每个 token 关注其序列中位置 ≤ 自身的所有缓存行。
  void forward(ForwardContext& ctx, const float* x, const Batch& batch, KvCache& cache,
               int64_t cache_layer, float* out);

  size_t weight_bytes() const;  // 解码时实际读取的权重字节

  // latent 模式下把潜向量键解压成每头 K/V 时一个窗口的键数（默认使解压缓冲不超过 kExpandMaxBytes）。
  // 上下文更长时逐窗口解压、按 log-sum-exp 合并；调小它只改变分段，不改变数学结果（测试用它覆盖多窗口）。
  void set_expand_window_keys(int64_t keys);

 private:
  void project_qkv(ForwardContext& ctx, const float* x, const Batch& batch);
  void write_cache(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t cache_layer);
  void attend(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t cache_layer);
  // 找出走分块注意力的 token 段（同一序列、位置连续，查询多或 latent 上下文长），并决定 latent 模式下
  // 哪些段按 expanded 的方式计算（见 expand_pays）；其余 token 组成 absorbed_segments_。
  void plan_flash(const Batch& batch);
  void run_flash(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t cache_layer);
  // latent 模式下按 expanded 方式算一段查询 [i0, i1)：逐窗口、逐头把潜向量键解压成该头的 K/V，再做普通注意力
  void run_expanded_heads(ForwardContext& ctx, const Batch& batch, FlashAttentionArgs a, int64_t i0, int64_t i1);
  // latent 模式下 n_q 个查询、n_keys 个键的一段：先把键解压成每头 K/V 再做普通多头注意力是否更省
  bool expand_pays(int64_t n_q, int64_t n_keys) const;
  // 解压缓冲的上限：长上下文时不能为省计算而多占内存（那正是 latent 要省的），所以按窗口解压
  static constexpr int64_t kExpandMaxBytes = int64_t(64) << 20;
  int64_t expand_window_keys_ = 0;
  // 以下三个只处理头 [h0, h1)，单线程，供按头并行的区域调用；前后两个只处理 absorbed_segments_ 的 token
  void absorb_queries(const ForwardContext& ctx, int64_t h0, int64_t h1);  // q_cat = [W_UK_T·q_nope | q_pe]
  void attend_tokens(const ForwardContext& ctx, int64_t h0, int64_t h1, const Batch& batch, KvCache& cache, int64_t cache_layer,
                     float* scratch);            // 不走分块注意力的 token
  void project_values(const ForwardContext& ctx, int64_t h0, int64_t h1);  // o = W_UV·o_lat

  MlaMode mode_;
  int64_t hidden_, n_heads_, q_lora_rank_, kv_lora_rank_, nope_, rope_dim_, v_dim_;
  float eps_, scale_;
  kernels::Rope rope_;
  Weight q_proj_, q_a_proj_, q_b_proj_, kv_a_proj_, kv_b_proj_, o_proj_;
  std::vector<float> q_a_norm_, kv_a_norm_;
  // latent 模式：加载时由 kv_b_proj 变换得到的逐头吸收矩阵（保持源 dtype；FP8 源反量化为 F32）
  Buffer<uint8_t> w_uk_t_storage_, w_uv_storage_;
  std::vector<Weight> w_uk_t_;  // 每头 [kv_lora_rank, nope]：q_abs = W_UK_T·q_nope
  std::vector<Weight> w_uv_;    // 每头 [v_dim, kv_lora_rank]：o = W_UV·o_lat

  // 分块注意力的启用阈值：一段连续查询的 token 数，或 latent 模式下的上下文长度（一个缓存块起，
  // 融合内核就比逐 token 内核快：单线程 64 / 128 个位置 49 / 89 µs 对 122 / 259 µs，见 bench/README.md）
  static constexpr int64_t kFlashMinQueries = 16;
  static constexpr int64_t kFlashMinKeys = 64;
  FlashAttention flash_;

  // 暂存
  Buffer<float> q_a_, q_, kv_, kvb_, row_, q_cat_, o_lat_, o_;
  std::vector<int64_t> visible_;
  std::vector<uint8_t> use_flash_;
  struct FlashRun {
    int64_t i0, i1;  // token [i0, i1)
    bool expand;     // latent 模式下按 expanded 计算
  };
  std::vector<FlashRun> flash_runs_;
  std::vector<std::pair<int64_t, int64_t>> absorbed_segments_;  // latent 模式下走吸收路径的 token 段
  std::vector<Buffer<float>> thread_scores_;
};

}  // namespace dsinfer
