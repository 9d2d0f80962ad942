// 所有 CPU 内核的唯一实现，以 Simd 类型（标量 / AVX2 / AVX-512）为模板参数；
// kernels_<isa>.cpp 以各自的 Simd 实例化 make_table<Simd>()。模板实参不同 → 符号不同，
// 不同 -m 选项编译出的实例不会被链接器互相替换。
//
// 矩阵乘 y = x·Wᵀ：每个线程负责一段输出行。token 少（解码）时用点积形式的 GEMV：
// 行按 kRowBlock 分块，对 ≤4 个 token 做 RR 行 × TT token 的寄存器分块，每个权重向量只转换一次；
// FP8 每 128 列一个缩放因子，按块累加后乘 s·256（load_w 对 FP8 返回真值 × 2^-8）。
// token 多（预填充）时用打包 + 外积微内核的 GEMM（见 gemm_rows_t）。
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "kernels/cpu/kernel_table.h"
#include "kernels/cpu/load_one.h"

namespace dsinfer::kernels::impl {

template <DType D>
constexpr int64_t kElemBytes = D == DType::kF32 ? 4 : (D == DType::kF8E4M3 ? 1 : 2);

// RR 行 × TT token 在列区间 [c0, c1) 上的点积，累加进 acc（向量）与 tail（标量尾部）。
template <class S, DType D, int RR, int TT>
inline void accumulate(const uint8_t* w, int64_t w_stride, const float* x, int64_t ldx, int64_t c0, int64_t c1,
                       typename S::V (&acc)[RR][TT], float (&tail)[RR][TT]) {
  constexpr int64_t W = S::kWidth, E = kElemBytes<D>;
  int64_t k = c0;
  for (; k + W <= c1; k += W) {
    typename S::V xv[TT];
    for (int j = 0; j < TT; ++j) xv[j] = S::load(x + j * ldx + k);
    for (int r = 0; r < RR; ++r) {
      const typename S::V wv = S::template load_w<D>(w + r * w_stride + k * E);
      for (int j = 0; j < TT; ++j) acc[r][j] = S::fma(wv, xv[j], acc[r][j]);
    }
  }
  for (; k < c1; ++k)
    for (int r = 0; r < RR; ++r) {
      const float wk = load_one<D>(w + r * w_stride + k * E);
      for (int j = 0; j < TT; ++j) tail[r][j] += wk * x[j * ldx + k];
    }
}

// 计算行 [row, row+RR) × token [0, TT) 的输出，写到 y[j*ldy + row + r]。
template <class S, DType D, int RR, int TT>
inline void tile(const Weight& w, int64_t row, const float* x, int64_t ldx, float* y, int64_t ldy) {
  using V = typename S::V;
  const int64_t cols = w.cols, stride = w.row_stride() * kElemBytes<D>;
  const uint8_t* wp = w.row_ptr(row);
  V acc[RR][TT];
  float tail[RR][TT];
  for (int r = 0; r < RR; ++r)
    for (int j = 0; j < TT; ++j) {
      acc[r][j] = S::zero();
      tail[r][j] = 0.0f;
    }
  if constexpr (D == DType::kF8E4M3) {
    V total[RR][TT];
    for (int r = 0; r < RR; ++r)
      for (int j = 0; j < TT; ++j) total[r][j] = S::zero();
    const int64_t sc = w.scale_cols();
    for (int64_t kb = 0; kb < cols; kb += kFp8BlockSize) {
      float btail[RR][TT] = {};
      accumulate<S, D, RR, TT>(wp, stride, x, ldx, kb, std::min(cols, kb + kFp8BlockSize), acc, btail);
      for (int r = 0; r < RR; ++r) {
        const float s = w.scale_inv[((row + r) / kFp8BlockSize) * sc + kb / kFp8BlockSize] * 256.0f;
        const V sv = S::set1(s);
        for (int j = 0; j < TT; ++j) {
          total[r][j] = S::fma(acc[r][j], sv, total[r][j]);
          acc[r][j] = S::zero();
          tail[r][j] += btail[r][j] * s;
        }
      }
    }
    for (int r = 0; r < RR; ++r)
      for (int j = 0; j < TT; ++j) y[j * ldy + row + r] = S::reduce_add(total[r][j]) + tail[r][j];
  } else {
    accumulate<S, D, RR, TT>(wp, stride, x, ldx, 0, cols, acc, tail);
    for (int r = 0; r < RR; ++r)
      for (int j = 0; j < TT; ++j) y[j * ldy + row + r] = S::reduce_add(acc[r][j]) + tail[r][j];
  }
}

template <class S, DType D, int RR, int TT>
inline void rows_loop(const Weight& w, int64_t r0, int64_t r1, const float* x, int64_t ldx, float* y, int64_t ldy) {
  int64_t r = r0;
  for (; r + RR <= r1; r += RR) tile<S, D, RR, TT>(w, r, x, ldx, y, ldy);
  for (; r < r1; ++r) tile<S, D, 1, TT>(w, r, x, ldx, y, ldy);
}

// 软件预取：硬件的流预取器不跨 4 KiB 页，而 BF16 的一行（2048 列）正好 4 KiB，每进入新的一页它都要重新识别流，
// 内存级并行度掉下来。GEMV 每步用 prefetcht1 把 ahead 字节（KernelContext::prefetch_bytes，默认按 CPU 微架构查表，
// 见 isa.h）之后的缓存行先拉进 L2。
template <int64_t kBytes>
inline void prefetch_lines(const uint8_t* p, int64_t ahead) {
  for (int64_t o = 0; o < kBytes; o += 64) __builtin_prefetch(p + ahead + o, 0, 2);
}

// 单 token 解码：逐行顺序读取（相邻行在内存中连续，整段是一条长的顺序流），
// 每行 4 路独立累加器隐藏 FMA 延迟，每步预取 ahead 字节之后的同样多字节。
// FP8 在每个 128 列块内累加后乘块缩放。激活 x 也按字节指针、以 dtype XD 读取：XD = F32，或 BF16
// （matmul_precision = bf16 时已舍入的激活，与权重共用 load_w 的转换）。
template <class S, DType D, DType XD>
inline void gemv1_rows(const Weight& w, int64_t r0, int64_t r1, const uint8_t* x, float* y, int64_t ahead) {
  constexpr int64_t W = S::kWidth, E = kElemBytes<D>, XE = kElemBytes<XD>;
  using V = typename S::V;
  const auto xv = [x](int64_t k) { return S::template load_w<XD>(x + k * XE); };
  const int64_t cols = w.cols;
  const int64_t block = D == DType::kF8E4M3 ? kFp8BlockSize : cols;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* row = w.row_ptr(r);
    V total = S::zero();
    float tail = 0.0f;
    for (int64_t kb = 0; kb < cols; kb += block) {
      const int64_t ke = std::min(cols, kb + block);
      V a0 = S::zero(), a1 = S::zero(), a2 = S::zero(), a3 = S::zero();
      int64_t k = kb;
      for (; k + 4 * W <= ke; k += 4 * W) {
        prefetch_lines<4 * W * E>(row + k * E, ahead);
        a0 = S::fma(S::template load_w<D>(row + k * E), xv(k), a0);
        a1 = S::fma(S::template load_w<D>(row + (k + W) * E), xv(k + W), a1);
        a2 = S::fma(S::template load_w<D>(row + (k + 2 * W) * E), xv(k + 2 * W), a2);
        a3 = S::fma(S::template load_w<D>(row + (k + 3 * W) * E), xv(k + 3 * W), a3);
      }
      for (; k + W <= ke; k += W) a0 = S::fma(S::template load_w<D>(row + k * E), xv(k), a0);
      float t = 0.0f;
      for (; k < ke; ++k) t += load_one<D>(row + k * E) * load_one<XD>(x + k * XE);
      const V sum = S::add(S::add(a0, a1), S::add(a2, a3));
      if constexpr (D == DType::kF8E4M3) {
        const float sc = w.scale_inv[(r / kFp8BlockSize) * w.scale_cols() + kb / kFp8BlockSize] * 256.0f;
        total = S::fma(sum, S::set1(sc), total);
        tail += t * sc;
      } else {
        total = S::add(total, sum);
        tail += t;
      }
    }
    y[r] = S::reduce_add(total) + tail;
  }
}

