#include "kernels/isa.h"

#include <cpuid.h>

#include <cstring>

namespace dsinfer::kernels {

namespace {

// cpuid 在虚拟机里会陷入虚拟机监控器（每次微秒级），结果只查一次
bool cpu_is_amd() {
  static const bool amd = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return false;
    char vendor[13] = {};
    std::memcpy(vendor, &b, 4);
    std::memcpy(vendor + 4, &d, 4);
    std::memcpy(vendor + 8, &c, 4);
    return std::strcmp(vendor, "AuthenticAMD") == 0;
  }();
  return amd;
}

// F16C 用 cpuid 直接查（clang 14 的 __builtin_cpu_supports 不认识 "f16c"）：CPUID.1:ECX 第 29 位；结果缓存，理由同
// cpu_is_amd。
bool cpu_has_f16c() {
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
  }();
  return has;
}

}  // namespace

int64_t default_prefetch_bytes() {
  return cpu_is_amd() ? 1024 : 3072;
}

bool bf16_dot_supported() {
  return isa_supported(Isa::kAvx512) && __builtin_cpu_supports("avx512bf16");
}

bool bf16_dot_gemm_enabled() {
  static const bool enabled = bf16_dot_supported() && cpu_is_amd();  // 矩阵乘的热路径上每次都查，只算一次
  return enabled;
}

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
    case Isa::kAvx512:
      return isa_supported(Isa::kAvx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  }
  return false;
}

Isa detect_isa() {
  if (isa_supported(Isa::kAvx512)) return Isa::kAvx512;
  if (isa_supported(Isa::kAvx2)) return Isa::kAvx2;
  return Isa::kScalar;
}

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "?";
}

std::optional<Isa> isa_from_name(std::string_view name) {
  for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512})
    if (isa_name(i) == name) return i;
  return std::nullopt;
}

}  // namespace dsinfer::kernels
