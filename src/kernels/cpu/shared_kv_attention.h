// 共享键值的融合注意力（kernels.h 的 shared_kv_attention）：一组 16 个查询行 × 一块 ≤ 64 个键。
// 只由 kernels_impl.h 包含（用到其中的 row_to_f32_t 与 Simd 约定）。
//
// 为什么单独写一个内核：latent 解码时 16 个头共享同一缓存行。原来走通用的分块注意力（S = Q·Kᵀ 用点积 GEMV、
// O += P·V 用外积 GEMM，每块键 BF16 → f32 各转一遍、每次调用都重新汇合），
// 长上下文时远达不到 FMA 峰值（测量见 bench/README.md）。这里每块键转换一次，分数与加权和都是
// 寄存器分块的外积（键 / 值的一个值广播，乘 16 个查询行或 16 列），softmax 沿查询行向量化。
#pragma once

#include <algorithm>
#include <cstring>
#include <limits>

namespace dsinfer::kernels::impl {

inline constexpr int kSharedRows = int(kSharedKvRows);  // 一组查询行：AVX-512 一个向量，AVX2 两个，标量 16 个
inline constexpr int64_t kSharedKeys = kSharedKvKeys;  // 一块键（不跨缓存块，块内行距固定）
inline constexpr float kSharedMasked = -1e30f;  // 不可见键的分数：有限值，避免 (−∞) − (−∞)

// 分数：s[i][r] = Σ_d k_i[d] · qt[d][r]，NK 个键 × 16 个查询行（qt 已转置并乘以 scale）
template <class S, int NK>
inline void shared_scores(const float* qt, const float* k, int64_t ldk, int64_t dk, float* s) {
  constexpr int W = S::kWidth, NV = kSharedRows / W;
  using V = typename S::V;
  V acc[NK][NV];
  for (int i = 0; i < NK; ++i)
    for (int j = 0; j < NV; ++j) acc[i][j] = S::zero();
  for (int64_t d = 0; d < dk; ++d) {
    V qv[NV];
    for (int j = 0; j < NV; ++j) qv[j] = S::load(qt + d * kSharedRows + j * W);
    for (int i = 0; i < NK; ++i) {
      const V kv = S::set1(k[i * ldk + d]);
      for (int j = 0; j < NV; ++j) acc[i][j] = S::fma(qv[j], kv, acc[i][j]);
    }
  }
  for (int i = 0; i < NK; ++i)
    for (int j = 0; j < NV; ++j) S::store(s + i * kSharedRows + j * W, acc[i][j]);
}

// nk（1…NK）个键：编译期展开成对应的分块
template <class S, int NK>
inline void shared_scores_tail(int nk, const float* qt, const float* k, int64_t ldk, int64_t dk, float* s) {
  if constexpr (NK > 0) {
    if (nk == NK) return shared_scores<S, NK>(qt, k, ldk, dk, s);
    shared_scores_tail<S, NK - 1>(nk, qt, k, ldk, dk, s);
  }
}

// 加权和：o[r0 + i][c, c + 2W) += Σ_t p[t][r0 + i] · v_t[c, c + 2W)，NR 个查询行 × 两个向量的列
template <class S, int NR>
inline void shared_values(const float* p, int64_t nk, const float* v, int64_t ldv, int64_t c, float* o, int64_t ldo,
                          int r0) {
  constexpr int W = S::kWidth;
  using V = typename S::V;
  V acc[NR][2];
  for (int i = 0; i < NR; ++i) {
    acc[i][0] = S::load(o + (r0 + i) * ldo + c);
    acc[i][1] = S::load(o + (r0 + i) * ldo + c + W);
  }
  for (int64_t t = 0; t < nk; ++t) {
    const V v0 = S::load(v + t * ldv + c), v1 = S::load(v + t * ldv + c + W);
    for (int i = 0; i < NR; ++i) {
      const V pv = S::set1(p[t * kSharedRows + r0 + i]);
      acc[i][0] = S::fma(v0, pv, acc[i][0]);
      acc[i][1] = S::fma(v1, pv, acc[i][1]);
    }
  }
  for (int i = 0; i < NR; ++i) {
    S::store(o + (r0 + i) * ldo + c, acc[i][0]);
    S::store(o + (r0 + i) * ldo + c + W, acc[i][1]);
  }
}

template <class S>
void shared_kv_attention(const SharedKvAttentionArgs& a, float* scratch) {
  constexpr int64_t G = kSharedRows;
  constexpr int W = S::kWidth, NV = kSharedRows / W;
  using V = typename S::V;
  const int64_t dk = a.dk, dv = a.dv, bt = a.kv.block_tokens, n_groups = (a.n_q + G - 1) / G;
  const bool f32 = a.kv.dtype == DType::kF32;
  DSINFER_CHECK(f32 || a.kv.dtype == DType::kBF16, "KV 缓存只支持 F32 / BF16");
  // 值在键的范围内（latent：v 是 c_kv，k 是 [c_kv | k_pe]）时只转换键的范围，否则两段各转
  const bool v_in_k = a.v_offset >= a.k_offset && a.v_offset + dv <= a.k_offset + dk;
  // 暂存的布局与 shared_kv_attention_scratch 一致：每组的转置查询、行最大值、行和、输出，再加一块键的暂存
  float* qt = scratch;                 // [组][dk][G]
  float* m = qt + n_groups * dk * G;   // [组][G]
  float* l = m + n_groups * G;         // [组][G]
  float* ob = l + n_groups * G;        // [组][G][dv]
  float* kf = ob + n_groups * G * dv;  // [kSharedKeys][dk]
  float* vf = kf + kSharedKeys * dk;   // [kSharedKeys][dv]
  float* s = vf + kSharedKeys * dv;    // [kSharedKeys][G]
  // 每行在 [k0, k1) 里可见的键的终点
  auto row_end = [&](int64_t i) { return std::min(a.visible[i], a.k1); };
  int64_t kend = a.k0;
  for (int64_t i = 0; i < a.n_q; ++i) kend = std::max(kend, row_end(i));
  for (int64_t g = 0; g < n_groups; ++g)
    for (int64_t d = 0; d < dk; ++d)
      for (int64_t r = 0; r < G; ++r) {
        const int64_t i = g * G + r;
        qt[(g * dk + d) * G + r] = i < a.n_q ? a.q[i * a.ldq + d] * a.scale : 0.0f;
      }
  std::fill(m, m + n_groups * G, kSharedMasked);
  std::fill(l, l + n_groups * G, 0.0f);
  std::fill(ob, ob + n_groups * G * dv, 0.0f);
  // 键块在外层：每块只转换一次，依次供各组查询行使用
  for (int64_t kb0 = a.k0; kb0 < kend;) {
    const int64_t nk = std::min({kSharedKeys, bt - kb0 % bt, kend - kb0});
    const uint8_t* base = a.kv.row(kb0);
    const float *kp = kf, *vp = vf;
    int64_t ldk = dk, ldv = dv;
    if (f32) {
      const int64_t stride = a.kv.token_stride / 4;
      kp = reinterpret_cast<const float*>(base) + a.k_offset, ldk = stride;
      vp = reinterpret_cast<const float*>(base) + a.v_offset, ldv = stride;
    } else {
      for (int64_t t = 0; t < nk; ++t) {
        const uint8_t* row = base + t * a.kv.token_stride;
        row_to_f32_t<S, DType::kBF16>(row + a.k_offset * 2, kf + t * dk, dk);
        if (!v_in_k) row_to_f32_t<S, DType::kBF16>(row + a.v_offset * 2, vf + t * dv, dv);
      }
      if (v_in_k) vp = kf + (a.v_offset - a.k_offset), ldv = dk;
    }
    for (int64_t g = 0; g < n_groups; ++g) {
      // 本组各行的终点；补位行取本组的最大值（算了也不用）
      int64_t vis[G], gend = a.k0;
      const int64_t rows = std::min(G, a.n_q - g * G);
      for (int64_t r = 0; r < rows; ++r) gend = std::max(gend, vis[r] = row_end(g * G + r));
      std::fill(vis + rows, vis + G, gend);
      const int64_t gk = std::min(nk, gend - kb0);  // 本组还看得到的键数
      if (gk <= 0) continue;
      const float* gq = qt + g * dk * G;
      float *gm = m + g * G, *gl = l + g * G, *go = ob + g * G * dv;
      int64_t t = 0;
      for (; t + 6 <= gk; t += 6) shared_scores<S, 6>(gq, kp + t * ldk, ldk, dk, s + t * G);
      if (t < gk) shared_scores_tail<S, 5>(int(gk - t), gq, kp + t * ldk, ldk, dk, s + t * G);
      // 本块里有查询行看不到的键（因果的最后一块）时才逐个屏蔽：softmax 前把分数设为 kSharedMasked，之后把概率设为 0
      bool masked = false;
      for (int64_t r = 0; r < G; ++r) masked |= vis[r] < kb0 + gk;
      auto mask = [&](float value) {
        for (int64_t i = 0; i < gk; ++i)
          for (int64_t r = 0; r < G; ++r)
            if (kb0 + i >= vis[r]) s[i * G + r] = value;
      };
      if (masked) mask(kSharedMasked);
      // 在线 softmax，沿查询行向量化：m_new = max(m, max_t s)，p = e^(s − m_new)，l = l·α + Σ p
      alignas(64) float alpha[G];
      for (int j = 0; j < NV; ++j) {
        V mx = S::load(gm + j * W);
        for (int64_t i = 0; i < gk; ++i) mx = S::max(mx, S::load(s + i * G + j * W));
        S::store(alpha + j * W, S::exp(S::sub(S::load(gm + j * W), mx)));
        S::store(gm + j * W, mx);
        for (int64_t i = 0; i < gk; ++i) S::store(s + i * G + j * W, S::exp(S::sub(S::load(s + i * G + j * W), mx)));
      }
      if (masked) mask(0.0f);  // 向量 exp 对极小的指数不一定给出 0
      for (int j = 0; j < NV; ++j) {
        V sum = S::mul(S::load(gl + j * W), S::load(alpha + j * W));
        for (int64_t i = 0; i < gk; ++i) sum = S::add(sum, S::load(s + i * G + j * W));
        S::store(gl + j * W, sum);
      }
      for (int64_t r = 0; r < G; ++r)
        if (alpha[r] != 1.0f)
          for (int64_t c = 0; c < dv; ++c) go[r * dv + c] *= alpha[r];
      int64_t c = 0;
      for (; c + 2 * W <= dv; c += 2 * W) {
        shared_values<S, 6>(s, gk, vp, ldv, c, go, dv, 0);
        shared_values<S, 6>(s, gk, vp, ldv, c, go, dv, 6);
        shared_values<S, 4>(s, gk, vp, ldv, c, go, dv, 12);
      }
      for (; c < dv; ++c)
        for (int64_t r = 0; r < G; ++r) {
          float acc = go[r * dv + c];
          for (int64_t i = 0; i < gk; ++i) acc += s[i * G + r] * vp[i * ldv + c];
          go[r * dv + c] = acc;
        }
    }
    kb0 += nk;
  }
  for (int64_t i = 0; i < a.n_q; ++i) {
    std::memcpy(a.o + i * a.ldo, ob + i * dv, size_t(dv) * sizeof(float));
    a.l[i] = l[i];
    a.m[i] = l[i] > 0 ? m[i] : -std::numeric_limits<float>::infinity();
  }
}

}  // namespace dsinfer::kernels::impl