// 点积形式的寄存器分块：3 行 × 4 token 的 12 个累加器 + 3 个权重向量 + 1 个激活向量，AVX2 的 16 个寄存器
// 刚好放下。token 维只取 4：4 行激活（K = 2048 时 32 KiB）还留在 L1；token 维再宽（如 2 行 × 6 token）时
// 激活溢出到 L2，反而更慢（各种分块的对比见 bench/README.md）。
inline constexpr int kDotTokens = 4, kDotRows = 3;

// tt 个 token（1…TT）：编译期展开成对应的寄存器分块；1 个 token 走逐行顺序流的 gemv1_rows。
template <class S, DType D, int TT>
inline void rows_loop_tokens(int tt, const Weight& w, int64_t r0, int64_t r1, const float* x, int64_t ldx, float* y,
                             int64_t ldy, int64_t prefetch_bytes) {
  if constexpr (TT == 1) {
    gemv1_rows<S, D, DType::kF32>(w, r0, r1, reinterpret_cast<const uint8_t*>(x), y, prefetch_bytes);
  } else {
    if (tt == TT) return rows_loop<S, D, kDotRows, TT>(w, r0, r1, x, ldx, y, ldy);
    rows_loop_tokens<S, D, TT - 1>(tt, w, r0, r1, x, ldx, y, ldy, prefetch_bytes);
  }
}

