#include "runtime/sampler.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace dsinfer {
namespace {

TEST(Sampler, GreedyIsArgmax) {
  Sampler s(SamplingParams{});
  const float logits[5] = {0.1f, 3.0f, -1.0f, 3.0f, 2.0f};
  EXPECT_TRUE(s.greedy());
  EXPECT_EQ(s.sample(logits, 5), 1);  // 平局取编号小者
  float p[5];
  s.probabilities(logits, 5, p);
  EXPECT_EQ(p[1], 1.0f);
  EXPECT_EQ(p[3], 0.0f);
}

TEST(Sampler, TopKAndTopPTruncateTheDistribution) {
  const float logits[6] = {4.0f, 3.0f, 2.0f, 1.0f, 0.0f, -1.0f};
  float p[6];
  Sampler k(SamplingParams{1.0, 2, 1.0, 0});
  k.probabilities(logits, 6, p);
  EXPECT_NEAR(p[0] + p[1], 1.0, 1e-6);
  EXPECT_EQ(p[2], 0.0f);
  EXPECT_NEAR(p[0] / p[1], std::exp(1.0), 1e-4);
  Sampler tp(SamplingParams{1.0, 0, 0.7, 0});
  tp.probabilities(logits, 6, p);
  // softmax: 0.6364, 0.2341, ...：前 2 个累计 0.87 ≥ 0.7
  EXPECT_GT(p[1], 0.0f);
  EXPECT_EQ(p[2], 0.0f);
  Sampler hot(SamplingParams{2.0, 0, 1.0, 0});
  hot.probabilities(logits, 6, p);
  EXPECT_NEAR(p[0] / p[1], std::exp(0.5), 1e-4);
}

// 卡方检验：多次抽样的频率服从 probabilities() 给出的分布
TEST(Sampler, SamplesFollowTheDistribution) {
  const float logits[4] = {1.0f, 0.5f, 0.0f, -2.0f};
  Sampler s(SamplingParams{0.8, 0, 1.0, 42});
  float p[4];
  s.probabilities(logits, 4, p);
  int counts[4] = {};
  const int n = 20000;
  for (int i = 0; i < n; ++i) counts[s.sample(logits, 4)]++;
  double chi2 = 0;
  for (int i = 0; i < 4; ++i) chi2 += std::pow(counts[i] - n * p[i], 2) / (n * p[i]);
  EXPECT_LT(chi2, 16.27);  // 自由度 3，p = 0.001
}

TEST(Sampler, SeedsAreDeterministicAndParamsValidated) {
  const float logits[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  Sampler a(SamplingParams{1.0, 0, 1.0, 7}), b(SamplingParams{1.0, 0, 1.0, 7});
  for (int i = 0; i < 50; ++i) EXPECT_EQ(a.sample(logits, 8), b.sample(logits, 8));
  EXPECT_THROW(Sampler(SamplingParams{-1.0, 0, 1.0, 0}), Error);
  EXPECT_THROW(Sampler(SamplingParams{1.0, -1, 1.0, 0}), Error);
  EXPECT_THROW(Sampler(SamplingParams{1.0, 0, 1.5, 0}), Error);
  const float zero_tail[3] = {0.0f, 1.0f, 0.0f};
  EXPECT_EQ(a.sample_from(zero_tail, 3), 1);
  EXPECT_EQ(argmax(logits, 8), 7);
}

}  // namespace
}  // namespace dsinfer
