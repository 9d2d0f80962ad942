#include "model/mla_attention.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "kernels/kernels.h"
#include "kernels/windowed_attention.h"
#include "model/latent_key_expander.h"
#include "model/rope_params.h"

namespace dsinfer {

int64_t MlaAttention::cache_row_values(const ModelConfig& c, MlaMode mode) {
  if (mode == MlaMode::kLatent) return c.kv_lora_rank + c.qk_rope_head_dim;
  return c.num_attention_heads * (c.qk_head_dim() + c.v_head_dim);
}

MlaAttention::MlaAttention(const ModelConfig& c, const Checkpoint& ckpt, const std::string& prefix, MlaMode mode,
                           MlaScratch& scratch)
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
      rope_(rope_params(c)),
      s_(scratch) {
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
  plan_config_.mode = mode_;
  plan_config_.kv_lora_rank = kv_lora_rank_, plan_config_.qk_nope = nope_, plan_config_.qk_rope = rope_dim_;
  plan_config_.v_dim = v_dim_;
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
        if (d < nope_)
          put(uk, c2 * nope_ + d, row[size_t(c2)]);
        else
          put(uv, (d - nope_) * L + c2, row[size_t(c2)]);
      }
    }
    w_uk_t_.push_back(Weight{dt, L, nope_, uk, nullptr});
    w_uv_.push_back(Weight{dt, v_dim_, L, uv, nullptr});
  }
  plan_config_.can_expand_latent = dt != DType::kF16;  // matmul_nn 只支持 F32 / BF16 的 W_UK
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
  s_.q.resize(size_t(T * H * qk));
  s_.kv.resize(size_t(T * kvw));
  if (q_lora_rank_ > 0) {
    s_.q_a.resize(size_t(T * q_lora_rank_));
    const kernels::MatmulJob jobs[2] = {{x, hidden_, T, &q_a_proj_, s_.q_a.data(), q_lora_rank_},
                                        {x, hidden_, T, &kv_a_proj_, s_.kv.data(), kvw}};
    kernels::matmul_batch(ctx.kernels, jobs, 2);
    for (int64_t t = 0; t < T; ++t)
      kernels::rms_norm(ctx.kernels, s_.q_a.data() + t * q_lora_rank_, q_a_norm_.data(),
                        s_.q_a.data() + t * q_lora_rank_, q_lora_rank_, eps_);
    kernels::matmul(ctx.kernels, s_.q_a.data(), q_lora_rank_, T, q_b_proj_, s_.q.data(), H * qk);
  } else {
    const kernels::MatmulJob jobs[2] = {{x, hidden_, T, &q_proj_, s_.q.data(), H * qk},
                                        {x, hidden_, T, &kv_a_proj_, s_.kv.data(), kvw}};
    kernels::matmul_batch(ctx.kernels, jobs, 2);
  }
  for (int64_t t = 0; t < T; ++t) {
    float* kv = s_.kv.data() + t * kvw;
    kernels::rms_norm(ctx.kernels, kv, kv_a_norm_.data(), kv, kv_lora_rank_, eps_);
    rope_.apply(kv + kv_lora_rank_, 1, rope_dim_, batch.positions[size_t(t)]);
    rope_.apply(s_.q.data() + t * H * qk + nope_, H, qk, batch.positions[size_t(t)]);
  }
}

void MlaAttention::write_cache(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t layer) {
  const int64_t T = batch.size(), H = n_heads_, qk = nope_ + rope_dim_, kvw = kv_lora_rank_ + rope_dim_;
  if (mode_ == MlaMode::kLatent) {
    for (int64_t t = 0; t < T; ++t)
      kernels::row_from_f32(cache.dtype(), s_.kv.data() + t * kvw,
                            cache.row(batch.seq_ids[size_t(t)], layer, batch.positions[size_t(t)]), kvw);
    return;
  }
  // expanded：解压出每头 k_nope 与 v，拼成 [K_0..K_{H-1} | V_0..V_{H-1}]
  const int64_t kvb_w = H * (nope_ + v_dim_), row_w = H * (qk + v_dim_);
  s_.kvb.resize(size_t(T * kvb_w));
  kernels::matmul(ctx.kernels, s_.kv.data(), kvw, T, kv_b_proj_, s_.kvb.data(), kvb_w);
  s_.row.resize(size_t(row_w));
  for (int64_t t = 0; t < T; ++t) {
    const float* kvb = s_.kvb.data() + t * kvb_w;
    const float* k_pe = s_.kv.data() + t * kvw + kv_lora_rank_;
    float* r = s_.row.data();
    for (int64_t h = 0; h < H; ++h) {
      std::memcpy(r + h * qk, kvb + h * (nope_ + v_dim_), size_t(nope_) * 4);
      std::memcpy(r + h * qk + nope_, k_pe, size_t(rope_dim_) * 4);
      std::memcpy(r + H * qk + h * v_dim_, kvb + h * (nope_ + v_dim_) + nope_, size_t(v_dim_) * 4);
    }
    kernels::row_from_f32(cache.dtype(), r, cache.row(batch.seq_ids[size_t(t)], layer, batch.positions[size_t(t)]),
                          row_w);
  }
}

