// 所有 CPU 内核的唯一实现，以 Simd 类型（标量 / AVX2 / AVX-512）为模板参数；
// kernels_<isa>.cpp 以各自的 Simd 实例化 make_table<Simd>()。模板实参不同 → 符号不同，
// 不同 -m 选项编译出的实例不会被链接器互相替换。
//
// 矩阵乘 y = x·Wᵀ：每个线程负责一段输出行。token 按 x 块（约 256 KB，留在 L2）分组，
// 每个 x 块内行按 kRowBlock 分块，再对 ≤4 个 token 的小块做 RR 行 × TT token 的寄存器外积：
// 每载入（并转换）一个权重向量供 TT 个 token 复用。FP8 每 128 列一个缩放因子：按块累加，
// 再乘以 s·256 折叠进总和（load_w 对 FP8 返回真值 × 2^-8）。
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "kernels/cpu/kernel_table.h"

namespace dsinfer::kernels::impl {

template <DType D>
constexpr int64_t kElemBytes = D == DType::kF32 ? 4 : (D == DType::kF8E4M3 ? 1 : 2);

// 单个元素转 f32（尾部标量循环用），约定与 Simd::load_w 相同。
template <DType D>
inline float load_one(const uint8_t* p) {
  if constexpr (D == DType::kF32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  } else if constexpr (D == DType::kBF16) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return bf16_to_f32(h);
  } else if constexpr (D == DType::kF16) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return f16_to_f32(h);
  } else {
    return fp8e4m3_to_f32(*p) * (1.0f / 256.0f);
  }
}

// RR 行 × TT token 在列区间 [c0, c1) 上的点积，累加进 acc（向量）与 tail（标量尾部）。
template <class S, DType D, int RR, int TT>
inline void accumulate(const uint8_t* w, int64_t w_stride, const float* x, int64_t ldx, int64_t c0,
                       int64_t c1, typename S::V (&acc)[RR][TT], float (&tail)[RR][TT]) {
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
  const int64_t cols = w.cols, stride = cols * kElemBytes<D>;
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
inline void rows_loop(const Weight& w, int64_t r0, int64_t r1, const float* x, int64_t ldx, float* y,
                      int64_t ldy) {
  int64_t r = r0;
  for (; r + RR <= r1; r += RR) tile<S, D, RR, TT>(w, r, x, ldx, y, ldy);
  for (; r < r1; ++r) tile<S, D, 1, TT>(w, r, x, ldx, y, ldy);
}

template <class S, DType D>
void matmul_rows_t(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y,
                   int64_t ldy, int64_t row_begin, int64_t row_end) {
  constexpr int64_t kRowBlock = 16;
  // x 块约 256 KB：与一个行块一起留在 L2 中
  const int64_t x_block = std::max<int64_t>(4, (256 * 1024 / (w.cols * 4)) / 4 * 4);
  for (int64_t tb = 0; tb < n_tokens; tb += x_block) {
    const int64_t te = std::min(n_tokens, tb + x_block);
    for (int64_t r0 = row_begin; r0 < row_end; r0 += kRowBlock) {
      const int64_t r1 = std::min(row_end, r0 + kRowBlock);
      for (int64_t t0 = tb; t0 < te; t0 += 4) {
        const float* xt = x + t0 * ldx;
        float* yt = y + t0 * ldy;
        switch (std::min<int64_t>(4, te - t0)) {
          case 4: rows_loop<S, D, 2, 4>(w, r0, r1, xt, ldx, yt, ldy); break;
          case 3: rows_loop<S, D, 2, 3>(w, r0, r1, xt, ldx, yt, ldy); break;
          case 2: rows_loop<S, D, 2, 2>(w, r0, r1, xt, ldx, yt, ldy); break;
          default: rows_loop<S, D, 4, 1>(w, r0, r1, xt, ldx, yt, ldy); break;
        }
      }
    }
  }
}

template <class S>
void matmul_rows(const float* x, int64_t ldx, int64_t n_tokens, const Weight& w, float* y,
                 int64_t ldy, int64_t row_begin, int64_t row_end) {
  switch (w.dtype) {
    case DType::kF32: return matmul_rows_t<S, DType::kF32>(x, ldx, n_tokens, w, y, ldy, row_begin, row_end);
    case DType::kBF16: return matmul_rows_t<S, DType::kBF16>(x, ldx, n_tokens, w, y, ldy, row_begin, row_end);
    case DType::kF16: return matmul_rows_t<S, DType::kF16>(x, ldx, n_tokens, w, y, ldy, row_begin, row_end);
    case DType::kF8E4M3:
      DSINFER_CHECK(w.scale_inv != nullptr, "FP8 权重缺少 scale_inv");
      return matmul_rows_t<S, DType::kF8E4M3>(x, ldx, n_tokens, w, y, ldy, row_begin, row_end);
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
  for (; k < n; ++k) out[k] = gate[k] * up[k] / (1.0f + std::exp(-gate[k]));
}

template <class S>
void softmax(float* x, int64_t n) {
  constexpr int64_t W = S::kWidth;
  float mx = -INFINITY;
  int64_t k = 0;
  if (n >= W) {
    typename S::V m = S::load(x);
    for (k = W; k + W <= n; k += W) m = S::max(m, S::load(x + k));
    mx = S::reduce_max(m);
  }
  for (; k < n; ++k) mx = std::max(mx, x[k]);
  const typename S::V mv = S::set1(mx);
  typename S::V sum = S::zero();
  float tail = 0.0f;
  for (k = 0; k + W <= n; k += W) {
    const typename S::V e = S::exp(S::sub(S::load(x + k), mv));
    S::store(x + k, e);
    sum = S::add(sum, e);
  }
  for (; k < n; ++k) {
    x[k] = std::exp(x[k] - mx);
    tail += x[k];
  }
  const float inv = 1.0f / (S::reduce_add(sum) + tail);
  const typename S::V iv = S::set1(inv);
  for (k = 0; k + W <= n; k += W) S::store(x + k, S::mul(S::load(x + k), iv));
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
    case DType::kF32: return row_to_f32_t<S, DType::kF32>(p, dst, n);
    case DType::kBF16: return row_to_f32_t<S, DType::kBF16>(p, dst, n);
    case DType::kF16: return row_to_f32_t<S, DType::kF16>(p, dst, n);
    case DType::kF8E4M3: return row_to_f32_t<S, DType::kF8E4M3>(p, dst, n);
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
      axpy_w<S, D>(scores[h * n + t], row + (a.v_offset + h * a.v_head_stride) * E,
                   a.out + h * a.out_head_stride, a.dv);
  }
}

template <class S>
void attention(const AttentionArgs& a, float* scratch) {
  switch (a.kv.dtype) {
    case DType::kF32: return attention_t<S, DType::kF32>(a, scratch);
    case DType::kBF16: return attention_t<S, DType::kBF16>(a, scratch);
    default: DSINFER_CHECK(false, "KV 缓存只支持 F32 / BF16");
  }
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

template <class S>
const KernelTable& make_table() {
  static const KernelTable table{matmul_rows<S>, rms_norm<S>, silu_mul<S>, axpy<S>,
                                 dot<S>,         softmax<S>,  row_to_f32<S>, attention<S>,
                                 stream_read<S>};
  return table;
}

}  // namespace dsinfer::kernels::impl
