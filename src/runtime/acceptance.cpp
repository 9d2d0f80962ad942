#include "runtime/acceptance.h"

#include <algorithm>
#include <vector>

namespace dsinfer {

Acceptance accept_greedy(const float* logits, const int32_t* drafts, int64_t k, int64_t vocab) {
  Acceptance r;
  while (r.accepted < k && drafts[r.accepted] == argmax(logits + r.accepted * vocab, vocab)) ++r.accepted;
  r.token = argmax(logits + r.accepted * vocab, vocab);
  return r;
}

void residual_distribution(float* p, const float* q, int64_t vocab) {
  double mass = 0;
  for (int64_t v = 0; v < vocab; ++v) mass += std::max(0.0f, p[v] - q[v]);
  if (mass <= 0) return;
  for (int64_t v = 0; v < vocab; ++v) p[v] = std::max(0.0f, p[v] - q[v]);
}

Acceptance accept_sampled(const float* logits, const int32_t* drafts, const float* q, int64_t k, int64_t vocab,
                          Sampler& sampler) {
  std::vector<float> p(static_cast<size_t>(vocab));
  Acceptance r;
  for (; r.accepted < k; ++r.accepted) {
    const int64_t j = r.accepted;
    sampler.probabilities(logits + j * vocab, vocab, p.data());
    const float* qj = q + j * vocab;
    const int32_t x = drafts[j];
    // 以 min(1, p/q) 接受（草稿从 q 抽出，q(x) > 0）
    if (sampler.uniform() * double(qj[x]) < double(p[size_t(x)])) continue;
    residual_distribution(p.data(), qj, vocab);
    r.token = sampler.sample_from(p.data(), vocab);
    return r;
  }
  r.token = sampler.sample(logits + k * vocab, vocab);
  return r;
}

}  // namespace dsinfer
