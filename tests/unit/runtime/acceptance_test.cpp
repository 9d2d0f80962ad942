// 接受规则：贪心的最长前缀 + 修正 / 奖励 token；拒绝采样的接受判定、残差分布，以及输出分布等于目标分布。
#include "runtime/acceptance.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace dsinfer {
namespace {

constexpr int64_t kVocab = 5;

// 每行的 argmax 依次为 winners[i] 的 logits [rows, kVocab]
std::vector<float> logits_with_argmax(const std::vector<int32_t>& winners) {
  std::vector<float> l(winners.size() * kVocab, 0.0f);
  for (size_t i = 0; i < winners.size(); ++i) l[i * kVocab + size_t(winners[i])] = 3.0f;
  return l;
}

TEST(Acceptance, GreedyAcceptsTheLongestMatchingPrefixAndAddsTheTargetToken) {
  const auto logits = logits_with_argmax({2, 4, 1, 3});  // k = 3：三个验证行 + 奖励行
  const std::vector<int32_t> all_right = {2, 4, 1}, second_wrong = {2, 0, 1}, first_wrong = {3, 4, 1};
  Acceptance r = accept_greedy(logits.data(), all_right.data(), 3, kVocab);
  EXPECT_EQ(r.accepted, 3);
  EXPECT_EQ(r.token, 3);  // 奖励 token
  r = accept_greedy(logits.data(), second_wrong.data(), 3, kVocab);
  EXPECT_EQ(r.accepted, 1);
  EXPECT_EQ(r.token, 4);  // 修正 token（第三个草稿虽然对，也不再看）
  r = accept_greedy(logits.data(), first_wrong.data(), 3, kVocab);
  EXPECT_EQ(r.accepted, 0);
  EXPECT_EQ(r.token, 2);
  r = accept_greedy(logits.data(), nullptr, 0, kVocab);  // k = 0：普通解码
  EXPECT_EQ(r.accepted, 0);
  EXPECT_EQ(r.token, 2);
}

TEST(Acceptance, ResidualIsPositivePartOfPMinusQ) {
  std::vector<float> p = {0.5f, 0.3f, 0.2f, 0.0f, 0.0f};
  const std::vector<float> q = {0.2f, 0.5f, 0.1f, 0.2f, 0.0f};
  residual_distribution(p.data(), q.data(), kVocab);
  EXPECT_FLOAT_EQ(p[0], 0.3f);
  EXPECT_FLOAT_EQ(p[1], 0.0f);
  EXPECT_FLOAT_EQ(p[2], 0.1f);
  EXPECT_FLOAT_EQ(p[3], 0.0f);
  // p = q：残差为 0，保持 p
  std::vector<float> same = q;
  residual_distribution(same.data(), q.data(), kVocab);
  EXPECT_EQ(same, q);
}

// 目标分布 p（温度 1）在每行相同
std::vector<float> target_logits(int64_t rows) {
  const std::vector<float> row = {1.0f, 0.2f, -0.5f, 0.7f, -1.0f};
  std::vector<float> l;
  for (int64_t i = 0; i < rows; ++i) l.insert(l.end(), row.begin(), row.end());
  return l;
}

TEST(Acceptance, SampledAcceptsEveryDraftDrawnFromTheTargetItself) {
  const int64_t k = 3;
  const auto logits = target_logits(k + 1);
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Sampler s(SamplingParams{1.0, 0, 1.0, seed});
    std::vector<float> q(size_t(k * kVocab));
    std::vector<int32_t> drafts;
    for (int64_t j = 0; j < k; ++j) {
      s.probabilities(logits.data() + j * kVocab, kVocab, q.data() + j * kVocab);
      drafts.push_back(s.sample_from(q.data() + j * kVocab, kVocab));
    }
    const Acceptance r = accept_sampled(logits.data(), drafts.data(), q.data(), k, kVocab, s);
    EXPECT_EQ(r.accepted, k);  // q = p：min(1, p/q) = 1
  }
}

TEST(Acceptance, SampledRejectsDraftsTheTargetCannotProduce) {
  const auto logits = target_logits(2);
  Sampler s(SamplingParams{1.0, 2, 1.0, 7});  // top-2：只有 token 0 与 3 的概率非 0
  std::vector<float> q(kVocab, 0.0f);
  q[4] = 1.0f;
  const int32_t draft = 4;
  for (int i = 0; i < 100; ++i) {
    const Acceptance r = accept_sampled(logits.data(), &draft, q.data(), 1, kVocab, s);
    EXPECT_EQ(r.accepted, 0);
    EXPECT_TRUE(r.token == 0 || r.token == 3) << r.token;
  }
}

// 草稿从与目标不同的 q 抽出：第一个输出 token 的频率仍等于 p（每格与期望的偏差在 5 个标准差内）
TEST(Acceptance, SampledOutputFollowsTheTargetDistribution) {
  const auto logits = target_logits(2);
  Sampler s(SamplingParams{1.0, 0, 1.0, 11});
  std::vector<float> p(kVocab);
  s.probabilities(logits.data(), kVocab, p.data());
  const std::vector<float> q = {0.1f, 0.4f, 0.3f, 0.1f, 0.1f};
  std::mt19937_64 draft_rng(3);
  std::discrete_distribution<int32_t> from_q(q.begin(), q.end());
  const int n = 40000;
  std::vector<int> count(kVocab, 0);
  int accepted = 0;
  for (int i = 0; i < n; ++i) {
    const int32_t draft = from_q(draft_rng);
    const Acceptance r = accept_sampled(logits.data(), &draft, q.data(), 1, kVocab, s);
    accepted += int(r.accepted);
    count[size_t(r.accepted ? draft : r.token)]++;
  }
  for (int64_t v = 0; v < kVocab; ++v) {
    const double expect = n * double(p[size_t(v)]), sd = std::sqrt(expect * (1 - double(p[size_t(v)])));
    EXPECT_NEAR(count[size_t(v)], expect, 5 * sd) << "token " << v;
  }
  // 接受率 = Σ min(p, q)
  double overlap = 0;
  for (int64_t v = 0; v < kVocab; ++v) overlap += std::min(double(p[size_t(v)]), double(q[size_t(v)]));
  EXPECT_NEAR(accepted, n * overlap, 5 * std::sqrt(n * overlap * (1 - overlap)));
}

}  // namespace
}  // namespace dsinfer
