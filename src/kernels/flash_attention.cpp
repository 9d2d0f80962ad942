#include "kernels/flash_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace dsinfer::kernels {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();
float log_sum_exp(float m, float l) {
  return l > 0 ? m + std::log(l) : kNegInf;
}
// 查询行不多于这些时用共享键值的融合内核（shared_kv_attention），更多时用矩阵乘
constexpr int64_t kFusedMaxRows = 8 * kSharedKvRows;
}  // namespace

void FlashAttention::partial(const KernelContext& kc, const FlashAttentionArgs& a, int64_t q0, int64_t q1, int64_t k0,
                             int64_t k1, Partial& p) {
  const int64_t nq = q1 - q0, bt = a.kv.block_tokens;
  p.o.resize(size_t(nq * a.dv));
  p.m.resize(size_t(nq));
  p.l.resize(size_t(nq));
  if (nq <= kFusedMaxRows) {
    SharedKvAttentionArgs f;
    f.q = a.q + q0 * a.ldq, f.ldq = a.ldq, f.n_q = nq, f.visible = a.visible + q0;
    f.kv = a.kv, f.k0 = k0, f.k1 = k1;
    f.k_offset = a.k_offset, f.dk = a.dk, f.v_offset = a.v_offset, f.dv = a.dv;
    f.scale = a.scale;
    f.o = p.o.data(), f.ldo = a.dv, f.m = p.m.data(), f.l = p.l.data();
    p.s.resize(size_t(shared_kv_attention_scratch(nq, a.dk, a.dv)));
    shared_kv_attention(kc, f, p.s.data());
    return;
  }
  p.s.resize(size_t(nq * bt));
  p.alpha.resize(size_t(nq));
  std::fill(p.o.data(), p.o.data() + nq * a.dv, 0.0f);
  std::fill(p.m.data(), p.m.data() + nq, kNegInf);
  std::fill(p.l.data(), p.l.data() + nq, 0.0f);
  int64_t max_visible = 0;
  for (int64_t i = q0; i < q1; ++i) max_visible = std::max(max_visible, a.visible[i]);
  k1 = std::min(k1, max_visible);
  const size_t es = dtype_size(a.kv.dtype);
  // 键块与缓存块对齐：块内同一层的行连续，可直接作为行距视图参与矩阵乘
  for (int64_t kb0 = k0; kb0 < k1;) {
    const int64_t kb = std::min(bt - kb0 % bt, k1 - kb0);
    const uint8_t* base = a.kv.row(kb0);
    Weight kw{a.kv.dtype, kb, a.dk, base + size_t(a.k_offset) * es, nullptr, a.row_values};
    Weight vw{a.kv.dtype, kb, a.dv, base + size_t(a.v_offset) * es, nullptr, a.row_values};
    float* s = p.s.data();
    matmul_rows(kc, a.q + q0 * a.ldq, a.ldq, nq, kw, s, kb, 0, kb);
    for (int64_t i = 0; i < nq; ++i) {
      float* row = s + i * kb;
      const int64_t valid = std::clamp<int64_t>(a.visible[q0 + i] - kb0, 0, kb);
      const float mx = scale_max(kc, row, valid, a.scale);
      const float m_new = std::max(p.m[size_t(i)], mx);
      const float sum = valid > 0 ? exp_sum(kc, row, valid, m_new) : 0.0f;
      std::fill(row + valid, row + kb, 0.0f);
      const float alpha = p.m[size_t(i)] == kNegInf ? 0.0f : std::exp(p.m[size_t(i)] - m_new);
      if (valid > 0) {
        p.m[size_t(i)] = m_new;
        p.l[size_t(i)] = p.l[size_t(i)] * alpha + sum;
        if (alpha != 1.0f) {
          float* o = p.o.data() + i * a.dv;
          for (int64_t c = 0; c < a.dv; ++c) o[c] *= alpha;
        }
      }
    }
    matmul_nn_rows(kc, s, kb, nq, vw, p.o.data(), a.dv, 0, a.dv, true);
    kb0 += kb;
  }
}

void merge_attention(float* o, float* lse, const float* o_part, float lse_part, int64_t dv) {
  if (lse_part == kNegInf) return;
  const float m = std::max(*lse, lse_part);
  const float w_old = *lse == kNegInf ? 0.0f : std::exp(*lse - m), w_part = std::exp(lse_part - m);
  const float inv = 1.0f / (w_old + w_part);
  for (int64_t c = 0; c < dv; ++c) o[c] = (o[c] * w_old + o_part[c] * w_part) * inv;
  *lse = m + std::log(w_old + w_part);
}

void FlashAttention::run(const FlashAttentionArgs& a, const KernelContext& kc) {
  ThreadPool& pool = kc.pool();
  const int n_threads = pool.size();
  if (int64_t(parts_.size()) < n_threads) parts_.resize(size_t(n_threads));
  const int64_t bt = a.kv.block_tokens;
  const int64_t n_blocks = (a.n_keys + bt - 1) / bt;
  // 查询行多（预填充）：按查询切分；查询行少（解码的各头、MTP 验证）时按键块切分——每个线程用融合内核
  // 对全部查询行算自己那段键，每个键只被读一次，再按 log-sum-exp 合并
  const bool split_queries = (a.n_q > kFusedMaxRows && a.n_q >= 4 * n_threads) || n_blocks < n_threads;
  if (split_queries) {
    pool.parallel_for(a.n_q, [&](int64_t b, int64_t e, int t) {
      Partial& p = parts_[size_t(t)];
      partial(kc, a, b, e, 0, a.n_keys, p);
      for (int64_t i = b; i < e; ++i) {
        const float inv = p.l[size_t(i - b)] > 0 ? 1.0f / p.l[size_t(i - b)] : 0.0f;
        const float* o = p.o.data() + (i - b) * a.dv;
        float* dst = a.out + i * a.ldo;
        for (int64_t c = 0; c < a.dv; ++c) dst[c] = o[c] * inv;
        if (a.lse) a.lse[i * a.ld_lse] = log_sum_exp(p.m[size_t(i - b)], p.l[size_t(i - b)]);
      }
    });
    return;
  }
  const int parts = int(std::min<int64_t>(n_threads, n_blocks));
  pool.run([&](int t) {
    if (t >= parts) return;
    int64_t b, e;
    split_range(n_blocks, parts, t, 1, &b, &e);
    partial(kc, a, 0, a.n_q, b * bt, std::min(a.n_keys, e * bt), parts_[size_t(t)]);
  });
  // log-sum-exp 合并：m = max m_t，O = Σ O_t·e^(m_t−m)，l = Σ l_t·e^(m_t−m)
  for (int64_t i = 0; i < a.n_q; ++i) {
    float m = kNegInf;
    for (int t = 0; t < parts; ++t) m = std::max(m, parts_[size_t(t)].m[size_t(i)]);
    float* dst = a.out + i * a.ldo;
    std::fill(dst, dst + a.dv, 0.0f);
    float l = 0.0f;
    for (int t = 0; t < parts; ++t) {
      const Partial& p = parts_[size_t(t)];
      if (p.m[size_t(i)] == kNegInf) continue;
      const float w = std::exp(p.m[size_t(i)] - m);
      l += p.l[size_t(i)] * w;
      axpy(kc, w, p.o.data() + i * a.dv, dst, a.dv);
    }
    const float inv = l > 0 ? 1.0f / l : 0.0f;
    for (int64_t c = 0; c < a.dv; ++c) dst[c] *= inv;
    if (a.lse) a.lse[i * a.ld_lse] = log_sum_exp(m, l);
  }
}

}  // namespace dsinfer::kernels
