// MlaAttention：多头潜在注意力（spec §3.3–§3.6）。
//   q = (q_lora_rank ? RMSNorm(x·Wqaᵀ)·Wqbᵀ : x·Wqᵀ)，每头 [q_nope | q_pe]；
//   [c_kv | k_pe] = x·Wkvaᵀ，c_kv 先 RMSNorm；q_pe 与 k_pe（所有头共享）做交错对 RoPE。
// latent 模式缓存 [RMSNorm(c_kv) | k_pe]（kv_lora_rank + rope 个值），解码时吸收：
//   q_abs_h = W_UK_hᵀ·q_nope_h，分数 = (q_abs_h·c + q_pe_h·k_pe)·scale，o_lat_h = Σ p·c，o_h = W_UV_h·o_lat_h；
// expanded 模式把 kv_b_proj 解压出每头 K = [k_nope_h | k_pe] 与 V = v_h 存入缓存，做普通多头注意力。
// 两种模式数学上等价（测试保证 logits 一致）。
// 每批先由 build_attention_plan 把 token 切段、为每段选一条计算路径（attention_plan.h），再逐段执行；
// 注意力内核本身（逐 token、共享键值、分块、逐窗口生成键）都在 src/kernels/，这里只选择、准备参数并调用。
#pragma once

#include <string>
#include <vector>

#include "core/buffer.h"
#include "formats/checkpoint.h"
#include "formats/model_config.h"
#include "kernels/flash_attention.h"
#include "kernels/rope.h"
#include "model/attention_plan.h"
#include "model/batch.h"
#include "model/forward_context.h"
#include "model/kv_cache.h"

namespace dsinfer {

// 注意力的暂存：各层依次执行，所以整个模型共用一份（由 DeepseekModel / MtpPredictor 持有），
// 大小按最大的一批增长，不随层数增长。T 为本批 token 数，H 为头数，qk = nope + rope，L = kv_lora_rank。
struct MlaScratch {
  Buffer<float> q_a;    // [T, q_lora_rank]
  Buffer<float> q;      // [T, H, qk]：每头 [q_nope | q_pe]（q_pe 已做 RoPE）
  Buffer<float> kv;     // [T, L + rope]：[RMSNorm(c_kv) | RoPE(k_pe)]
  Buffer<float> kvb;    // [T, H, nope + v_dim]：expanded 模式写缓存前由 kv_b_proj 解压的每头 [k_nope | v]
  Buffer<float> row;    // [H·qk + H·v_dim]：expanded 模式的一个缓存行 [K_0..K_{H-1} | V_0..V_{H-1}]
  Buffer<float> q_cat;  // [T, H, L + rope]：latent 吸收后的查询 [W_UK_T·q_nope | q_pe]
  Buffer<float> o_lat;  // [T, H, L]：latent 吸收路径在潜空间的注意力输出
  Buffer<float> o;      // [T, H, v_dim]：每头的注意力输出（两种模式、所有路径），o_proj 的输入
  std::vector<int64_t> visible;              // [分块注意力的查询行数]：每个查询行可见的键数
  std::vector<Buffer<float>> thread_scores;  // 每线程 [H, 逐 token 路径的最长上下文]：分数暂存
  kernels::FlashAttention flash;
};

class MlaAttention {
 public:
  MlaAttention(const ModelConfig& config, const Checkpoint& ckpt, const std::string& prefix, MlaMode mode,
               MlaScratch& scratch);

  // 每 token 每层的缓存行长度（元素数）
  static int64_t cache_row_values(const ModelConfig& config, MlaMode mode);

  // out[T, hidden] = Attention(x[T, hidden])（x 已做 input_layernorm）。先把本批所有 token 的
  // K/V 写入 cache 的第 cache_layer 层，再让每个 token 关注其序列中位置 ≤ 自身的所有缓存行。
  void forward(ForwardContext& ctx, const float* x, const Batch& batch, KvCache& cache, int64_t cache_layer,
               float* out);

  size_t weight_bytes() const;  // 解码时实际读取的权重字节

  // latent 模式下把潜向量键解压成每头 K/V 时一个窗口的键数（默认使解压缓冲不超过 kExpandMaxBytes）。
  // 上下文更长时逐窗口解压、按 log-sum-exp 合并；调小它只改变分段，不改变数学结果（测试用它覆盖多窗口）。
  void set_expand_window_keys(int64_t keys);

 private:
  void project_qkv(ForwardContext& ctx, const float* x, const Batch& batch);
  void write_cache(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t cache_layer);
  // 按 plan_ 逐段执行各路径（路径的选择见 attention_plan.h）
  void attend(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t cache_layer);

  // 每条路径一个函数，只算段 s 的 token。分块注意力的三条路径自己用线程池并行；逐 token 的两条只处理头 [h0, h1)、
  // 单线程，供按头并行的区域调用（scratch 为本线程的分数暂存，至少 (h1 − h0) · 上下文长度个 float）。
  void attend_absorbed_per_token(const ForwardContext& ctx, const AttentionSegment& s, int64_t h0, int64_t h1,
                                 const Batch& batch, KvCache& cache, int64_t cache_layer, float* scratch);
  void attend_absorbed_flash(ForwardContext& ctx, const AttentionSegment& s, const Batch& batch, KvCache& cache,
                             int64_t cache_layer);
  void attend_latent_expanded_flash(ForwardContext& ctx, const AttentionSegment& s, const Batch& batch, KvCache& cache,
                                    int64_t cache_layer);
  void attend_expanded_flash(ForwardContext& ctx, const AttentionSegment& s, const Batch& batch, KvCache& cache,
                             int64_t cache_layer);
  void attend_expanded_per_token(const ForwardContext& ctx, const AttentionSegment& s, int64_t h0, int64_t h1,
                                 const Batch& batch, KvCache& cache, int64_t cache_layer, float* scratch);
  // visible_ = 段 s 内每个查询行可见的键数（因果：位置 + 1），每个 token 占 rows_per_token 行（latent 吸收时为头数）
  void fill_visible(const AttentionSegment& s, const Batch& batch, int64_t rows_per_token);
  // 计划中所有分块注意力的段，与所有逐 token 的段（头 [h0, h1)），各按 token 顺序
  void attend_flash_segments(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t cache_layer);
  void attend_per_token_segments(const ForwardContext& ctx, int64_t h0, int64_t h1, const Batch& batch, KvCache& cache,
                                 int64_t cache_layer, float* scratch);
  // latent 吸收路径的前后两步，只处理头 [h0, h1) 与 plan_.absorbed_spans 的 token，单线程
  void absorb_queries(const ForwardContext& ctx, int64_t h0, int64_t h1);  // q_cat_ = [W_UK_T·q_nope | q_pe]
  void project_values(const ForwardContext& ctx, int64_t h0, int64_t h1);  // o_ = W_UV·o_lat_

  // 解压缓冲的上限：长上下文时不能为省计算而多占内存（那正是 latent 要省的），所以按窗口解压
  static constexpr int64_t kExpandMaxBytes = int64_t(64) << 20;
  int64_t expand_window_keys_ = 0;

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

  AttentionPlanConfig plan_config_;
  AttentionPlan plan_;

  MlaScratch& s_;  // 各层共用（层逐个执行）
};

}  // namespace dsinfer
