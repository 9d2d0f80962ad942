#include "core/weight.h"

namespace dsinfer {

size_t Weight::bytes() const {
  size_t b = size_t(rows) * size_t(cols) * dtype_size(dtype);
  if (scale_inv) b += size_t((rows + kFp8BlockSize - 1) / kFp8BlockSize) * size_t(scale_cols()) * 4;
  return b;
}

void dequantize_row(const Weight& w, int64_t row, float* out) {
  to_f32(w.dtype, w.row_ptr(row), out, size_t(w.cols));
  if (w.dtype != DType::kF8E4M3) return;
  const float* s = w.scale_inv + (row / kFp8BlockSize) * w.scale_cols();
  for (int64_t c = 0; c < w.cols; ++c) out[c] *= s[c / kFp8BlockSize];
}

}  // namespace dsinfer
