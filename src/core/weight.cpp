#include "core/weight.h"

namespace dsinfer {

size_t Weight::bytes() const {
  size_t b = size_t(rows) * size_t(cols) * dtype_size(dtype);
  if (scale_inv) b += size_t((rows + kFp8BlockSize - 1) / kFp8BlockSize) * size_t(scale_cols()) * 4;
  return b;
}

}  // namespace dsinfer
