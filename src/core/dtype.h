// 数据类型与标量转换：F32 / BF16 / F16 / F8_E4M3（OCP e4m3fn，见 docs/spec.md §2.3）。
// 标量转换是 SIMD 内核的测试基准（oracle）；热路径在 kernels/ 中向量化。
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace dsinfer {

enum class DType : uint8_t { kF32, kBF16, kF16, kF8E4M3 };

size_t dtype_size(DType t);
// safetensors 中的名字："F32"、"BF16"、"F16"、"F8_E4M3"。
std::string_view dtype_name(DType t);
std::optional<DType> dtype_from_name(std::string_view name);

inline float bf16_to_f32(uint16_t h) {
  return std::bit_cast<float>(uint32_t(h) << 16);
}

// 就近舍入到偶数（与 PyTorch 的 float→bfloat16 一致）；NaN 保持为 NaN。
inline uint16_t f32_to_bf16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);

// e4m3fn：1 位符号、4 位指数（偏置 7）、3 位尾数；无无穷大，S.1111.111 为 NaN，最大 448。
float fp8e4m3_to_f32(uint8_t v);
// 就近舍入到偶数，超出范围饱和到 ±448（与 torch.float8_e4m3fn 的 clamp 后转换一致）。
uint8_t f32_to_fp8e4m3(float f);

// 把 n 个 dtype 元素转换为 f32（标量实现，用于加载时的小张量与测试）。
void to_f32(DType t, const void* src, float* dst, size_t n);

}  // namespace dsinfer
