#include "kernels/kernel_context.h"

#include "core/error.h"
#include "kernels/cpu/kernel_table.h"

namespace dsinfer::kernels {

namespace {

const KernelTable& table_for(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return avx512::table();
    case Isa::kAvx2:
      return avx2::table();
    case Isa::kScalar:
      break;
  }
  return scalar::table();
}

}  // namespace

KernelContext::KernelContext(ThreadPool& pool, const KernelOptions& options)
    : pool_(&pool), options_(options), table_(&table_for(options.isa)) {
  if (!isa_supported(options.isa))
    throw Error(ErrorCode::kUnsupported, cat("本机 CPU 不支持指令集路径 ", isa_name(options.isa)));
  if (options.prefetch_bytes < 0 || options.prefetch_bytes > kMaxPrefetchBytes)
    throw Error(ErrorCode::kConfig,
                cat("GEMV 预取提前量 ", options.prefetch_bytes, " 字节越界（应为 0…", kMaxPrefetchBytes, "）"));
}

}  // namespace dsinfer::kernels
