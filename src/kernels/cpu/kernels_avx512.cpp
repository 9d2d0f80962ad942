// AVX-512 路径：本文件以 -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -mf16c 编译。
#include "kernels/cpu/kernels_impl.h"
#include "kernels/cpu/simd_avx512.h"

namespace dsinfer::kernels::avx512 {
const KernelTable& table() {
  return impl::make_table<Simd>();
}
}  // namespace dsinfer::kernels::avx512
