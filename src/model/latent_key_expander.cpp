#include "model/latent_key_expander.h"

#include <cstring>

namespace dsinfer {

LatentKeyExpander::LatentKeyExpander(const kernels::KernelContext& kc, const kernels::KvRows& cache_rows,
                                     const std::vector<Weight>& w_uk_t, const std::vector<Weight>& w_uv,
                                     int64_t kv_lora_rank, int64_t nope, int64_t rope_dim)
    : kc_(kc),
      cache_rows_(cache_rows),
      w_uk_t_(w_uk_t),
      w_uv_(w_uv),
      L_(kv_lora_rank),
      nope_(nope),
      rope_dim_(rope_dim) {}

Buffer<float>& LatentKeyExpander::window_latent() {
  thread_local Buffer<float> storage;
  return storage;
}

void LatentKeyExpander::begin_window(int64_t k0, int64_t n_keys) {
  const int64_t kvw = L_ + rope_dim_;
  latent_.resize(size_t(n_keys * kvw));
  for (int64_t t = 0; t < n_keys; ++t)
    kernels::row_to_f32(kc_, cache_rows_.dtype, cache_rows_.row(k0 + t), latent_.data() + t * kvw, kvw);
}

void LatentKeyExpander::fill_rows(int64_t h, int64_t k0, int64_t k1, float* rows, int64_t ld) {
  const int64_t kvw = L_ + rope_dim_, qk = nope_ + rope_dim_;
  const Weight& w_uv = w_uv_[size_t(h)];
  kernels::matmul_nn_rows(kc_, latent_.data() + k0 * kvw, kvw, k1 - k0, w_uk_t_[size_t(h)], rows, ld, 0, nope_, false);
  kernels::matmul_rows(kc_, latent_.data() + k0 * kvw, kvw, k1 - k0, w_uv, rows + qk, ld, 0, w_uv.rows);
  for (int64_t t = k0; t < k1; ++t)
    std::memcpy(rows + (t - k0) * ld + nope_, latent_.data() + t * kvw + L_, size_t(rope_dim_) * 4);
}

}  // namespace dsinfer
