#include "kernels/rope.h"

#include <algorithm>
#include <cmath>

namespace dsinfer::kernels {

namespace {
double yarn_mscale(double factor, double m) {
  return factor <= 1.0 ? 1.0 : 0.1 * m * std::log(factor) + 1.0;
}
}  // namespace

Rope::Rope(const RopeParams& p) : dim_(p.dim) {
  const int64_t half = dim_ / 2;
  inv_freq_.resize(size_t(half));
  // 与官方 precompute_freqs_cis 一致：频率以 f32 计算
  for (int64_t i = 0; i < half; ++i) inv_freq_[size_t(i)] = 1.0f / std::pow(float(p.theta), float(2 * i) / float(dim_));
  if (!p.yarn) return;
  const double base = p.theta, orig = double(p.original_max_positions);
  auto corr_dim = [&](double rot) {
    return double(dim_) * std::log(orig / (rot * 2.0 * M_PI)) / (2.0 * std::log(base));
  };
  double low = std::max(std::floor(corr_dim(p.beta_fast)), 0.0);
  double high = std::min(std::ceil(corr_dim(p.beta_slow)), double(dim_ - 1));
  if (low == high) high += 0.001;
  for (int64_t i = 0; i < half; ++i) {
    const float ramp = float(std::clamp((double(i) - low) / (high - low), 0.0, 1.0));
    const float f = inv_freq_[size_t(i)];
    inv_freq_[size_t(i)] = f / float(p.factor) * ramp + f * (1.0f - ramp);
  }
  mscale_ = float(yarn_mscale(p.factor, p.mscale) / yarn_mscale(p.factor, p.mscale_all_dim));
}

void Rope::apply(float* x, int64_t n_vecs, int64_t stride, int64_t pos) const {
  const int64_t half = dim_ / 2;
  // 角度在 f32 中计算（官方 torch.outer(t, freqs) 为 f32），cos/sin 用双精度后取整
  float cs[256], sn[256];
  for (int64_t i = 0; i < half; ++i) {
    const float angle = float(pos) * inv_freq_[size_t(i)];
    cs[i] = float(std::cos(double(angle))) * mscale_;
    sn[i] = float(std::sin(double(angle))) * mscale_;
  }
  for (int64_t v = 0; v < n_vecs; ++v) {
    float* p = x + v * stride;
    for (int64_t i = 0; i < half; ++i) {
      const float a = p[2 * i], b = p[2 * i + 1];
      p[2 * i] = a * cs[i] - b * sn[i];
      p[2 * i + 1] = a * sn[i] + b * cs[i];
    }
  }
}

}  // namespace dsinfer::kernels