void MlaAttention::set_expand_window_keys(int64_t keys) {
  DSINFER_CHECK(keys > 0, "解压窗口的键数必须为正");
  expand_window_keys_ = keys;
}

namespace {

// 第 t 个 token 逐 token 注意力的参数中与路径无关的部分：本序列本层的缓存行、可见的位置数
kernels::AttentionArgs token_attention_args(const Batch& batch, KvCache& cache, int64_t layer, int64_t t, float scale) {
  kernels::AttentionArgs a;
  a.kv = cache.rows(batch.seq_ids[size_t(t)], layer);
  a.n_ctx = batch.positions[size_t(t)] + 1;
  a.scale = scale;
  return a;
}

// 分块注意力的参数中与路径无关的部分：段内各 token 共享其序列、本层的缓存行，键数为段末 token 的位置 + 1
kernels::FlashAttentionArgs segment_flash_args(const AttentionSegment& s, const Batch& batch, KvCache& cache,
                                               int64_t layer, float scale) {
  kernels::FlashAttentionArgs a;
  a.kv = cache.rows(batch.seq_ids[size_t(s.begin)], layer);
  a.n_keys = batch.positions[size_t(s.end - 1)] + 1;
  a.row_values = cache.row_values();
  a.scale = scale;
  return a;
}

}  // namespace

void MlaAttention::absorb_queries(const ForwardContext& ctx, int64_t h0, int64_t h1) {
  const int64_t H = n_heads_, qk = nope_ + rope_dim_, L = kv_lora_rank_, qw = L + rope_dim_;
  for (const auto& [t0, t1] : plan_.absorbed_spans)
    for (int64_t h = h0; h < h1; ++h) {
      kernels::matmul_rows(ctx.kernels, s_.q.data() + t0 * H * qk + h * qk, H * qk, t1 - t0, w_uk_t_[size_t(h)],
                           s_.q_cat.data() + t0 * H * qw + h * qw, H * qw, 0, L);
      for (int64_t t = t0; t < t1; ++t)
        std::memcpy(s_.q_cat.data() + (t * H + h) * qw + L, s_.q.data() + (t * H + h) * qk + nope_,
                    size_t(rope_dim_) * 4);
    }
}

void MlaAttention::project_values(const ForwardContext& ctx, int64_t h0, int64_t h1) {
  const int64_t H = n_heads_, L = kv_lora_rank_;
  for (const auto& [t0, t1] : plan_.absorbed_spans)
    for (int64_t h = h0; h < h1; ++h)
      kernels::matmul_rows(ctx.kernels, s_.o_lat.data() + t0 * H * L + h * L, H * L, t1 - t0, w_uv_[size_t(h)],
                           s_.o.data() + t0 * H * v_dim_ + h * v_dim_, H * v_dim_, 0, v_dim_);
}

void MlaAttention::attend_absorbed_per_token(const ForwardContext& ctx, const AttentionSegment& s, int64_t h0,
                                             int64_t h1, const Batch& batch, KvCache& cache, int64_t layer,
                                             float* scratch) {
  // 所有头共享同一缓存行（MQA）：键为整行 [c_kv | k_pe]，值为其前 L 维 c_kv
  const int64_t H = n_heads_, L = kv_lora_rank_, qw = L + rope_dim_;
  for (int64_t t = s.begin; t < s.end; ++t) {
    kernels::AttentionArgs a = token_attention_args(batch, cache, layer, t, scale_);
    a.q = s_.q_cat.data() + (t * H + h0) * qw, a.q_head_stride = qw, a.n_heads = h1 - h0;
    a.k_offset = 0, a.k_head_stride = 0, a.dk = qw;
    a.v_offset = 0, a.v_head_stride = 0, a.dv = L;
    a.out = s_.o_lat.data() + (t * H + h0) * L, a.out_head_stride = L;
    kernels::attention(ctx.kernels, a, scratch);
  }
}

