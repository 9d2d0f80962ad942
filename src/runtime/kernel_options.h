// 由 OptimizationConfig 得出内核设置（config 与 kernels 互不依赖，两者在 runtime 这里相遇）：
//   isa：auto → 本机最佳路径（kernels::detect_isa），否则按名字（本机不支持时 KernelContext 构造抛出 kUnsupported）；
//   matmul_precision：f32 / bf16；
//   prefetch_bytes：0 → 按 CPU 微架构查表的默认值（kernels::default_prefetch_bytes），否则按给定字节数。
// 环境变量 DSINFER_ISA / DSINFER_PREFETCH_BYTES 在解析配置时已并入 config（OptimizationConfig::load_environment）。
#pragma once

#include "config/optimization_config.h"
#include "kernels/kernel_context.h"

namespace dsinfer {

kernels::KernelOptions kernel_options(const OptimizationConfig& config);

}  // namespace dsinfer
