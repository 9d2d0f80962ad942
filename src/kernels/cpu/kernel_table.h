// 每个 ISA 的内核函数表：kernels_impl.h 以不同的 Simd 类型实例化一次，
// 每个 ISA 的翻译单元导出一张表；KernelContext 按所选的路径持有其一。
#pragma once

#include "kernels/kernels.h"

namespace dsinfer::kernels {

// token 数达到此值时走打包 GEMM。点积形式不打包，但每个 k 步的激活要从 L1 重读，token 多时读激活成为瓶颈；
// 打包有固定开销，token 少时不划算。两者的交点由 kernel_bench 的 BM_Matmul 测得（见 bench/README.md）。
inline constexpr int64_t kGemmMinTokens = 40;

struct KernelTable {
  // prefetch_bytes：单 token GEMV 的软件预取提前量（KernelContext::prefetch_bytes）
  void (*matmul_rows)(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y, int64_t ldy,
                      int64_t row_begin, int64_t row_end, int64_t prefetch_bytes);
  void (*rms_norm)(const float* x, const float* weight, float* y, int64_t n, float eps);
  void (*silu_mul)(const float* gate, const float* up, float* out, int64_t n);
  void (*axpy)(float a, const float* x, float* y, int64_t n);
  void (*softmax)(float* x, int64_t n);
  float (*scale_max)(float* x, int64_t n, float scale);
  float (*exp_sum)(float* x, int64_t n, float shift);
  void (*row_to_f32)(DType dtype, const void* src, float* dst, int64_t n);
  void (*attention)(const AttentionArgs& args, float* scratch);
  void (*shared_kv_attention)(const SharedKvAttentionArgs& args, float* scratch);
  float (*stream_read)(const float* x, int64_t n);
  void (*matmul_nn_rows)(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y, int64_t ldy,
                         int64_t col_begin, int64_t col_end, bool accumulate);
  // 单 token、BF16 权重、激活已舍入成 BF16
  void (*gemv_bf16x_rows)(const uint16_t* x, const Weight& w, float* y, int64_t row_begin, int64_t row_end,
                          int64_t prefetch_bytes);
};

namespace scalar {
const KernelTable& table();
}
namespace avx2 {
const KernelTable& table();
}
namespace avx512 {
const KernelTable& table();
}
namespace avx512bf16 {
void gemm_rows(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y, int64_t ldy, int64_t row_begin,
               int64_t row_end);
}

}  // namespace dsinfer::kernels
