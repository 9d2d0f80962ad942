// CPU 数学内核：对 Tensor/Weight 视图的纯函数，不知道模型结构。
// 每个内核有标量参考实现（测试基准）与 AVX2 / AVX-512 实现；依赖执行设置（指令集路径、矩阵乘精度、
// 预取提前量、线程池）的入口都显式取 KernelContext（见 kernel_context.h），内核本身没有可变的全局状态。
// 约定：权重保持存储 dtype（F32 / BF16 / F16 / F8_E4M3 分块缩放），激活一律 f32。
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/weight.h"
#include "kernels/kernel_context.h"

namespace dsinfer::kernels {

// y[t, n] = Σ_k x[t, k] · W[n, k]，t ∈ [0, n_tokens)，n ∈ [0, W.rows)。按输出行的固定分块在 ctx.pool() 的线程间分配
// （见 matmul_batch），结果与线程数无关。
void matmul(const KernelContext& ctx, const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y,
            int64_t ldy);
// 同上，但只计算行 [row_begin, row_end)，在调用线程上执行。
void matmul_rows(const KernelContext& ctx, const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y,
                 int64_t ldy, int64_t row_begin, int64_t row_end);

// STREAM 式读带宽探针：对 n 个 float 求和（多路累加器，结果防止被优化掉）。
float stream_read(const KernelContext& ctx, const float* x, int64_t n);

// y[t, n] (+)= Σ_k x[t, k] · W[k, n]（权重不转置，W 为 F32 或 BF16 的 [K, N]，行距 W.ld），
// 只算列 [col_begin, col_end)，单线程。注意力的 P·V 用它直接读缓存行，无需转置。
void matmul_nn_rows(const KernelContext& ctx, const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y,
                    int64_t ldy, int64_t col_begin, int64_t col_end, bool accumulate);

// 一组独立的矩阵乘（MoE 的各个专家、MLA 的逐头吸收矩阵）：把所有输出行按代价
// （行数 × token 数）切块，在一次并行区内均分给各线程——每层只同步一次，而不是每个矩阵一次。
struct MatmulJob {
  const float* x;
  int64_t ldx;
  int64_t n_tokens;
  const Weight* w;
  float* y;
  int64_t ldy;
};
void matmul_batch(const KernelContext& ctx, const MatmulJob* jobs, size_t n_jobs);

// 反量化权重的一行为 f32（FP8 含分块缩放）；用于词嵌入查表。结果与 core/weight.h 的标量 dequantize_row 逐位相同。
void dequantize_row(const KernelContext& ctx, const Weight& w, int64_t row, float* out);

// y = x / sqrt(mean(x²) + eps) · weight（HF DeepseekV2RMSNorm，f32 计算）
void rms_norm(const KernelContext& ctx, const float* x, const float* weight, float* y, int64_t n, float eps);
// out = silu(gate) · up
void silu_mul(const KernelContext& ctx, const float* gate, const float* up, float* out, int64_t n);
// y += a · x
void axpy(const KernelContext& ctx, float a, const float* x, float* y, int64_t n);
// 原地数值稳定的 softmax
void softmax(const KernelContext& ctx, float* x, int64_t n);
// x *= scale，返回 max(x)（n = 0 时返回 −inf）
float scale_max(const KernelContext& ctx, float* x, int64_t n, float scale);
// x = exp(x − shift)，返回 Σ x
float exp_sum(const KernelContext& ctx, float* x, int64_t n, float shift);
// 一行存储 dtype 的数据转成 f32（词嵌入行、KV 缓存行）
void row_to_f32(const KernelContext& ctx, DType dtype, const void* src, float* dst, int64_t n);
// f32 写入 F32 / BF16 行（KV 缓存）；与路径无关，不取上下文
void row_from_f32(DType dtype, const float* src, void* dst, int64_t n);

// 分页 KV 缓存中某一层的行：第 t 个 token 的行在 blocks[t / block_tokens] 块内。
struct KvRows {
  const uint8_t* const* blocks = nullptr;
  int64_t block_tokens = 0;
  int64_t token_stride = 0;  // 块内相邻 token 的字节距离
  int64_t layer_offset = 0;  // 本层在每个 token 行内的字节偏移
  DType dtype = DType::kF32;
  const uint8_t* row(int64_t t) const {
    return blocks[t / block_tokens] + layer_offset + (t % block_tokens) * token_stride;
  }
};

// 一个查询 token 在 n_ctx 个缓存位置上的多头注意力，一个内核同时服务两种 MLA 模式：
//  latent（MQA）：所有头共享同一行 [c_kv | k_pe]，k_head_stride = 0，V 取该行前 kv_lora_rank 维；
//  expanded（MHA）：每头各自的 K（nope+rope）与 V。
// scores[h][t] = scale · q_h · K_h[t]；out_h = Σ_t softmax(scores_h)[t] · V_h[t]。
struct AttentionArgs {
  const float* q = nullptr;
  int64_t n_heads = 0;
  int64_t q_head_stride = 0;
  KvRows kv;
  int64_t n_ctx = 0;
  int64_t k_offset = 0, k_head_stride = 0, dk = 0;  // 以元素计
  int64_t v_offset = 0, v_head_stride = 0, dv = 0;
  float scale = 1.0f;
  float* out = nullptr;
  int64_t out_head_stride = 0;
};
// scratch 至少 n_heads · n_ctx 个 float。
void attention(const KernelContext& ctx, const AttentionArgs& args, float* scratch);

// 一组查询行共享同一组键 / 值（MLA latent 解码的各头、MTP 验证的几个 token、MQA）时，键 [k0, k1) 上的注意力，单线程。
// 查询行按 16 个一组并排放在向量寄存器里：每块键（≤ 64 个，不跨缓存块）先转成 f32 一次（F32
// 缓存直接读）、依次供各组使用， 分数是“键 × 16 行”的外积，在线 softmax
// 沿查询行向量化，加权求和也在这一块上完成——键只读一遍， 不像逐行 GEMV 那样让每个头各读一遍。结果未归一化，供按
// log-sum-exp 合并：
//   o[i] = Σ_t e^(s_it − m_i)·v_t，m[i] = max_t s_it（无可见键时为 −∞），l[i] = Σ_t e^(s_it − m_i)，
//   s_it = scale·q_i·k_t，只对 t < visible[i] 的键。
struct SharedKvAttentionArgs {
  const float* q = nullptr;  // [n_q, dk]，行距 ldq
  int64_t ldq = 0, n_q = 0;
  const int64_t* visible = nullptr;
  KvRows kv;
  int64_t k0 = 0, k1 = 0;
  int64_t k_offset = 0, dk = 0;  // 以元素计，行内位置
  int64_t v_offset = 0, dv = 0;
  float scale = 1.0f;
  float* o = nullptr;  // [n_q, dv]，行距 ldo
  int64_t ldo = 0;
  float* m = nullptr;  // [n_q]
  float* l = nullptr;  // [n_q]
};
inline constexpr int64_t kSharedKvRows = 16, kSharedKvKeys = 64;  // 一组查询行、一块键
// 所需暂存（float 个数）：每组 16 行的转置查询、行最大值、行和、输出，加一块键与值的 f32 和分数
inline int64_t shared_kv_attention_scratch(int64_t n_q, int64_t dk, int64_t dv) {
  const int64_t rows = (n_q + kSharedKvRows - 1) / kSharedKvRows * kSharedKvRows;
  return rows * (dk + 2 + dv) + kSharedKvKeys * (dk + dv + kSharedKvRows);
}
void shared_kv_attention(const KernelContext& ctx, const SharedKvAttentionArgs& args, float* scratch);

}  // namespace dsinfer::kernels
