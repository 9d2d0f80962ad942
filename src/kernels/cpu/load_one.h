// 单个存储元素转 f32：标量参考路径的 load_w 与各 SIMD 路径的尾部循环共用。
// 约定：FP8 返回真值 × 2^-8（与 SIMD 路径的 f16 位模式技巧一致，块缩放时再乘 256）。
// 放在匿名命名空间：每个 ISA 翻译单元各有一份，以不同 -m 选项编译的副本不会被链接器合并。
#pragma once

#include <cstdint>
#include <cstring>

#include "core/dtype.h"

namespace dsinfer::kernels {
namespace {

template <DType D>
inline float load_one(const uint8_t* p) {
  if constexpr (D == DType::kF32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  } else if constexpr (D == DType::kBF16) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return bf16_to_f32(h);
  } else if constexpr (D == DType::kF16) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return f16_to_f32(h);
  } else {
    return fp8e4m3_to_f32(*p) * (1.0f / 256.0f);
  }
}

}  // namespace
}  // namespace dsinfer::kernels
