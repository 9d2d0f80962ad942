// 标量参考路径：不带任何 -m 选项编译，是各 SIMD 路径的测试基准。
#include "kernels/cpu/kernels_impl.h"
#include "kernels/cpu/simd_scalar.h"

namespace dsinfer::kernels::scalar {
const KernelTable& table() {
  return impl::make_table<Simd>();
}
}  // namespace dsinfer::kernels::scalar
