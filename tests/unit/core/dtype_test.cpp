#include "core/dtype.h"

#include <gtest/gtest.h>

#include <cmath>

namespace dsinfer {
namespace {

TEST(DType, NamesRoundTrip) {
  for (DType t : {DType::kF32, DType::kBF16, DType::kF16, DType::kF8E4M3}) {
    auto parsed = dtype_from_name(dtype_name(t));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_FALSE(dtype_from_name("I64").has_value());
  EXPECT_EQ(dtype_size(DType::kF32), 4u);
  EXPECT_EQ(dtype_size(DType::kBF16), 2u);
  EXPECT_EQ(dtype_size(DType::kF8E4M3), 1u);
}

TEST(DType, Bf16RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3f80);
  // 1 + 2^-8 正好在两个 bf16 之间，舍入到偶数 1.0
  EXPECT_EQ(f32_to_bf16(1.00390625f), 0x3f80);
  EXPECT_EQ(f32_to_bf16(1.01171875f), 0x3f82);
  EXPECT_FLOAT_EQ(bf16_to_f32(0xc040), -3.0f);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(NAN))));
}

TEST(DType, F16RoundTripAllValues) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = f16_to_f32(uint16_t(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(f32_to_f16(f), h) << h;
  }
  EXPECT_FLOAT_EQ(f16_to_f32(0x3c00), 1.0f);
  EXPECT_FLOAT_EQ(f16_to_f32(0x0001), 5.960464477539063e-08f);
  EXPECT_EQ(f32_to_f16(1e6f), 0x7c00);
}

TEST(DType, Fp8E4M3Decoding) {
  EXPECT_EQ(fp8e4m3_to_f32(0x00), 0.0f);
  EXPECT_EQ(fp8e4m3_to_f32(0x38), 1.0f);    // e=7, m=0
  EXPECT_EQ(fp8e4m3_to_f32(0x7e), 448.0f);  // 最大值
  EXPECT_EQ(fp8e4m3_to_f32(0xfe), -448.0f);
  EXPECT_EQ(fp8e4m3_to_f32(0x01), 0.001953125f);  // 最小次正规 2^-9
  EXPECT_TRUE(std::isnan(fp8e4m3_to_f32(0x7f)));
  for (int v = 0; v < 256; ++v) {
    const float f = fp8e4m3_to_f32(uint8_t(v));
    if (std::isnan(f)) continue;
    if (f == 0.0f) continue;  // ±0 都解码为 0
    EXPECT_EQ(f32_to_fp8e4m3(f), v) << v;
  }
  EXPECT_EQ(f32_to_fp8e4m3(1000.0f), 0x7e);  // 饱和
}

TEST(DType, ToF32ConvertsEveryDType) {
  const uint16_t bf[2] = {0x3f80, 0xc000};
  const uint16_t hf[2] = {0x3c00, 0xc000};
  const uint8_t f8[2] = {0x38, 0xc0};
  const float f32[2] = {1.0f, -2.0f};
  float out[2];
  to_f32(DType::kBF16, bf, out, 2);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  to_f32(DType::kF16, hf, out, 2);
  EXPECT_EQ(out[1], -2.0f);
  to_f32(DType::kF8E4M3, f8, out, 2);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  to_f32(DType::kF32, f32, out, 2);
  EXPECT_EQ(out[1], -2.0f);
}

}  // namespace
}  // namespace dsinfer
