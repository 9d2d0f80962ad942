// RoPE 与 YaRN（docs/spec.md §3.4）：对 qk_rope_head_dim 维向量按相邻两维（交错对）旋转。
// 频率 f_i = θ^(-2i/d)；YaRN 时 f_i' = f_i/factor·ramp(i) + f_i·(1 − ramp(i))，对所有位置生效。
#pragma once

#include <cstdint>
#include <vector>

namespace dsinfer::kernels {

// RoPE 的参数，由模型按 config.json 的 qk_rope_head_dim / rope_theta / rope_scaling 填写。
struct RopeParams {
  int64_t dim = 0;         // 旋转的维数（偶数，≤ 512）
  double theta = 10000.0;  // 基频 θ
  // YaRN（rope_scaling 为 yarn 时）；yarn = false 时是普通 RoPE，其余各项不用
  bool yarn = false;
  double factor = 1.0;
  int64_t original_max_positions = 0;
  double beta_fast = 32.0, beta_slow = 1.0;
  double mscale = 1.0, mscale_all_dim = 0.0;
};

class Rope {
 public:
  explicit Rope(const RopeParams& params);
  // 原地旋转 n_vecs 个向量（相邻向量间距 stride 个 float），都位于同一位置 pos。
  void apply(float* x, int64_t n_vecs, int64_t stride, int64_t pos) const;
  const std::vector<float>& inv_freq() const { return inv_freq_; }

 private:
  int64_t dim_;
  float mscale_ = 1.0f;  // HF：cos/sin 乘 mscale(factor, mscale)/mscale(factor, mscale_all_dim)，常为 1
  std::vector<float> inv_freq_;
};

}  // namespace dsinfer::kernels