void MlaAttention::attend_expanded_per_token(const ForwardContext& ctx, const AttentionSegment& s, int64_t h0,
                                             int64_t h1, const Batch& batch, KvCache& cache, int64_t layer,
                                             float* scratch) {
  // 缓存行 [K_0..K_{H-1} | V_0..V_{H-1}]：每头取自己的 K、V 列
  const int64_t H = n_heads_, qk = nope_ + rope_dim_;
  for (int64_t t = s.begin; t < s.end; ++t) {
    kernels::AttentionArgs a = token_attention_args(batch, cache, layer, t, scale_);
    a.q = s_.q.data() + (t * H + h0) * qk, a.q_head_stride = qk, a.n_heads = h1 - h0;
    a.k_offset = h0 * qk, a.k_head_stride = qk, a.dk = qk;
    a.v_offset = H * qk + h0 * v_dim_, a.v_head_stride = v_dim_, a.dv = v_dim_;
    a.out = s_.o.data() + (t * H + h0) * v_dim_, a.out_head_stride = v_dim_;
    kernels::attention(ctx.kernels, a, scratch);
  }
}

void MlaAttention::fill_visible(const AttentionSegment& s, const Batch& batch, int64_t rows_per_token) {
  s_.visible.resize(size_t((s.end - s.begin) * rows_per_token));
  for (int64_t i = s.begin; i < s.end; ++i)
    std::fill_n(s_.visible.begin() + (i - s.begin) * rows_per_token, rows_per_token, batch.positions[size_t(i)] + 1);
}

void MlaAttention::attend_absorbed_flash(ForwardContext& ctx, const AttentionSegment& s, const Batch& batch,
                                         KvCache& cache, int64_t layer) {
  // 段内所有 (token, 头) 作为查询行，共享同一缓存行（MQA）
  const int64_t H = n_heads_, L = kv_lora_rank_, qw = L + rope_dim_;
  fill_visible(s, batch, H);
  kernels::FlashAttentionArgs a = segment_flash_args(s, batch, cache, layer, scale_);
  a.q = s_.q_cat.data() + s.begin * H * qw, a.ldq = qw, a.n_q = (s.end - s.begin) * H, a.visible = s_.visible.data();
  a.k_offset = 0, a.dk = qw, a.v_offset = 0, a.dv = L;
  a.out = s_.o_lat.data() + s.begin * H * L, a.ldo = L;
  s_.flash.run(a, ctx.kernels);
}

void MlaAttention::attend_expanded_flash(ForwardContext& ctx, const AttentionSegment& s, const Batch& batch,
                                         KvCache& cache, int64_t layer) {
  // 每头一次：查询为该头的 q，键 / 值为缓存行中该头的列
  const int64_t H = n_heads_, qk = nope_ + rope_dim_;
  fill_visible(s, batch, 1);
  kernels::FlashAttentionArgs a = segment_flash_args(s, batch, cache, layer, scale_);
  for (int64_t h = 0; h < H; ++h) {
    a.q = s_.q.data() + s.begin * H * qk + h * qk, a.ldq = H * qk, a.n_q = s.end - s.begin,
    a.visible = s_.visible.data();
    a.k_offset = h * qk, a.dk = qk, a.v_offset = H * qk + h * v_dim_, a.dv = v_dim_;
    a.out = s_.o.data() + s.begin * H * v_dim_ + h * v_dim_, a.ldo = H * v_dim_;
    s_.flash.run(a, ctx.kernels);
  }
}

void MlaAttention::attend_latent_expanded_flash(ForwardContext& ctx, const AttentionSegment& s, const Batch& batch,
                                                KvCache& cache, int64_t layer) {
  const int64_t H = n_heads_, qk = nope_ + rope_dim_;
  fill_visible(s, batch, 1);
  kernels::WindowedAttentionArgs a;
  a.q = s_.q.data() + s.begin * H * qk, a.ldq = H * qk, a.q_head_stride = qk;
  a.n_q = s.end - s.begin, a.n_heads = H, a.visible = s_.visible.data();
  a.n_keys = batch.positions[size_t(s.end - 1)] + 1, a.window = expand_window_keys_;
  a.dk = qk, a.dv = v_dim_, a.scale = scale_;
  a.out = s_.o.data() + s.begin * H * v_dim_, a.ldo = H * v_dim_, a.out_head_stride = v_dim_;
  LatentKeyExpander keys(ctx.kernels, cache.rows(batch.seq_ids[size_t(s.begin)], layer), w_uk_t_, w_uv_, kv_lora_rank_,
                         nope_, rope_dim_);
  kernels::windowed_attention(ctx.kernels, a, keys, s_.flash);
}

