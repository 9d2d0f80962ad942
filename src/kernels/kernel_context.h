// KernelContext：内核的执行设置——指令集路径（它的函数表）、矩阵乘精度、单 token GEMV 的软件预取提前量，
// 以及并行内核用的线程池。构造时校验，之后不可变；每个依赖这些设置的内核入口都显式取它
// （kernels::matmul(ctx, ...)），没有进程级的可变状态，所以同一进程里的两个引擎可以各用各的设置。
// runtime 按 OptimizationConfig 构造它（runtime/engine.h 的 make_kernel_context），经 ForwardContext 交给模型。
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/isa.h"

namespace dsinfer::kernels {

// 矩阵乘的精度：kF32（默认）激活保持 f32，与参考实现一致。kBf16 时 BF16 权重的矩阵乘把激活就近舍入成
// BF16（与 llama.cpp 的 BF16 路径同样的取舍，logits 有 1e-2 量级偏差）：token 少（< kGemmMinTokens：解码、
// MTP 验证）时在各指令集路径上都舍入（AVX2 路径上单 token 的 GEMV 直接读 BF16 激活，激活字节减半；其余存放
// 舍入后的 f32 值，见 kernels.cpp 的 packed_bf16）；token 多且 bf16_dot_gemm_enabled() 时用 AVX512_BF16 的
// 点积指令做 GEMM；其余预填充仍是 f32 激活。
enum class MatmulPrecision { kF32, kBf16 };

struct KernelOptions {
  Isa isa = detect_isa();
  MatmulPrecision precision = MatmulPrecision::kF32;
  int64_t prefetch_bytes = default_prefetch_bytes();  // 0…kMaxPrefetchBytes；只影响速度，不影响结果
};

struct KernelTable;

class KernelContext {
 public:
  // 本机不支持 options.isa 时抛出 Error(kUnsupported)；预取提前量越界抛出 Error(kConfig)。
  explicit KernelContext(ThreadPool& pool, const KernelOptions& options = {});

  ThreadPool& pool() const { return *pool_; }
  const KernelOptions& options() const { return options_; }
  Isa isa() const { return options_.isa; }
  MatmulPrecision precision() const { return options_.precision; }
  int64_t prefetch_bytes() const { return options_.prefetch_bytes; }
  const KernelTable& table() const { return *table_; }  // options_.isa 的函数表

 private:
  ThreadPool* pool_;
  KernelOptions options_;
  const KernelTable* table_;
};

}  // namespace dsinfer::kernels
