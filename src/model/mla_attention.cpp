#include "model/mla_attention.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "kernels/kernels.h"
#include "model/rope_params.h"

namespace dsinfer {

int64_t MlaAttention::cache_row_values(const ModelConfig& c, MlaMode mode) {
  if (mode == MlaMode::kLatent) return c.kv_lora_rank + c.qk_rope_head_dim;
  return c.num_attention_heads * (c.qk_head_dim() + c.v_head_dim);
}

MlaAttention::MlaAttention(const ModelConfig& c, const Checkpoint& ckpt, const std::string& prefix, MlaMode mode)
    : mode_(mode),
      hidden_(c.hidden_size),
      n_heads_(c.num_attention_heads),
      q_lora_rank_(c.q_lora_rank),
      kv_lora_rank_(c.kv_lora_rank),
      nope_(c.qk_nope_head_dim),
      rope_dim_(c.qk_rope_head_dim),
      v_dim_(c.v_head_dim),
      eps_(float(c.rms_norm_eps)),
      scale_(float(c.softmax_scale())),
      rope_(rope_params(c)) {
  const int64_t H = n_heads_, qk = nope_ + rope_dim_;
  if (q_lora_rank_ > 0) {
    q_a_proj_ = ckpt.weight(prefix + ".q_a_proj.weight", q_lora_rank_, hidden_);
    q_a_norm_ = ckpt.vector_f32(prefix + ".q_a_layernorm.weight", q_lora_rank_);
    q_b_proj_ = ckpt.weight(prefix + ".q_b_proj.weight", H * qk, q_lora_rank_);
  } else {
    q_proj_ = ckpt.weight(prefix + ".q_proj.weight", H * qk, hidden_);
  }
  kv_a_proj_ = ckpt.weight(prefix + ".kv_a_proj_with_mqa.weight", kv_lora_rank_ + rope_dim_, hidden_);
  kv_a_norm_ = ckpt.vector_f32(prefix + ".kv_a_layernorm.weight", kv_lora_rank_);
  kv_b_proj_ = ckpt.weight(prefix + ".kv_b_proj.weight", H * (nope_ + v_dim_), kv_lora_rank_);
  o_proj_ = ckpt.weight(prefix + ".o_proj.weight", hidden_, H * v_dim_);
  if (mode_ != MlaMode::kLatent) return;
  // 每个键在解压缓冲里占 [c_kv | k_pe] 与一个头的 [k_nope | k_pe | v]
  const int64_t bytes_per_key = (kv_lora_rank_ + 2 * rope_dim_ + nope_ + v_dim_) * int64_t(sizeof(float));
  expand_window_keys_ = std::max<int64_t>(1, kExpandMaxBytes / bytes_per_key);

  // kv_b_proj 的行按头排列，每头 [k_nope (nope) | v (v_dim)]，列为 kv_lora_rank。
  // W_UK_T[h][c][d] = Wkvb[h·(nope+v) + d][c]（转置），W_UV[h][d][c] = Wkvb[h·(nope+v) + nope + d][c]。
  const DType dt = (kv_b_proj_.dtype == DType::kF8E4M3) ? DType::kF32 : kv_b_proj_.dtype;
  const size_t es = dtype_size(dt);
  const int64_t L = kv_lora_rank_;
  w_uk_t_storage_.resize(size_t(H * L * nope_) * es);
  w_uv_storage_.resize(size_t(H * v_dim_ * L) * es);
  std::vector<float> row(static_cast<size_t>(L));
  auto put = [&](uint8_t* base, int64_t idx, float v) {
    if (dt == DType::kF32) {
      std::memcpy(base + idx * 4, &v, 4);
    } else if (dt == DType::kBF16) {
      const uint16_t h = f32_to_bf16(v);  // 值本来就是 bf16，转换无损
      std::memcpy(base + idx * 2, &h, 2);
    } else {
      const uint16_t h = f32_to_f16(v);
      std::memcpy(base + idx * 2, &h, 2);
    }
  };
  for (int64_t h = 0; h < H; ++h) {
    uint8_t* uk = w_uk_t_storage_.data() + size_t(h * L * nope_) * es;
    uint8_t* uv = w_uv_storage_.data() + size_t(h * v_dim_ * L) * es;
    for (int64_t d = 0; d < nope_ + v_dim_; ++d) {
      dequantize_row(kv_b_proj_, h * (nope_ + v_dim_) + d, row.data());
      for (int64_t c2 = 0; c2 < L; ++c2) {
        if (d < nope_) put(uk, c2 * nope_ + d, row[size_t(c2)]);
        else put(uv, (d - nope_) * L + c2, row[size_t(c2)]);
      }
    }
    w_uk_t_.push_back(Weight{dt, L, nope_, uk, nullptr});
    w_uv_.push_back(Weight{dt, v_dim_, L, uv, nullptr});
  }
}

size_t MlaAttention::weight_bytes() const {
  size_t b = q_proj_.bytes() + q_a_proj_.bytes() + q_b_proj_.bytes() + kv_a_proj_.bytes() + o_proj_.bytes() +
             (q_a_norm_.size() + kv_a_norm_.size()) * 4;
  if (mode_ == MlaMode::kLatent) {
    for (size_t h = 0; h < w_uk_t_.size(); ++h) b += w_uk_t_[h].bytes() + w_uv_[h].bytes();
  } else {
    b += kv_b_proj_.bytes();
  }
  return b;
}

void MlaAttention::project_qkv(ForwardContext& ctx, const float* x, const Batch& batch) {
  const int64_t T = batch.size(), H = n_heads_, qk = nope_ + rope_dim_, kvw = kv_lora_rank_ + rope_dim_;
  q_.resize(size_t(T * H * qk));
  kv_.resize(size_t(T * kvw));
  if (q_lora_rank_ > 0) {
    q_a_.resize(size_t(T * q_lora_rank_));
    const kernels::MatmulJob jobs[2] = {{x, hidden_, T, &q_a_proj_, q_a_.data(), q_lora_rank_},
                                        {x, hidden_, T, &kv_a_proj_, kv_.data(), kvw}};
    kernels::matmul_batch(ctx.kernels, jobs, 2);
    for (int64_t t = 0; t < T; ++t)
      kernels::rms_norm(ctx.kernels, q_a_.data() + t * q_lora_rank_, q_a_norm_.data(), q_a_.data() + t * q_lora_rank_,
                        q_lora_rank_, eps_);
    kernels::matmul(ctx.kernels, q_a_.data(), q_lora_rank_, T, q_b_proj_, q_.data(), H * qk);
  } else {
    const kernels::MatmulJob jobs[2] = {{x, hidden_, T, &q_proj_, q_.data(), H * qk},
                                        {x, hidden_, T, &kv_a_proj_, kv_.data(), kvw}};
    kernels::matmul_batch(ctx.kernels, jobs, 2);
  }
  for (int64_t t = 0; t < T; ++t) {
    float* kv = kv_.data() + t * kvw;
    kernels::rms_norm(ctx.kernels, kv, kv_a_norm_.data(), kv, kv_lora_rank_, eps_);
    rope_.apply(kv + kv_lora_rank_, 1, rope_dim_, batch.positions[size_t(t)]);
    rope_.apply(q_.data() + t * H * qk + nope_, H, qk, batch.positions[size_t(t)]);
  }
}

void MlaAttention::write_cache(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t layer) {
  const int64_t T = batch.size(), H = n_heads_, qk = nope_ + rope_dim_, kvw = kv_lora_rank_ + rope_dim_;
  if (mode_ == MlaMode::kLatent) {
    for (int64_t t = 0; t < T; ++t)
      kernels::row_from_f32(cache.dtype(), kv_.data() + t * kvw,
                            cache.row(batch.seq_ids[size_t(t)], layer, batch.positions[size_t(t)]), kvw);
    return;
  }
  // expanded：解压出每头 k_nope 与 v，拼成 [K_0..K_{H-1} | V_0..V_{H-1}]
  const int64_t kvb_w = H * (nope_ + v_dim_), row_w = H * (qk + v_dim_);
  kvb_.resize(size_t(T * kvb_w));
  kernels::matmul(ctx.kernels, kv_.data(), kvw, T, kv_b_proj_, kvb_.data(), kvb_w);
  row_.resize(size_t(row_w));
  for (int64_t t = 0; t < T; ++t) {
    const float* kvb = kvb_.data() + t * kvb_w;
    const float* k_pe = kv_.data() + t * kvw + kv_lora_rank_;
    float* r = row_.data();
    for (int64_t h = 0; h < H; ++h) {
      std::memcpy(r + h * qk, kvb + h * (nope_ + v_dim_), size_t(nope_) * 4);
      std::memcpy(r + h * qk + nope_, k_pe, size_t(rope_dim_) * 4);
      std::memcpy(r + H * qk + h * v_dim_, kvb + h * (nope_ + v_dim_) + nope_, size_t(v_dim_) * 4);
    }
    kernels::row_from_f32(cache.dtype(), r, cache.row(batch.seq_ids[size_t(t)], layer, batch.positions[size_t(t)]),
                          row_w);
  }
}

bool MlaAttention::expand_pays(int64_t n_q, int64_t n_keys) const {
  // 每头的乘加数。吸收：每个 (查询, 键) 对 2L + rope（分数与加权和都在 L 维潜空间），外加每个查询的
  // W_UK / W_UV 吸收；解压：每个键先乘 kv_b（(nope + v) × L），之后每对只要 qk + v。
  // 解压是逐头的大矩阵乘，实测（Zen 3，pp512）比分块注意力内核快约一倍，所以乘加数不超过吸收的 2 倍就解压。
  const double L = double(kv_lora_rank_), qk = double(nope_ + rope_dim_), v = double(v_dim_);
  const double absorbed = double(n_q) * double(n_keys) * (2 * L + rope_dim_) + double(n_q) * (nope_ + v) * L;
  const double expanded = double(n_keys) * (nope_ + v) * L + double(n_q) * double(n_keys) * (qk + v);
  // matmul_nn 只支持 F32 / BF16 的 W_UK（FP8 源已反量化成 F32；F16 源不解压）
  const bool nn_ok = !w_uk_t_.empty() && w_uk_t_[0].dtype != DType::kF16;
  return nn_ok && expanded < 2.0 * absorbed;
}

void MlaAttention::set_expand_window_keys(int64_t keys) {
  DSINFER_CHECK(keys > 0, "解压窗口的键数必须为正");
  expand_window_keys_ = keys;
}

void MlaAttention::plan_flash(const Batch& batch) {
  const int64_t T = batch.size();
  const bool latent = mode_ == MlaMode::kLatent;
  flash_runs_.clear();
  absorbed_segments_.clear();
  use_flash_.assign(size_t(T), 0);
  int64_t absorbed_from = 0;  // 当前吸收段的起点
  for (int64_t i0 = 0; i0 < T;) {
    int64_t i1 = i0 + 1;
    while (i1 < T && batch.seq_ids[size_t(i1)] == batch.seq_ids[size_t(i1 - 1)] &&
           batch.positions[size_t(i1)] == batch.positions[size_t(i1 - 1)] + 1)
      ++i1;
    const int64_t n_keys = batch.positions[size_t(i1 - 1)] + 1;
    const bool many_queries = (i1 - i0) >= kFlashMinQueries;
    if (many_queries || (latent && n_keys >= kFlashMinKeys)) {
      const bool expand = latent && many_queries && expand_pays(i1 - i0, n_keys);
      flash_runs_.push_back({i0, i1, expand});
      std::fill(use_flash_.begin() + i0, use_flash_.begin() + i1, 1);
      if (expand) {
        if (absorbed_from < i0) absorbed_segments_.push_back({absorbed_from, i0});
        absorbed_from = i1;
      }
    }
    i0 = i1;
  }
  if (absorbed_from < T) absorbed_segments_.push_back({absorbed_from, T});
}

void MlaAttention::absorb_queries(const ForwardContext& ctx, int64_t h0, int64_t h1) {
  const int64_t H = n_heads_, qk = nope_ + rope_dim_, L = kv_lora_rank_, qw = L + rope_dim_;
  for (const auto& [t0, t1] : absorbed_segments_)
    for (int64_t h = h0; h < h1; ++h) {
      kernels::matmul_rows(ctx.kernels, q_.data() + t0 * H * qk + h * qk, H * qk, t1 - t0, w_uk_t_[size_t(h)],
                           q_cat_.data() + t0 * H * qw + h * qw, H * qw, 0, L);
      for (int64_t t = t0; t < t1; ++t)
        std::memcpy(q_cat_.data() + (t * H + h) * qw + L, q_.data() + (t * H + h) * qk + nope_,
                    size_t(rope_dim_) * 4);
    }
}

void MlaAttention::attend_tokens(const ForwardContext& ctx, int64_t h0, int64_t h1, const Batch& batch, KvCache& cache, int64_t layer,
                                 float* scratch) {
  const int64_t T = batch.size(), H = n_heads_, qk = nope_ + rope_dim_, L = kv_lora_rank_;
  const bool latent = mode_ == MlaMode::kLatent;
  const int64_t qw = latent ? L + rope_dim_ : qk, ow = latent ? L : v_dim_;
  const float* qsrc = latent ? q_cat_.data() : q_.data();
  for (int64_t t = 0; t < T; ++t) {
    if (use_flash_[size_t(t)]) continue;
    kernels::AttentionArgs a;
    a.q = qsrc + (t * H + h0) * qw;
    a.n_heads = h1 - h0;
    a.q_head_stride = qw;
    a.kv = cache.rows(batch.seq_ids[size_t(t)], layer);
    a.n_ctx = batch.positions[size_t(t)] + 1;
    a.scale = scale_;
    a.out = o_lat_.data() + (t * H + h0) * ow;
    a.out_head_stride = ow;
    if (latent) {
      a.k_offset = 0, a.k_head_stride = 0, a.dk = L + rope_dim_;
      a.v_offset = 0, a.v_head_stride = 0, a.dv = L;
    } else {
      a.k_offset = h0 * qk, a.k_head_stride = qk, a.dk = qk;
      a.v_offset = H * qk + h0 * v_dim_, a.v_head_stride = v_dim_, a.dv = v_dim_;
    }
    kernels::attention(ctx.kernels, a, scratch);
  }
}

void MlaAttention::project_values(const ForwardContext& ctx, int64_t h0, int64_t h1) {
  const int64_t H = n_heads_, L = kv_lora_rank_;
  for (const auto& [t0, t1] : absorbed_segments_)
    for (int64_t h = h0; h < h1; ++h)
      kernels::matmul_rows(ctx.kernels, o_lat_.data() + t0 * H * L + h * L, H * L, t1 - t0, w_uv_[size_t(h)],
                           o_.data() + t0 * H * v_dim_ + h * v_dim_, H * v_dim_, 0, v_dim_);
}

void MlaAttention::run_flash(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t layer) {
  const int64_t H = n_heads_, qk = nope_ + rope_dim_, L = kv_lora_rank_;
  const bool latent = mode_ == MlaMode::kLatent;
  for (const auto& [i0, i1, expand] : flash_runs_) {
    FlashAttentionArgs a;
    a.kv = cache.rows(batch.seq_ids[size_t(i0)], layer);
    a.n_keys = batch.positions[size_t(i1 - 1)] + 1;
    a.row_values = cache.row_values();
    a.scale = scale_;
    visible_.resize(size_t((i1 - i0) * H));
    if (latent && !expand) {  // 所有 (token, 头) 作为查询行，共享同一缓存行（MQA）
      const int64_t qw = L + rope_dim_;
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t h = 0; h < H; ++h) visible_[size_t((i - i0) * H + h)] = batch.positions[size_t(i)] + 1;
      a.q = q_cat_.data() + i0 * H * qw, a.ldq = qw, a.n_q = (i1 - i0) * H, a.visible = visible_.data();
      a.k_offset = 0, a.dk = L + rope_dim_, a.v_offset = 0, a.dv = L;
      a.out = o_lat_.data() + i0 * H * L, a.ldo = L;
      flash_.run(a, ctx.kernels);
      continue;
    }
    if (latent) {
      run_expanded_heads(ctx, batch, a, i0, i1);
      continue;
    }
    // 每头一次：查询为该头的 q，键 / 值为缓存行中该头的列
    for (int64_t i = i0; i < i1; ++i) visible_[size_t(i - i0)] = batch.positions[size_t(i)] + 1;
    for (int64_t h = 0; h < H; ++h) {
      a.q = q_.data() + i0 * H * qk + h * qk, a.ldq = H * qk, a.n_q = i1 - i0, a.visible = visible_.data();
      a.k_offset = h * qk, a.dk = qk, a.v_offset = H * qk + h * v_dim_, a.dv = v_dim_;
      a.out = o_lat_.data() + i0 * H * v_dim_ + h * v_dim_, a.ldo = H * v_dim_;
      flash_.run(a, ctx.kernels);
    }
  }
}

