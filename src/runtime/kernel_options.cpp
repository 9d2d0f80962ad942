#include "runtime/kernel_options.h"

#include "core/error.h"

namespace dsinfer {

kernels::KernelOptions kernel_options(const OptimizationConfig& config) {
  kernels::KernelOptions o;
  if (config.isa != "auto") {
    const auto isa = kernels::isa_from_name(config.isa);
    if (!isa) throw Error(ErrorCode::kConfig, cat("未知指令集路径 '", config.isa, "'"));
    o.isa = *isa;
  }
  o.precision = config.bf16_matmul ? kernels::MatmulPrecision::kBf16 : kernels::MatmulPrecision::kF32;
  if (config.prefetch_bytes != 0) o.prefetch_bytes = config.prefetch_bytes;
  return o;
}

}  // namespace dsinfer
