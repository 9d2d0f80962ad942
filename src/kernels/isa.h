// 指令集路径与 CPU 特性查询：每个内核有标量参考实现（测试基准）与 AVX2 / AVX-512 实现，
// 用哪一条由 KernelContext 决定（见 kernel_context.h）。这里的查询结果只依赖本机 CPU，不可变。
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dsinfer::kernels {

enum class Isa { kScalar, kAvx2, kAvx512 };

Isa detect_isa();  // 本机支持的最佳路径
bool isa_supported(Isa isa);
std::string_view isa_name(Isa isa);
std::optional<Isa> isa_from_name(std::string_view name);

bool bf16_dot_supported();  // CPU 有 AVX512_BF16（与 AVX-512 路径）
// 预填充是否用 AVX512_BF16 的点积 GEMM：CPU 支持且是 AMD。AMD 上它比 f32 GEMM 快；Intel 上这条点积指令的
// 吞吐低，反而比 f32 GEMM 慢得多，那里 bf16 精度的预填充改走 f32 激活的 GEMM（数字见 bench/README.md）。
bool bf16_dot_gemm_enabled();

// CPU 的厂商与 family / model（cpuid 叶 0 与 1，扩展 family / model 已按 x86 的规则并入）。
struct CpuModel {
  bool amd = false;
  bool intel = false;
  int family = 0;
  int model = 0;
};
CpuModel host_cpu_model();
std::string cpu_model_name(const CpuModel& cpu);  // 如 "AMD family 0x19 model 0x11 (Zen 4)"

// 单 token GEMV 软件预取提前量（字节）：最佳值随机器的缓存与预取器而变，提前太少掩盖不了内存延迟，太多则
// 预取的行在用到之前就被挤出。按微架构查表，表里每一项都来自该微架构上的交替测量（bench/README.md
// “预取提前量”）；表外的 CPU 取 3072。
int64_t prefetch_bytes_for(const CpuModel& cpu);
int64_t default_prefetch_bytes();  // prefetch_bytes_for(host_cpu_model())
inline constexpr int64_t kMaxPrefetchBytes = 65536;

}  // namespace dsinfer::kernels
