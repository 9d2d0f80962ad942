// 标量“向量”（宽度 1）：所有内核的参考实现都由它实例化，是 SIMD 路径的测试基准。
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/dtype.h"
#include "kernels/cpu/load_one.h"

namespace dsinfer::kernels::scalar {

struct Simd {
  static constexpr int kWidth = 1;
  using V = float;
  static V zero() { return 0.0f; }
  static V set1(float v) { return v; }
  static V load(const float* p) { return *p; }
  static void store(float* p, V v) { *p = v; }
  static V add(V a, V b) { return a + b; }
  static V sub(V a, V b) { return a - b; }
  static V mul(V a, V b) { return a * b; }
  static V div(V a, V b) { return a / b; }
  static V max(V a, V b) { return a > b ? a : b; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static float reduce_add(V v) { return v; }
  static float reduce_max(V v) { return v; }
  static V exp(V v) { return std::exp(v); }
  // kWidth × kWidth 的块转置（宽度 1 时无事可做）
  static void transpose(V (&)[kWidth]) {}
  // 读取 kWidth（= 1）个 dtype D 的元素
  template <DType D>
  static V load_w(const uint8_t* p) {
    return load_one<D>(p);
  }
};

}  // namespace dsinfer::kernels::scalar
