// AdaptiveDraft：MTP 自适应起草（mtp.adaptive = true）。按实测的各深度接受率与每种 k 的单步耗时，
// 选择期望“token / 秒”最大的起草数 k（可为 0 = 普通解码）。
#pragma once

#include <cstdint>
#include <vector>

namespace dsinfer {

// 按实测接受率与耗时选择每步起草数 k ∈ [0, max_k]
class AdaptiveDraft {
 public:
  explicit AdaptiveDraft(int64_t max_k);
  int64_t choose();
  // 一步的结果：用了 k 个草稿、每条序列接受数、该步耗时（秒）、序列数
  void observe(int64_t k, const std::vector<int64_t>& accepted, double seconds, int64_t n_seqs);
  double expected_tokens(int64_t k) const;  // 每条序列每步期望输出 token 数

 private:
  int64_t max_k_, steps_ = 0;
  static constexpr int64_t kFirstProbeInterval = 256;
  int64_t last_best_ = -1, probe_interval_ = kFirstProbeInterval,
          next_probe_ = 0;  // 相邻值试探的间隔（最优值不变时乘 4）
  bool probe_up_ = false, plain_warm_ = false;
  std::vector<double> reached_, accepted_;  // 深度 j：被起草次数、被接受次数
  std::vector<double> time_;                // k → 每序列每步耗时的滑动平均（0 表示未测）
};

}  // namespace dsinfer