void MlaAttention::run_expanded_heads(ForwardContext& ctx, const Batch& batch, FlashAttentionArgs a, int64_t i0,
                                      int64_t i1) {
  const int64_t H = n_heads_, qk = nope_ + rope_dim_, L = kv_lora_rank_, kvw = L + rope_dim_, rw = qk + v_dim_;
  const int64_t n_q = i1 - i0, n_keys = a.n_keys, window = std::min(n_keys, expand_window_keys_);
  const kernels::KvRows cache_rows = a.kv;
  // 缓冲所有层共用（前向由一个线程驱动、逐层进行），不随层数成倍占用内存；一次只解压一个窗口、一个头，
  // 大小只与窗口有关，与上下文长度、头数无关。
  // 注意：工作线程里直接写 thread_local 变量名会得到它自己的（空的）实例，所以经引用访问调用线程的缓冲
  thread_local Buffer<float> lat_storage, rows_storage, part_storage, lse_storage;
  thread_local const uint8_t* rows_block = nullptr;
  Buffer<float>& lat = lat_storage;
  Buffer<float>& rows = rows_storage;
  lat.resize(size_t(window * kvw));
  rows.resize(size_t(window * rw));
  rows_block = reinterpret_cast<const uint8_t*>(rows.data());
  a.kv = kernels::KvRows{&rows_block, window, rw * 4, 0, DType::kF32};
  a.row_values = rw;
  a.k_offset = 0, a.dk = qk, a.v_offset = qk, a.dv = v_dim_;
  a.ldq = H * qk, a.n_q = n_q;
  a.visible = visible_.data();
  const bool windowed = window < n_keys;
  Buffer<float>& part = part_storage;  // 第二个窗口起：本窗口的结果，再并入 o_
  Buffer<float>& lse = lse_storage;    // [n_q, H]：已合并各窗口的 log-sum-exp
  if (windowed) {
    part.resize(size_t(n_q * (v_dim_ + 1)));
    lse.resize(size_t(n_q * H));
  }
  for (int64_t w0 = 0; w0 < n_keys; w0 += window) {
    const int64_t nk = std::min(window, n_keys - w0);
    for (int64_t t = 0; t < nk; ++t)
      kernels::row_to_f32(ctx.kernels, cache_rows.dtype, cache_rows.row(w0 + t), lat.data() + t * kvw, kvw);
    for (int64_t i = i0; i < i1; ++i)
      visible_[size_t(i - i0)] = std::clamp<int64_t>(batch.positions[size_t(i)] + 1 - w0, 0, nk);
    a.n_keys = nk;
    for (int64_t h = 0; h < H; ++h) {
      // 该头每个键的行 [k_nope = c·W_UK_h | k_pe | v = c·W_UV_hᵀ]，按键在线程间切分
      ctx.pool().parallel_for(nk, [&](int64_t k0, int64_t k1, int) {
        kernels::matmul_nn_rows(ctx.kernels, lat.data() + k0 * kvw, kvw, k1 - k0, w_uk_t_[size_t(h)], rows.data() + k0 * rw, rw,
                                0, nope_, false);
        kernels::matmul_rows(ctx.kernels, lat.data() + k0 * kvw, kvw, k1 - k0, w_uv_[size_t(h)], rows.data() + k0 * rw + qk, rw, 0,
                             v_dim_);
        for (int64_t t = k0; t < k1; ++t)
          std::memcpy(rows.data() + t * rw + nope_, lat.data() + t * kvw + L, size_t(rope_dim_) * 4);
      });
      a.q = q_.data() + i0 * H * qk + h * qk;
      float* o = o_.data() + i0 * H * v_dim_ + h * v_dim_;
      if (w0 == 0) {  // 第一个窗口直接写结果
        a.out = o, a.ldo = H * v_dim_;
        a.lse = windowed ? lse.data() + h : nullptr, a.ld_lse = H;
        flash_.run(a, ctx.kernels);
        continue;
      }
      float* part_lse = part.data() + n_q * v_dim_;
      a.out = part.data(), a.ldo = v_dim_, a.lse = part_lse, a.ld_lse = 1;
      flash_.run(a, ctx.kernels);
      for (int64_t i = 0; i < n_q; ++i)
        merge_attention(o + i * H * v_dim_, lse.data() + i * H + h, part.data() + i * v_dim_, part_lse[i], v_dim_);
    }
  }
}

