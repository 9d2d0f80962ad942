// BF16 点积 GEMM（AVX512_BF16 的 vdpbf16ps）：只用于 BF16 权重、token 多（预填充）、且配置
// matmul_precision = "bf16" 时。激活先就近舍入成 BF16（与 llama.cpp 的 BF16 路径相同的取舍），
// 每条 vdpbf16ps 做 32 次乘加，是 f32 FMA 的两倍；累加仍是 f32。默认的 f32 路径保持与参考实现一致。
// 本文件以 -mavx512f -mavx512bw -mavx512vl -mavx512bf16 编译，只在 CPU 支持时被调用。
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/cpu/simd_avx512.h"
#include "kernels/kernels.h"

namespace dsinfer::kernels::avx512bf16 {

namespace {

constexpr int kNR = 32, kMR = 12, kKP = 128;  // 面板宽、微内核行数、每块的 k 对数（256 个 k）

// 激活行转成 BF16 对：xp[t][p] = (bf16(x[t][2p]), bf16(x[t][2p+1]))，奇数 K 末尾补 0
void convert_activations(const float* x, int64_t ldx, int64_t T, int64_t K, uint32_t* xp, int64_t pairs) {
  for (int64_t t = 0; t < T; ++t) {
    const float* row = x + t * ldx;
    uint32_t* out = xp + t * pairs;
    int64_t k = 0;
    for (; k + 32 <= K; k += 32) {
      const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(row + k + 16), _mm512_loadu_ps(row + k));
      _mm512_storeu_si512(out + k / 2, (__m512i)v);
    }
    for (; k < K; k += 2) {
      const uint32_t lo = f32_to_bf16(row[k]), hi = k + 1 < K ? f32_to_bf16(row[k + 1]) : 0;
      out[k / 2] = lo | (hi << 16);
    }
  }
}

// W 的行 [n0, n0+nr) × k 对 [p0, p0+np) 打包成 [p][kNR]（每个 32 位元素 = 同一行相邻两个 k 的 BF16）
void pack(const Weight& w, int64_t n0, int nr, int64_t p0, int np, uint32_t* panel) {
  const int64_t K = w.cols;
  for (int g = 0; g < kNR; g += 16) {
    int p = 0;
    for (; p + 16 <= np && 2 * (p0 + p + 16) <= K; p += 16) {
      __m512 v[16];
      for (int i = 0; i < 16; ++i)
        v[i] = g + i < nr ? _mm512_castsi512_ps(_mm512_loadu_si512(w.row_ptr(n0 + g + i) + (p0 + p) * 4))
                          : _mm512_setzero_ps();
      avx512::Simd::transpose(v);
      for (int j = 0; j < 16; ++j) _mm512_storeu_ps(reinterpret_cast<float*>(panel + (p + j) * kNR + g), v[j]);
    }
    for (; p < np; ++p)
      for (int i = 0; i < 16; ++i) {
        uint32_t val = 0;
        if (g + i < nr) {
          const uint16_t* row = reinterpret_cast<const uint16_t*>(w.row_ptr(n0 + g + i));
          const int64_t k = 2 * (p0 + p);
          val = uint32_t(row[k]) | (k + 1 < K ? uint32_t(row[k + 1]) << 16 : 0u);
        }
        panel[p * kNR + g + i] = val;
      }
  }
}

template <int MR>
void micro(const uint32_t* panel, int np, const uint32_t* xp, int64_t pairs, float* y, int64_t ldy, int nr,
           bool accumulate) {
  __m512 acc[MR][2];
  for (int m = 0; m < MR; ++m) acc[m][0] = acc[m][1] = _mm512_setzero_ps();
  for (int p = 0; p < np; ++p) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(panel + p * kNR);
    const __m512bh b1 = (__m512bh)_mm512_loadu_si512(panel + p * kNR + 16);
    for (int m = 0; m < MR; ++m) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(int(xp[m * pairs + p]));
      acc[m][0] = _mm512_dpbf16_ps(acc[m][0], a, b0);
      acc[m][1] = _mm512_dpbf16_ps(acc[m][1], a, b1);
    }
  }
  alignas(64) float tmp[kNR];
  for (int m = 0; m < MR; ++m) {
    _mm512_store_ps(tmp, acc[m][0]);
    _mm512_store_ps(tmp + 16, acc[m][1]);
    float* yr = y + m * ldy;
    for (int r = 0; r < nr; ++r) yr[r] = accumulate ? yr[r] + tmp[r] : tmp[r];
  }
}

template <int MR>
void micro_tail(int mr, const uint32_t* panel, int np, const uint32_t* xp, int64_t pairs, float* y, int64_t ldy, int nr,
                bool accumulate) {
  if constexpr (MR > 0) {
    if (mr == MR) return micro<MR>(panel, np, xp, pairs, y, ldy, nr, accumulate);
    micro_tail<MR - 1>(mr, panel, np, xp, pairs, y, ldy, nr, accumulate);
  }
}

}  // namespace

void gemm_rows(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y, int64_t ldy, int64_t row_begin,
               int64_t row_end) {
  const int64_t pairs = (w.cols + 1) / 2;
  thread_local std::vector<uint32_t> xp;
  xp.resize(size_t(n_tokens * pairs));
  convert_activations(x, ldx, n_tokens, w.cols, xp.data(), pairs);
  alignas(64) static thread_local uint32_t panel[kKP * kNR];
  for (int64_t n0 = row_begin; n0 < row_end; n0 += kNR) {
    const int nr = int(std::min<int64_t>(kNR, row_end - n0));
    for (int64_t p0 = 0; p0 < pairs; p0 += kKP) {
      const int np = int(std::min<int64_t>(kKP, pairs - p0));
      pack(w, n0, nr, p0, np, panel);
      int64_t t0 = 0;
      for (; t0 + kMR <= n_tokens; t0 += kMR)
        micro<kMR>(panel, np, xp.data() + t0 * pairs + p0, pairs, y + t0 * ldy + n0, ldy, nr, p0 > 0);
      if (t0 < n_tokens)
        micro_tail<kMR - 1>(int(n_tokens - t0), panel, np, xp.data() + t0 * pairs + p0, pairs, y + t0 * ldy + n0, ldy,
                            nr, p0 > 0);
    }
  }
}

}  // namespace dsinfer::kernels::avx512bf16
