#include "core/weight.h"

#include "core/error.h"

namespace dsinfer {

size_t Weight::bytes() const {
  size_t b = size_t(rows) * size_t(cols) * dtype_size(dtype);
  if (scale_inv) b += size_t((rows + kFp8BlockSize - 1) / kFp8BlockSize) * size_t(scale_cols()) * 4;
  return b;
}

Weight Weight::slice_rows(int64_t row_begin, int64_t n) const {
  DSINFER_CHECK(row_begin >= 0 && n >= 0 && row_begin + n <= rows, "slice_rows 越界");
  Weight w = *this;
  w.rows = n;
  w.data = row_ptr(row_begin);
  if (scale_inv) {
    DSINFER_CHECK(row_begin % kFp8BlockSize == 0, "FP8 权重的行切片须按 128 对齐");
    w.scale_inv = scale_inv + (row_begin / kFp8BlockSize) * scale_cols();
  }
  return w;
}

}  // namespace dsinfer
