#include "runtime/adaptive_draft.h"

#include <algorithm>

namespace dsinfer {

AdaptiveDraft::AdaptiveDraft(int64_t max_k)
    : max_k_(max_k),
      reached_(size_t(max_k + 1), 0.0),
      accepted_(size_t(max_k + 1), 0.0),
      time_(size_t(max_k + 1), 0.0) {}

double AdaptiveDraft::expected_tokens(int64_t k) const {
  // E(k) = 1 + Σ_{j≤k} Π_{i≤j} α_i，α_i = 深度 i 在前面都被接受时的接受率（未测时取 0.5）
  double e = 1.0, prod = 1.0;
  for (int64_t j = 1; j <= k; ++j) {
    const double alpha = reached_[size_t(j)] > 0 ? accepted_[size_t(j)] / reached_[size_t(j)] : 0.5;
    prod *= alpha;
    e += prod;
  }
  return e;
}

int64_t AdaptiveDraft::choose() {
  ++steps_;
  // 从 k = 0 起逐个往上试，只要新试的 k 仍是最快的就继续试 k+1：速率对 k 通常先升后降，
  // MTP 不划算时（小模型、计算受限）只付出一步 k=1 的试探。之后隔一段试一次最优值的相邻值，跟踪负载变化；
  // 一次试探（先追赶积压的 MTP 位置，再起草、验证）在小模型上抵得上好几步普通解码，所以最优值不变时
  // 间隔乘 4（256、1024、4096 … 步），变了再回到 256。
  // k ≥ 1 的速率要比普通解码高出 kMargin 才算更快：单步耗时只有零点几毫秒时计时抖动很大，
  // 宁可少用 MTP，也不因噪声把慢的 k 当成快的。
  constexpr double kMargin = 1.1;
  auto rate = [&](int64_t k) { return expected_tokens(k) / time_[size_t(k)] / (k > 0 ? kMargin : 1.0); };
  if (time_[0] == 0.0) return 0;  // 先测普通解码（第一步的冷启动样本在 observe 中丢弃）
  int64_t explored = 0, best = 0;
  while (explored < max_k_ && time_[size_t(explored + 1)] > 0.0) ++explored;
  for (int64_t k = 1; k <= explored; ++k)
    if (rate(k) > rate(best)) best = k;
  if (best == explored && explored < max_k_) return explored + 1;
  if (best != last_best_)
    last_best_ = best, probe_interval_ = kFirstProbeInterval, next_probe_ = steps_ + probe_interval_;
  if (steps_ < next_probe_) return best;
  probe_interval_ *= 4;
  next_probe_ = steps_ + probe_interval_;
  probe_up_ = !probe_up_;
  return probe_up_ ? std::min(max_k_, best + 1) : std::max<int64_t>(0, best - 1);
}

void AdaptiveDraft::observe(int64_t k, const std::vector<int64_t>& accepted, double seconds, int64_t n_seqs) {
  for (int64_t a : accepted)
    for (int64_t j = 1; j <= k && j <= a + 1; ++j) {
      reached_[size_t(j)] += 1;
      if (j <= a) accepted_[size_t(j)] += 1;
    }
  const double per_seq = seconds / double(std::max<int64_t>(1, n_seqs));
  // 第一步普通解码带着冷缓存与首次分配，可能慢一半：若记下它，k ≥ 1 会显得比实际划算，
  // 而之后不再选 k=0 就再也纠正不了。所以丢掉它，再测一步。
  if (k == 0 && !plain_warm_) {
    plain_warm_ = true;
    return;
  }
  double& t = time_[size_t(k)];
  t = t == 0.0 ? per_seq : 0.8 * t + 0.2 * per_seq;
}

}  // namespace dsinfer