// 解码路径（token 少）：点积形式，权重按存储 dtype 在寄存器中转换；24 行（kDotRows 的倍数）一块，
// 块内对每 kDotTokens 个 token 各读一遍（第二遍起命中 L2）。
template <class S, DType D>
void gemv_rows_t(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y, int64_t ldy,
                 int64_t row_begin, int64_t row_end, int64_t prefetch_bytes) {
  constexpr int64_t kRowBlock = 8 * kDotRows;
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kRowBlock) {
    const int64_t r1 = std::min(row_end, r0 + kRowBlock);
    for (int64_t t0 = 0; t0 < n_tokens; t0 += kDotTokens)
      rows_loop_tokens<S, D, kDotTokens>(int(std::min<int64_t>(kDotTokens, n_tokens - t0)), w, r0, r1, x + t0 * ldx,
                                         ldx, y + t0 * ldy, ldy, prefetch_bytes);
  }
}

// ---- 预填充路径（token 多）：打包 + 寄存器分块的 GEMM ----
// 权重的 NR 行 × KC 列先转成 f32 并按 [k][NR] 打包（FP8 的块缩放在打包时乘入），
// 微内核对 MR 个 token × NR 行做外积累加：每个 k 载入 2 个权重向量、广播 MR 个激活，
// 2·MR 次 FMA，无水平归约。打包的面板留在 L1，按 KC 分块的激活留在 L2。
template <class S>
struct GemmShape {
  static constexpr int kNR = 2 * S::kWidth;
  static constexpr int kMR = S::kWidth >= 16 ? 12 : (S::kWidth >= 8 ? 6 : 4);
  static constexpr int kKC = 256;
};

// 把 W 的行 [n0, n0+nr) × 列 [k0, k0+kc) 转成 f32 并按 [k][NR] 排布：每次取 kWidth 行 × kWidth 列，
// 寄存器内转置后整向量写出（nr 之外的行补 0）。
template <class S, DType D>
void pack_panel(const Weight& w, int64_t n0, int nr, int64_t k0, int kc, float* panel) {
  constexpr int NR = GemmShape<S>::kNR, W = S::kWidth;
  constexpr int64_t E = kElemBytes<D>;
  using V = typename S::V;
  const int kv = kc / W * W;
  for (int g = 0; g < NR; g += W) {
    for (int kb = 0; kb < kv; kb += W) {
      V v[W];
      for (int i = 0; i < W; ++i) {
        const int r = g + i;
        if (r >= nr) {
          v[i] = S::zero();
          continue;
        }
        v[i] = S::template load_w<D>(w.row_ptr(n0 + r) + (k0 + kb) * E);
        if constexpr (D == DType::kF8E4M3)
          v[i] = S::mul(
              v[i],
              S::set1(w.scale_inv[((n0 + r) / kFp8BlockSize) * w.scale_cols() + (k0 + kb) / kFp8BlockSize] * 256.0f));
      }
      S::transpose(v);
      for (int j = 0; j < W; ++j) S::store(panel + (kb + j) * NR + g, v[j]);
    }
    for (int r = g; r < g + W; ++r)
      for (int c = kv; c < kc; ++c) {
        float val = 0.0f;
        if (r < nr) {
          val = load_one<D>(w.row_ptr(n0 + r) + (k0 + c) * E);
          if constexpr (D == DType::kF8E4M3)
            val *= w.scale_inv[((n0 + r) / kFp8BlockSize) * w.scale_cols() + (k0 + c) / kFp8BlockSize] * 256.0f;
        }
        panel[c * NR + r] = val;
      }
  }
}

