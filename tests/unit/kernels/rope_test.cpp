#include "kernels/rope.h"

#include <gtest/gtest.h>

#include <cmath>

namespace dsinfer::kernels {
namespace {

RopeParams test_params(bool yarn) {
  RopeParams p;
  p.dim = 64;
  p.theta = 10000.0;
  if (yarn) {
    p.yarn = true;
    p.factor = 40.0;
    p.original_max_positions = 4096;
    p.mscale = 0.707;
    p.mscale_all_dim = 0.707;
  }
  return p;
}

TEST(Rope, PlainFrequenciesAndInterleavedRotation) {
  Rope rope(test_params(false));
  EXPECT_FLOAT_EQ(rope.inv_freq()[0], 1.0f);
  EXPECT_NEAR(rope.inv_freq()[1], std::pow(10000.0, -2.0 / 64), 1e-7);
  float x[64];
  for (int i = 0; i < 64; ++i) x[i] = float(i % 2 == 0 ? 1 : 0);
  rope.apply(x, 1, 64, 3);
  // 第 0 对：(1, 0) 旋转 3 弧度
  EXPECT_NEAR(x[0], std::cos(3.0), 1e-6);
  EXPECT_NEAR(x[1], std::sin(3.0), 1e-6);
  // 位置 0 不变
  float y[64];
  for (int i = 0; i < 64; ++i) y[i] = float(i);
  rope.apply(y, 1, 64, 0);
  for (int i = 0; i < 64; ++i) EXPECT_EQ(y[i], float(i));
}

TEST(Rope, YarnRampMatchesSpecCorrectionRange) {
  // docs/spec.md §3.4：dim 64, base 1e4, orig 4096 → low = 10, high = 23
  Rope plain(test_params(false)), yarn(test_params(true));
  for (int i = 0; i < 32; ++i) {
    const float f = plain.inv_freq()[size_t(i)];
    const float ramp = std::clamp((float(i) - 10.0f) / 13.0f, 0.0f, 1.0f);
    EXPECT_NEAR(yarn.inv_freq()[size_t(i)], f / 40.0f * ramp + f * (1 - ramp), 1e-9) << i;
  }
  EXPECT_EQ(yarn.inv_freq()[0], plain.inv_freq()[0]);                  // 高频不变
  EXPECT_NEAR(yarn.inv_freq()[31], plain.inv_freq()[31] / 40, 1e-12);  // 低频按 factor 缩放
}

TEST(Rope, RotatesSeveralStridedVectors) {
  Rope rope(test_params(true));
  float x[3 * 70];
  for (int v = 0; v < 3; ++v)
    for (int i = 0; i < 70; ++i) x[v * 70 + i] = 1.0f;
  rope.apply(x, 3, 70, 5);
  for (int v = 1; v < 3; ++v)
    for (int i = 0; i < 64; ++i) EXPECT_EQ(x[v * 70 + i], x[i]);
  for (int i = 64; i < 70; ++i) EXPECT_EQ(x[i], 1.0f);  // 步长之间的数据不动
}

}  // namespace
}  // namespace dsinfer::kernels
