// 路由规则的单元测试（docs/spec.md §3.7）：用一个 8 专家的门控权重构造已知的分数，检查每种 topk_method。
#include "model/moe_router.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "e2e/cli.h"

namespace dsinfer {
namespace {

// 门控权重为单位阵的前 8 行：logits 就是输入向量本身
std::string make_gate(testing_support::ScratchDir& d, const std::vector<float>& bias) {
  std::vector<float> w(8 * 8, 0.0f);
  for (int i = 0; i < 8; ++i) w[size_t(i * 8 + i)] = 1.0f;
  std::vector<TensorToWrite> t = {{"mlp.gate.weight", DType::kF32, {8, 8}, w.data()}};
  if (!bias.empty()) t.push_back({"mlp.gate.e_score_correction_bias", DType::kF32, {8}, bias.data()});
  write_safetensors(d.file("model.safetensors"), t);
  return d.path();
}

ModelConfig config(TopkMethod m, ScoringFunc s, int64_t groups, int64_t topk_group, int64_t k, bool norm,
                   double scale) {
  ModelConfig c;
  c.hidden_size = 8;
  c.n_routed_experts = 8;
  c.num_experts_per_tok = k;
  c.n_group = groups;
  c.topk_group = topk_group;
  c.topk_method = m;
  c.scoring_func = s;
  c.norm_topk_prob = norm;
  c.routed_scaling_factor = scale;
  return c;
}

struct Routed {
  std::vector<int32_t> experts;
  std::vector<float> weights;
};

Routed route(const ModelConfig& c, const std::vector<float>& bias, const std::vector<float>& logits) {
  testing_support::ScratchDir d;
  const Checkpoint ckpt(make_gate(d, bias));
  const MoeRouter r(c, ckpt, "mlp");
  Routed out{std::vector<int32_t>(size_t(c.num_experts_per_tok)), std::vector<float>(size_t(c.num_experts_per_tok))};
  std::vector<float> scratch(16);
  r.route(logits.data(), out.experts.data(), out.weights.data(), scratch.data());
  return out;
}

const std::vector<float> kLogits = {0.1f, 2.0f, 0.3f, 1.9f, 1.0f, 0.2f, 1.5f, 1.4f};

TEST(MoeRouter, GreedySoftmaxWithoutRenormalisation) {
  const Routed r = route(config(TopkMethod::kGreedy, ScoringFunc::kSoftmax, 1, 1, 2, false, 2.0), {}, kLogits);
  EXPECT_EQ(r.experts, (std::vector<int32_t>{1, 3}));
  double z = 0;
  for (float l : kLogits) z += std::exp(l);
  EXPECT_NEAR(r.weights[0], 2.0 * std::exp(2.0) / z, 1e-6);
  EXPECT_NEAR(r.weights[1], 2.0 * std::exp(1.9) / z, 1e-6);
}

TEST(MoeRouter, GroupLimitedGreedyUsesGroupMax) {
  // 4 组（每组 2 个）：组最大值 2.0, 1.9, 1.0, 1.5 → 保留组 0 与组 1
  const Routed r =
      route(config(TopkMethod::kGroupLimitedGreedy, ScoringFunc::kSoftmax, 4, 2, 3, false, 1.0), {}, kLogits);
  EXPECT_EQ(r.experts, (std::vector<int32_t>{1, 3, 2}));
}

TEST(MoeRouter, NoauxTcUsesBiasForSelectionOnlyAndTopTwoGroupSums) {
  // 无偏置：sigmoid 后各组前 2 之和 g0 = σ(.1)+σ(2) = 1.41，g1 = 1.44，g2 = 1.28，g3 = σ(1.5)+σ(1.4) = 1.62 → 组 3
  const ModelConfig c = config(TopkMethod::kNoauxTc, ScoringFunc::kSigmoid, 4, 1, 2, true, 2.5);
  const Routed plain = route(c, std::vector<float>(8, 0.0f), kLogits);
  EXPECT_EQ(plain.experts, (std::vector<int32_t>{6, 7}));
  const double s6 = 1 / (1 + std::exp(-1.5)), s7 = 1 / (1 + std::exp(-1.4));
  EXPECT_NEAR(plain.weights[0], 2.5 * s6 / (s6 + s7), 1e-6);
  EXPECT_NEAR(plain.weights[1], 2.5 * s7 / (s6 + s7), 1e-6);
  // 偏置把组 0 抬到最高：只影响选择，权重仍取无偏置的 sigmoid 分数并归一化
  const Routed biased = route(c, {1, 1, 0, 0, 0, 0, 0, 0}, kLogits);
  EXPECT_EQ(biased.experts, (std::vector<int32_t>{1, 0}));
  const double s1 = 1 / (1 + std::exp(-2.0)), s0 = 1 / (1 + std::exp(-0.1));
  EXPECT_NEAR(biased.weights[0], 2.5 * s1 / (s0 + s1), 1e-6);
  EXPECT_NEAR(biased.weights[1], 2.5 * s0 / (s0 + s1), 1e-6);
}

}  // namespace
}  // namespace dsinfer
