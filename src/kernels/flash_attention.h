// 分块（flash 式）注意力：一组查询行对某序列缓存中的前若干位置做 softmax(scale·QKᵀ)·V。
// 以缓存块（kv_block_size 个 token，块内同一层的行连续）为单位：S = Q·K_blkᵀ 与 O += P·V_blk
// 都直接读缓存行（行距视图，F32 或 BF16），在线 softmax 逐块合并，暂存只与块大小有关，
// 与上下文长度无关。用于预填充（查询多）与长上下文的 latent 解码（各头共享同一缓存行）。
// 查询行少（≤ 128：解码时一个 token 的各头、MTP 验证的几个 token）时改用融合内核 shared_kv_attention
// （每块键只转换一次，分数与加权和都是寄存器外积）。
// 并行：查询多时按查询行切分；查询少时按键块切分，各线程的部分结果再按 log-sum-exp 合并。
#pragma once

#include <cstdint>
#include <vector>

#include "core/buffer.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"

namespace dsinfer::kernels {

struct FlashAttentionArgs {
  const float* q = nullptr;  // [n_q, dk]，行距 ldq
  int64_t ldq = 0, n_q = 0;
  const int64_t* visible = nullptr;  // 每个查询行可见的键数（因果：位置 + 1），≤ n_keys
  KvRows kv;                         // 本序列、本层的缓存行
  int64_t n_keys = 0;
  int64_t row_values = 0;        // 缓存行长度（元素）
  int64_t k_offset = 0, dk = 0;  // 键在行内的位置
  int64_t v_offset = 0, dv = 0;  // 值在行内的位置
  float scale = 1.0f;
  float* out = nullptr;  // [n_q, dv]，行距 ldo（归一化后的结果）
  int64_t ldo = 0;
  // 可选：每个查询行的 log-sum-exp（m + ln l，m 为缩放后分数的最大值；没有可见键时为 −∞），行距 ld_lse。
  // 调用方据此把分几段键算出的结果合并成一次注意力（见 merge_attention）。
  float* lse = nullptr;
  int64_t ld_lse = 1;
};

// 把另一段键上的注意力结果 (o_part, lse_part) 并入 (o, lse)：两者都是归一化后的输出，按 log-sum-exp 加权。
void merge_attention(float* o, float* lse, const float* o_part, float lse_part, int64_t dv);

class FlashAttention {
 public:
  // 用 kc 的线程池完成一次注意力；按查询数与键数自动选择切分方式。
  void run(const FlashAttentionArgs& a, const KernelContext& kc);

 private:
  struct Partial {
    Buffer<float> o, m, l, s, alpha;  // 未归一化输出、行最大值、行和、分数块、缩放
  };
  // 单线程：查询 [q0, q1) × 键 [k0, k1)，结果（未归一化）写入 p.o，行最大值 / 和写入 p.m / p.l
  void partial(const KernelContext& kc, const FlashAttentionArgs& a, int64_t q0, int64_t q1, int64_t k0, int64_t k1,
               Partial& p);

  std::vector<Partial> parts_;
};

}  // namespace dsinfer::kernels