// 外积微内核的一步：acc[m] += x[m][k] · [b0 | b1]（MR 个 token × 2 个向量宽的输出列）
template <class S, int MR>
inline void outer_step(const float* x, int64_t ldx, int64_t k, typename S::V b0, typename S::V b1,
                       typename S::V (&acc)[MR][2]) {
  for (int m = 0; m < MR; ++m) {
    const typename S::V a = S::set1(x[m * ldx + k]);
    acc[m][0] = S::fma(a, b0, acc[m][0]);
    acc[m][1] = S::fma(a, b1, acc[m][1]);
  }
}

// 把 MR × NR 的累加块写到 y 的前 nr 列（accumulate 时加到原值上）
template <class S, int MR>
inline void store_tile(typename S::V (&acc)[MR][2], float* y, int64_t ldy, int nr, bool accumulate) {
  constexpr int NR = GemmShape<S>::kNR, W = S::kWidth;
  alignas(64) float tmp[NR];
  for (int m = 0; m < MR; ++m) {
    float* yr = y + m * ldy;
    if (nr == NR) {
      if (accumulate) {
        acc[m][0] = S::add(acc[m][0], S::load(yr));
        acc[m][1] = S::add(acc[m][1], S::load(yr + W));
      }
      S::store(yr, acc[m][0]);
      S::store(yr + W, acc[m][1]);
    } else {
      S::store(tmp, acc[m][0]);
      S::store(tmp + W, acc[m][1]);
      for (int r = 0; r < nr; ++r) yr[r] = accumulate ? yr[r] + tmp[r] : tmp[r];
    }
  }
}

template <class S, int MR>
inline void gemm_micro(const float* panel, int kc, const float* x, int64_t ldx, float* y, int64_t ldy, int nr,
                       bool accumulate) {
  constexpr int NR = GemmShape<S>::kNR, W = S::kWidth;
  typename S::V acc[MR][2];
  for (int m = 0; m < MR; ++m) acc[m][0] = acc[m][1] = S::zero();
  for (int k = 0; k < kc; ++k) outer_step<S, MR>(x, ldx, k, S::load(panel + k * NR), S::load(panel + k * NR + W), acc);
  store_tile<S, MR>(acc, y, ldy, nr, accumulate);
}

template <class S, int MR>
inline void gemm_micro_tail(int mr, const float* panel, int kc, const float* x, int64_t ldx, float* y, int64_t ldy,
                            int nr, bool accumulate) {
  if constexpr (MR > 0) {
    if (mr == MR) return gemm_micro<S, MR>(panel, kc, x, ldx, y, ldy, nr, accumulate);
    gemm_micro_tail<S, MR - 1>(mr, panel, kc, x, ldx, y, ldy, nr, accumulate);
  }
}