void MlaAttention::attend_flash_segments(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t layer) {
  for (const AttentionSegment& s : plan_.segments) {
    switch (s.path) {
      case AttentionPath::kAbsorbedFlash:
        attend_absorbed_flash(ctx, s, batch, cache, layer);
        break;
      case AttentionPath::kLatentExpandedFlash:
        attend_latent_expanded_flash(ctx, s, batch, cache, layer);
        break;
      case AttentionPath::kExpandedFlash:
        attend_expanded_flash(ctx, s, batch, cache, layer);
        break;
      case AttentionPath::kAbsorbedPerToken:
      case AttentionPath::kExpandedPerToken:
        break;
    }
  }
}

void MlaAttention::attend_per_token_segments(const ForwardContext& ctx, int64_t h0, int64_t h1, const Batch& batch,
                                             KvCache& cache, int64_t layer, float* scratch) {
  for (const AttentionSegment& s : plan_.segments) {
    switch (s.path) {
      case AttentionPath::kAbsorbedPerToken:
        attend_absorbed_per_token(ctx, s, h0, h1, batch, cache, layer, scratch);
        break;
      case AttentionPath::kExpandedPerToken:
        attend_expanded_per_token(ctx, s, h0, h1, batch, cache, layer, scratch);
        break;
      case AttentionPath::kAbsorbedFlash:
      case AttentionPath::kLatentExpandedFlash:
      case AttentionPath::kExpandedFlash:
        break;
    }
  }
}

void MlaAttention::attend(ForwardContext& ctx, const Batch& batch, KvCache& cache, int64_t layer) {
  const int64_t T = batch.size(), H = n_heads_, L = kv_lora_rank_;
  const bool latent = mode_ == MlaMode::kLatent;
  build_attention_plan(batch, plan_config_, plan_);
  s_.o.resize(size_t(T * H * v_dim_));
  if (latent) {
    s_.q_cat.resize(size_t(T * H * (L + rope_dim_)));
    s_.o_lat.resize(size_t(T * H * L));
  }
  int64_t max_ctx = 1;
  for (const AttentionSegment& s : plan_.segments)
    if (is_per_token(s.path)) max_ctx = std::max(max_ctx, batch.positions[size_t(s.end - 1)] + 1);
  const int n_threads = ctx.pool().size();
  if (s_.thread_scores.size() < size_t(n_threads)) s_.thread_scores.resize(size_t(n_threads));
  for (auto& sc : s_.thread_scores) sc.resize(size_t(H * max_ctx));
  // 按头并行：每个线程对自己的头依次做 W_UK 吸收 → 逐 token 注意力 → W_UV，中间不需要同步。
  // 有分块注意力的段时（它们自己按查询或键并行），先吸收所有查询、做分块注意力，再做逐 token 的段与 W_UV。
  auto per_token_then_values = [&](int64_t h0, int64_t h1, int tid) {
    attend_per_token_segments(ctx, h0, h1, batch, cache, layer, s_.thread_scores[size_t(tid)].data());
    if (latent) project_values(ctx, h0, h1);
  };
  if (!plan_.has_flash()) {
    ctx.pool().parallel_for(H, [&](int64_t h0, int64_t h1, int tid) {
      if (latent) absorb_queries(ctx, h0, h1);
      per_token_then_values(h0, h1, tid);
    });
    return;
  }
  if (latent) ctx.pool().parallel_for(H, [&](int64_t h0, int64_t h1, int) { absorb_queries(ctx, h0, h1); });
  attend_flash_segments(ctx, batch, cache, layer);
  ctx.pool().parallel_for(H, per_token_then_values);
}

void MlaAttention::forward(ForwardContext& ctx, const float* x, const Batch& batch, KvCache& cache, int64_t layer,
                           float* out) {
  ScopedTimer timer(ctx.monitor, Phase::kAttention);
  project_qkv(ctx, x, batch);
  write_cache(ctx, batch, cache, layer);
  attend(ctx, batch, cache, layer);
  kernels::matmul(ctx.kernels, s_.o.data(), n_heads_ * v_dim_, batch.size(), o_proj_, out, hidden_);
}

}  // namespace dsinfer
