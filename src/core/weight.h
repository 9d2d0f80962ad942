// Weight：线性层权重的只读视图 [rows, cols]（行主序，PyTorch 的 [out, in]），保持存储 dtype。
// 行距 ld 允许非连续的视图（如 KV 缓存中某一头的 K 列）。
// FP8 权重另带 128×128 分块的 weight_scale_inv（f32，形状 [ceil(rows/128), ceil(cols/128)]），
// 内核在计算时逐块反量化：W[i,j] = fp8(Wq[i,j]) * s[i/128, j/128]（docs/spec.md §2.3）。
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace dsinfer {

inline constexpr int64_t kFp8BlockSize = 128;

struct Weight {
  DType dtype = DType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  const void* data = nullptr;
  const float* scale_inv = nullptr;  // 仅 FP8：分块缩放因子
  int64_t ld = 0;                    // 行距（元素数）；0 表示等于 cols（连续存放）

  bool empty() const { return data == nullptr; }
  size_t bytes() const;  // 权重本身的字节数（含缩放因子）
  int64_t scale_cols() const { return (cols + kFp8BlockSize - 1) / kFp8BlockSize; }
  int64_t row_stride() const { return ld ? ld : cols; }
  // 第 r 行起始地址
  const uint8_t* row_ptr(int64_t r) const {
    return static_cast<const uint8_t*>(data) + size_t(r) * size_t(row_stride()) * dtype_size(dtype);
  }
};

// 反量化一行为 f32（FP8 乘分块缩放）：标量实现，用于加载时的权重变换与测试基准；
// 前向中的词嵌入查表用 kernels::dequantize_row（向量化，结果逐位相同）。
void dequantize_row(const Weight& w, int64_t row, float* out);

}  // namespace dsinfer