template <class S, DType D>
void gemm_rows_t(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y, int64_t ldy,
                 int64_t row_begin, int64_t row_end) {
  constexpr int NR = GemmShape<S>::kNR, MR = GemmShape<S>::kMR, KC = GemmShape<S>::kKC;
  alignas(64) static thread_local float panel[KC * NR];
  for (int64_t n0 = row_begin; n0 < row_end; n0 += NR) {
    const int nr = int(std::min<int64_t>(NR, row_end - n0));
    for (int64_t k0 = 0; k0 < w.cols; k0 += KC) {
      const int kc = int(std::min<int64_t>(KC, w.cols - k0));
      pack_panel<S, D>(w, n0, nr, k0, kc, panel);
      int64_t t0 = 0;
      for (; t0 + MR <= n_tokens; t0 += MR)
        gemm_micro<S, MR>(panel, kc, x + t0 * ldx + k0, ldx, y + t0 * ldy + n0, ldy, nr, k0 > 0);
      if (t0 < n_tokens)
        gemm_micro_tail<S, MR - 1>(int(n_tokens - t0), panel, kc, x + t0 * ldx + k0, ldx, y + t0 * ldy + n0, ldy, nr,
                                   k0 > 0);
    }
  }
}

template <class S, DType D>
void matmul_rows_t(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y, int64_t ldy,
                   int64_t row_begin, int64_t row_end, int64_t prefetch_bytes) {
  if (n_tokens >= kGemmMinTokens) return gemm_rows_t<S, D>(x, ldx, n_tokens, w, y, ldy, row_begin, row_end);
  gemv_rows_t<S, D>(x, ldx, n_tokens, w, y, ldy, row_begin, row_end, prefetch_bytes);
}

// 单 token 的 BF16 权重 × 已舍入成 BF16 的激活：激活只占 f32 的一半字节，GEMV 每读 64 字节权重
// 只需从 L1 取 64 字节激活而不是 128 字节（见 docs/performance.md）。
template <class S>
void gemv_bf16x_rows(const uint16_t* x, const Weight& w, float* y, int64_t row_begin, int64_t row_end,
                     int64_t prefetch_bytes) {
  DSINFER_CHECK(w.dtype == DType::kBF16, "BF16 激活的 GEMV 只用于 BF16 权重");
  gemv1_rows<S, DType::kBF16, DType::kBF16>(w, row_begin, row_end, reinterpret_cast<const uint8_t*>(x), y,
                                            prefetch_bytes);
}

template <class S>
void matmul_rows(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y, int64_t ldy,
                 int64_t row_begin, int64_t row_end, int64_t prefetch_bytes) {
  switch (w.dtype) {
    case DType::kF32:
      return matmul_rows_t<S, DType::kF32>(x, ldx, n_tokens, w, y, ldy, row_begin, row_end, prefetch_bytes);
    case DType::kBF16:
      return matmul_rows_t<S, DType::kBF16>(x, ldx, n_tokens, w, y, ldy, row_begin, row_end, prefetch_bytes);
    case DType::kF16:
      return matmul_rows_t<S, DType::kF16>(x, ldx, n_tokens, w, y, ldy, row_begin, row_end, prefetch_bytes);
    case DType::kF8E4M3:
      DSINFER_CHECK(w.scale_inv != nullptr, "FP8 权重缺少 scale_inv");
      return matmul_rows_t<S, DType::kF8E4M3>(x, ldx, n_tokens, w, y, ldy, row_begin, row_end, prefetch_bytes);
  }
}

// f32 向量与 dtype D 的一行做点积（4 路累加器提高指令级并行）
template <class S, DType D>
inline float dot_w(const float* a, const uint8_t* b, int64_t n) {
  constexpr int64_t W = S::kWidth, E = kElemBytes<D>;
  typename S::V acc0 = S::zero(), acc1 = S::zero(), acc2 = S::zero(), acc3 = S::zero();
  int64_t k = 0;
  for (; k + 4 * W <= n; k += 4 * W) {
    acc0 = S::fma(S::load(a + k), S::template load_w<D>(b + k * E), acc0);
    acc1 = S::fma(S::load(a + k + W), S::template load_w<D>(b + (k + W) * E), acc1);
    acc2 = S::fma(S::load(a + k + 2 * W), S::template load_w<D>(b + (k + 2 * W) * E), acc2);
    acc3 = S::fma(S::load(a + k + 3 * W), S::template load_w<D>(b + (k + 3 * W) * E), acc3);
  }
  for (; k + W <= n; k += W) acc0 = S::fma(S::load(a + k), S::template load_w<D>(b + k * E), acc0);
  float s = S::reduce_add(S::add(S::add(acc0, acc1), S::add(acc2, acc3)));
  for (; k < n; ++k) s += a[k] * load_one<D>(b + k * E);
  return s;
}

