// AVX2 路径：本文件以 -mavx2 -mfma -mf16c 编译。
#include "kernels/cpu/kernels_impl.h"
#include "kernels/cpu/simd_avx2.h"

namespace dsinfer::kernels::avx2 {
const KernelTable& table() {
  return impl::make_table<Simd>();
}
}  // namespace dsinfer::kernels::avx2