void MlaAttention::attend(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t layer) {
  const int64_t T = batch.size(), H = n_heads_, L = kv_lora_rank_;
  const bool latent = mode_ == MlaMode::kLatent;
  const int64_t ow = latent ? L : v_dim_;
  o_lat_.resize(size_t(T * H * ow));
  if (latent) {
    q_cat_.resize(size_t(T * H * (L + rope_dim_)));
    o_.resize(size_t(T * H * v_dim_));
  }
  plan_flash(batch);
  int64_t max_ctx = 1;
  for (int64_t t = 0; t < T; ++t)
    if (!use_flash_[size_t(t)]) max_ctx = std::max(max_ctx, batch.positions[size_t(t)] + 1);
  const int n_threads = ctx.pool().size();
  if (thread_scores_.size() < size_t(n_threads)) thread_scores_.resize(size_t(n_threads));
  for (auto& s : thread_scores_) s.resize(size_t(H * max_ctx));
  // 按头并行：每个线程对自己的头依次做 W_UK 吸收 → 逐 token 注意力 → W_UV，中间不需要同步。
  // 有 token 走分块注意力时，先吸收所有查询、做分块注意力，再做其余 token 与 W_UV。
  auto attend_heads = [&](int64_t h0, int64_t h1, int tid) {
    attend_tokens(ctx, h0, h1, batch, cache, layer, thread_scores_[size_t(tid)].data());
  };
  if (!latent) {
    run_flash(ctx, batch, cache, layer);
    ctx.pool().parallel_for(H, attend_heads);
    return;
  }
  if (flash_runs_.empty()) {
    ctx.pool().parallel_for(H, [&](int64_t h0, int64_t h1, int tid) {
      absorb_queries(ctx, h0, h1);
      attend_heads(h0, h1, tid);
      project_values(ctx, h0, h1);
    });
    return;
  }
  ctx.pool().parallel_for(H, [&](int64_t h0, int64_t h1, int) { absorb_queries(ctx, h0, h1); });
  run_flash(ctx, batch, cache, layer);
  ctx.pool().parallel_for(H, [&](int64_t h0, int64_t h1, int tid) {
    attend_heads(h0, h1, tid);
    project_values(ctx, h0, h1);
  });
}

void MlaAttention::forward(ForwardContext& ctx, const float* x, const Batch& batch, KvCache& cache,
                           int64_t layer, float* out) {
  ScopedTimer timer(ctx.monitor, Phase::kAttention);
  project_qkv(ctx, x, batch);
  write_cache(ctx, batch, cache, layer);
  attend(ctx, batch, cache, layer);
  const float* o = mode_ == MlaMode::kLatent ? o_.data() : o_lat_.data();
  kernels::matmul(ctx.kernels, o, n_heads_ * v_dim_, batch.size(), o_proj_, out, hidden_);
}

}  // namespace dsinfer