// y += a · row（row 为 dtype D）
template <class S, DType D>
inline void axpy_w(float a, const uint8_t* row, float* y, int64_t n) {
  constexpr int64_t W = S::kWidth, E = kElemBytes<D>;
  const typename S::V av = S::set1(a);
  int64_t k = 0;
  for (; k + W <= n; k += W) S::store(y + k, S::fma(av, S::template load_w<D>(row + k * E), S::load(y + k)));
  for (; k < n; ++k) y[k] += a * load_one<D>(row + k * E);
}

template <class S>
float dot(const float* a, const float* b, int64_t n) {
  return dot_w<S, DType::kF32>(a, reinterpret_cast<const uint8_t*>(b), n);
}

template <class S>
void axpy(float a, const float* x, float* y, int64_t n) {
  axpy_w<S, DType::kF32>(a, reinterpret_cast<const uint8_t*>(x), y, n);
}

template <class S>
void rms_norm(const float* x, const float* weight, float* y, int64_t n, float eps) {
  const float ms = dot<S>(x, x, n) / float(n);
  const float inv = 1.0f / std::sqrt(ms + eps);
  constexpr int64_t W = S::kWidth;
  const typename S::V iv = S::set1(inv);
  int64_t k = 0;
  for (; k + W <= n; k += W) S::store(y + k, S::mul(S::mul(S::load(x + k), iv), S::load(weight + k)));
  for (; k < n; ++k) y[k] = x[k] * inv * weight[k];
}

template <class S>
void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  constexpr int64_t W = S::kWidth;
  const typename S::V one = S::set1(1.0f);
  int64_t k = 0;
  for (; k + W <= n; k += W) {
    // silu(g) = g / (1 + e^-g)
    const typename S::V g = S::load(gate + k);
    const typename S::V den = S::add(one, S::exp(S::sub(S::zero(), g)));
    S::store(out + k, S::div(S::mul(g, S::load(up + k)), den));
  }
  // 尾部补齐成一个整向量再算：每个元素都走同一条向量公式，结果与调用时如何分段无关
  // （MoE 在内存预算下按专家分段调用，必须与一次整段调用逐位相同）
  if (k < n) {
    alignas(64) float g[W] = {}, u[W] = {}, o[W];
    std::copy(gate + k, gate + n, g);
    std::copy(up + k, up + n, u);
    const typename S::V gv = S::load(g);
    const typename S::V den = S::add(one, S::exp(S::sub(S::zero(), gv)));
    S::store(o, S::div(S::mul(gv, S::load(u)), den));
    std::copy(o, o + (n - k), out + k);
  }
}

template <class S>
float scale_max(float* x, int64_t n, float scale) {
  constexpr int64_t W = S::kWidth;
  const typename S::V sv = S::set1(scale);
  float mx = -INFINITY;
  int64_t k = 0;
  if (n >= W) {
    typename S::V m = S::set1(-INFINITY);
    for (; k + W <= n; k += W) {
      const typename S::V v = S::mul(S::load(x + k), sv);
      S::store(x + k, v);
      m = S::max(m, v);
    }
    mx = S::reduce_max(m);
  }
  for (; k < n; ++k) mx = std::max(mx, x[k] *= scale);
  return mx;
}

template <class S>
float exp_sum(float* x, int64_t n, float shift) {
  constexpr int64_t W = S::kWidth;
  const typename S::V mv = S::set1(shift);
  typename S::V sum = S::zero();
  int64_t k = 0;
  for (; k + W <= n; k += W) {
    const typename S::V e = S::exp(S::sub(S::load(x + k), mv));
    S::store(x + k, e);
    sum = S::add(sum, e);
  }
  float tail = 0.0f;
  for (; k < n; ++k) tail += (x[k] = std::exp(x[k] - shift));
  return S::reduce_add(sum) + tail;
}

