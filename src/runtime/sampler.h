// Sampler：温度、top-k、top-p 与随机种子。同一种子、同一 logits 序列 → 同一输出（可复现）。
// probabilities() 给出最终的采样分布（温度 → top-k → top-p → 归一化），sample() 从它抽样；
// MTP 的拒绝采样用的也是这同一个分布，因此推测解码的输出分布与普通采样完全相同。
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace dsinfer {

struct SamplingParams {
  double temperature = 0.0;  // ≤ 0：贪心（argmax）
  int64_t top_k = 0;         // 0：不限制
  double top_p = 1.0;        // 1：不限制
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);

  bool greedy() const { return params_.temperature <= 0.0; }
  // 最终采样分布（稠密，长度 vocab，未选中的为 0）。贪心时为 argmax 处的单点分布。
  void probabilities(const float* logits, int64_t vocab, float* probs);
  int32_t sample(const float* logits, int64_t vocab);
  // 从给定（未必归一化的非负）分布中抽样
  int32_t sample_from(const float* probs, int64_t vocab);
  double uniform();  // [0, 1) 均匀随机数（拒绝采样的接受判定）

 private:
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::vector<float> probs_;
  std::vector<int32_t> order_;
};

int32_t argmax(const float* x, int64_t n);

}  // namespace dsinfer
