#include "monitor/expert_load.h"

#include <gtest/gtest.h>

#include <cmath>

namespace dsinfer {
namespace {

TEST(ExpertLoad, ImbalanceOfHandMadeLoad) {
  // 均值 4，最大 10；方差 = (9 + 9 + 36 + 0) / 4 = 13.5
  const auto im = imbalance_of({1, 1, 10, 4});
  ASSERT_TRUE(im);
  EXPECT_EQ(im->tokens, 16);
  EXPECT_DOUBLE_EQ(im->max_over_mean, 2.5);
  EXPECT_DOUBLE_EQ(im->cv, std::sqrt(13.5) / 4);
  const auto even = imbalance_of({3, 3, 3});
  ASSERT_TRUE(even);
  EXPECT_DOUBLE_EQ(even->max_over_mean, 1.0);
  EXPECT_DOUBLE_EQ(even->cv, 0.0);
  EXPECT_FALSE(imbalance_of({0, 0}));
}

TEST(ExpertLoad, ShapeIsFullMatrixWithDenseRows) {
  ExpertLoad l;
  l.set_shape({false, true, true}, 3);
  l.add(2, 1, 4);
  ASSERT_EQ(l.n_layers(), 3);
  EXPECT_FALSE(l.is_moe(0));
  EXPECT_TRUE(l.rows()[0].empty());
  EXPECT_EQ(l.rows()[1], (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(l.rows()[2], (std::vector<int64_t>{0, 4, 0}));
  EXPECT_FALSE(l.imbalance(0));
  EXPECT_FALSE(l.imbalance(1));
  EXPECT_DOUBLE_EQ(l.imbalance(2)->max_over_mean, 3.0);
}

// 没给形状时按出现的层号与专家号扩展，各 MoE 行仍然等宽
TEST(ExpertLoad, WithoutShapeRowsStayRectangular) {
  ExpertLoad l;
  l.add(1, 0, 1);
  l.add(2, 5, 2);
  ASSERT_EQ(l.n_layers(), 3);
  EXPECT_FALSE(l.is_moe(0));
  EXPECT_EQ(l.rows()[1].size(), 6u);
  EXPECT_EQ(l.rows()[2].size(), 6u);
  EXPECT_EQ(l.n_experts(), 6);
}

}  // namespace
}  // namespace dsinfer