template <class S>
void softmax(float* x, int64_t n) {
  const float mx = scale_max<S>(x, n, 1.0f);
  const float inv = 1.0f / exp_sum<S>(x, n, mx);
  constexpr int64_t W = S::kWidth;
  const typename S::V iv = S::set1(inv);
  int64_t k = 0;
  for (; k + W <= n; k += W) S::store(x + k, S::mul(S::load(x + k), iv));
  for (; k < n; ++k) x[k] *= inv;
}

template <class S, DType D>
void row_to_f32_t(const uint8_t* src, float* dst, int64_t n) {
  constexpr int64_t W = S::kWidth, E = kElemBytes<D>;
  const float mult = D == DType::kF8E4M3 ? 256.0f : 1.0f;
  const typename S::V mv = S::set1(mult);
  int64_t k = 0;
  for (; k + W <= n; k += W) S::store(dst + k, S::mul(S::template load_w<D>(src + k * E), mv));
  for (; k < n; ++k) dst[k] = load_one<D>(src + k * E) * mult;
}

template <class S>
void row_to_f32(DType dtype, const void* src, float* dst, int64_t n) {
  const auto* p = static_cast<const uint8_t*>(src);
  switch (dtype) {
    case DType::kF32:
      return row_to_f32_t<S, DType::kF32>(p, dst, n);
    case DType::kBF16:
      return row_to_f32_t<S, DType::kBF16>(p, dst, n);
    case DType::kF16:
      return row_to_f32_t<S, DType::kF16>(p, dst, n);
    case DType::kF8E4M3:
      return row_to_f32_t<S, DType::kF8E4M3>(p, dst, n);
  }
}

// 注意力：第一遍逐缓存行读一次、对所有头算分数（MQA 时同一行被所有头复用），
// 每头 softmax，第二遍再逐行读一次做加权求和。
template <class S, DType D>
void attention_t(const AttentionArgs& a, float* scores) {
  constexpr int64_t E = kElemBytes<D>;
  const int64_t H = a.n_heads, n = a.n_ctx;
  for (int64_t t = 0; t < n; ++t) {
    const uint8_t* row = a.kv.row(t);
    for (int64_t h = 0; h < H; ++h)
      scores[h * n + t] =
          a.scale * dot_w<S, D>(a.q + h * a.q_head_stride, row + (a.k_offset + h * a.k_head_stride) * E, a.dk);
  }
  for (int64_t h = 0; h < H; ++h) {
    softmax<S>(scores + h * n, n);
    std::memset(a.out + h * a.out_head_stride, 0, size_t(a.dv) * sizeof(float));
  }
  for (int64_t t = 0; t < n; ++t) {
    const uint8_t* row = a.kv.row(t);
    for (int64_t h = 0; h < H; ++h)
      axpy_w<S, D>(scores[h * n + t], row + (a.v_offset + h * a.v_head_stride) * E, a.out + h * a.out_head_stride,
                   a.dv);
  }
}

template <class S>
void attention(const AttentionArgs& a, float* scratch) {
  switch (a.kv.dtype) {
    case DType::kF32:
      return attention_t<S, DType::kF32>(a, scratch);
    case DType::kBF16:
      return attention_t<S, DType::kBF16>(a, scratch);
    default:
      DSINFER_CHECK(false, "KV 缓存只支持 F32 / BF16");
  }
}

// ---- 不转置权重的矩阵乘 y (+)= x·W：微内核直接从 W 的行读 NR 列（F32 直接载入、BF16 寄存器内转换），
// 广播 x 的 MR 个值做外积，无需打包。----
template <class S, DType D, int MR>
inline void nn_micro(const float* x, int64_t ldx, const Weight& w, int64_t n0, int nr, float* y, int64_t ldy,
                     bool accumulate) {
  constexpr int W = S::kWidth, NR = GemmShape<S>::kNR;
  constexpr int64_t E = kElemBytes<D>;
  using V = typename S::V;
  V acc[MR][2];
  for (int m = 0; m < MR; ++m) acc[m][0] = acc[m][1] = S::zero();
  const int64_t K = w.rows;
  if (nr == NR) {
    for (int64_t k = 0; k < K; ++k) {
      const uint8_t* row = w.row_ptr(k) + n0 * E;
      outer_step<S, MR>(x, ldx, k, S::template load_w<D>(row), S::template load_w<D>(row + W * E), acc);
    }
  } else {
    alignas(64) float b[NR];
    for (int64_t k = 0; k < K; ++k) {
      const uint8_t* row = w.row_ptr(k) + n0 * E;
      for (int c = 0; c < NR; ++c) b[c] = c < nr ? load_one<D>(row + c * E) : 0.0f;
      outer_step<S, MR>(x, ldx, k, S::load(b), S::load(b + W), acc);
    }
  }
  store_tile<S, MR>(acc, y + n0, ldy, nr, accumulate);
}

