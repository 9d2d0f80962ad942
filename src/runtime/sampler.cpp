#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace dsinfer {

int32_t argmax(const float* x, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return int32_t(best);
}

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {
  if (!(params.temperature >= 0.0) || !std::isfinite(params.temperature))
    throw Error(ErrorCode::kInvalidArgument, cat("采样温度 ", params.temperature, " 非法（应 ≥ 0）"));
  if (params.top_k < 0) throw Error(ErrorCode::kInvalidArgument, cat("top-k ", params.top_k, " 非法（应 ≥ 0）"));
  if (!(params.top_p > 0.0 && params.top_p <= 1.0))
    throw Error(ErrorCode::kInvalidArgument, cat("top-p ", params.top_p, " 非法（应在 (0, 1] 内）"));
}

void Sampler::probabilities(const float* logits, int64_t vocab, float* probs) {
  if (greedy()) {
    std::fill(probs, probs + vocab, 0.0f);
    probs[argmax(logits, vocab)] = 1.0f;
    return;
  }
  const double inv_t = 1.0 / params_.temperature;
  const float mx = logits[argmax(logits, vocab)];
  double sum = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    probs[i] = float(std::exp(double(logits[i] - mx) * inv_t));
    sum += probs[i];
  }
  for (int64_t i = 0; i < vocab; ++i) probs[i] = float(probs[i] / sum);
  const bool use_k = params_.top_k > 0 && params_.top_k < vocab;
  if (!use_k && params_.top_p >= 1.0) return;

  // 候选按概率降序（平局取编号小者），只对需要的前缀排序
  order_.resize(size_t(vocab));
  std::iota(order_.begin(), order_.end(), 0);
  auto cmp = [&](int32_t a, int32_t b) { return probs[a] > probs[b] || (probs[a] == probs[b] && a < b); };
  int64_t keep = use_k ? params_.top_k : vocab;
  std::partial_sort(order_.begin(), order_.begin() + keep, order_.end(), cmp);
  if (params_.top_p < 1.0) {
    double mass = 0;
    for (int64_t i = 0; i < keep; ++i) mass += probs[order_[size_t(i)]];
    // top-p 在 top-k 之后的分布上计算（与 HF 的处理顺序一致）
    double cum = 0;
    int64_t n = 0;
    while (n < keep) {
      cum += probs[order_[size_t(n)]] / mass;
      ++n;
      if (cum >= params_.top_p) break;
    }
    keep = n;
  }
  double kept = 0;
  for (int64_t i = 0; i < keep; ++i) kept += probs[order_[size_t(i)]];
  for (int64_t i = keep; i < vocab; ++i) probs[order_[size_t(i)]] = 0.0f;
  for (int64_t i = 0; i < keep; ++i) probs[order_[size_t(i)]] = float(probs[order_[size_t(i)]] / kept);
}

double Sampler::uniform() {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

int32_t Sampler::sample_from(const float* probs, int64_t vocab) {
  double total = 0;
  for (int64_t i = 0; i < vocab; ++i) total += probs[i];
  const double u = uniform() * total;
  double cum = 0;
  int64_t last = -1;
  for (int64_t i = 0; i < vocab; ++i) {
    if (probs[i] <= 0) continue;
    cum += probs[i];
    last = i;
    if (u < cum) return int32_t(i);
  }
  DSINFER_CHECK(last >= 0, "采样分布全为 0");
  return int32_t(last);
}

int32_t Sampler::sample(const float* logits, int64_t vocab) {
  if (greedy()) return argmax(logits, vocab);
  probs_.resize(size_t(vocab));
  probabilities(logits, vocab, probs_.data());
  return sample_from(probs_.data(), vocab);
}

}  // namespace dsinfer