template <class S, DType D, int MR>
inline void nn_micro_tail(int mr, const float* x, int64_t ldx, const Weight& w, int64_t n0, int nr, float* y,
                          int64_t ldy, bool accumulate) {
  if constexpr (MR > 0) {
    if (mr == MR) return nn_micro<S, D, MR>(x, ldx, w, n0, nr, y, ldy, accumulate);
    nn_micro_tail<S, D, MR - 1>(mr, x, ldx, w, n0, nr, y, ldy, accumulate);
  }
}

template <class S, DType D>
void matmul_nn_rows_t(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y, int64_t ldy,
                      int64_t col_begin, int64_t col_end, bool accumulate) {
  constexpr int NR = GemmShape<S>::kNR, MR = GemmShape<S>::kMR;
  for (int64_t n0 = col_begin; n0 < col_end; n0 += NR) {
    const int nr = int(std::min<int64_t>(NR, col_end - n0));
    int64_t t0 = 0;
    for (; t0 + MR <= n_tokens; t0 += MR)
      nn_micro<S, D, MR>(x + t0 * ldx, ldx, w, n0, nr, y + t0 * ldy, ldy, accumulate);
    if (t0 < n_tokens)
      nn_micro_tail<S, D, MR - 1>(int(n_tokens - t0), x + t0 * ldx, ldx, w, n0, nr, y + t0 * ldy, ldy, accumulate);
  }
}

template <class S>
void matmul_nn_rows(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y, int64_t ldy,
                    int64_t col_begin, int64_t col_end, bool accumulate) {
  if (w.dtype == DType::kBF16)
    return matmul_nn_rows_t<S, DType::kBF16>(x, ldx, n_tokens, w, y, ldy, col_begin, col_end, accumulate);
  DSINFER_CHECK(w.dtype == DType::kF32, "matmul_nn 只支持 F32 / BF16");
  matmul_nn_rows_t<S, DType::kF32>(x, ldx, n_tokens, w, y, ldy, col_begin, col_end, accumulate);
}

template <class S>
float stream_read(const float* x, int64_t n) {
  constexpr int64_t W = S::kWidth;
  typename S::V a0 = S::zero(), a1 = S::zero(), a2 = S::zero(), a3 = S::zero();
  int64_t k = 0;
  for (; k + 4 * W <= n; k += 4 * W) {
    a0 = S::add(a0, S::load(x + k));
    a1 = S::add(a1, S::load(x + k + W));
    a2 = S::add(a2, S::load(x + k + 2 * W));
    a3 = S::add(a3, S::load(x + k + 3 * W));
  }
  float s = S::reduce_add(S::add(S::add(a0, a1), S::add(a2, a3)));
  for (; k < n; ++k) s += x[k];
  return s;
}

}  // namespace dsinfer::kernels::impl

// 共享键值的融合注意力内核用到上面的 row_to_f32_t，放在独立文件里、在此处包含
#include "kernels/cpu/shared_kv_attention.h"

namespace dsinfer::kernels::impl {

template <class S>
const KernelTable& make_table() {
  static const KernelTable table{
      matmul_rows<S>, rms_norm<S>,       silu_mul<S>,       axpy<S>,      softmax<S>,
      scale_max<S>,   exp_sum<S>,        row_to_f32<S>,     attention<S>, shared_kv_attention<S>,
      stream_read<S>, matmul_nn_rows<S>, gemv_bf16x_rows<S>};
  return table;
}

}  // namespace dsinfer::kernels::impl
