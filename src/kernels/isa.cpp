#include "kernels/isa.h"

#include <cpuid.h>

#include <cstdio>
#include <cstring>

namespace dsinfer::kernels {

namespace {

// 微架构：预取提前量表的键。AMD family 0x19 按 model 区间分 Zen 3 与 Zen 4，family 0x1A 为 Zen 5。
enum class Uarch { kUnknown, kZen3, kZen4, kZen5, kIntel };

Uarch uarch_of(const CpuModel& cpu) {
  if (cpu.intel) return Uarch::kIntel;
  if (!cpu.amd) return Uarch::kUnknown;
  const int m = cpu.model;
  if (cpu.family == 0x1A) return Uarch::kZen5;
  if (cpu.family != 0x19) return Uarch::kUnknown;
  if (m <= 0x0F || (m >= 0x20 && m <= 0x2F) || (m >= 0x40 && m <= 0x5F)) return Uarch::kZen3;
  if ((m >= 0x10 && m <= 0x1F) || (m >= 0x60 && m <= 0x7F) || (m >= 0xA0 && m <= 0xAF)) return Uarch::kZen4;
  return Uarch::kUnknown;
}

const char* uarch_name(Uarch u) {
  switch (u) {
    case Uarch::kZen3:
      return "Zen 3";
    case Uarch::kZen4:
      return "Zen 4";
    case Uarch::kZen5:
      return "Zen 5";
    case Uarch::kIntel:
      return "Intel";
    case Uarch::kUnknown:
      break;
  }
  return "未知微架构";
}

// F16C 用 cpuid 直接查（clang 14 的 __builtin_cpu_supports 不认识 "f16c"）：CPUID.1:ECX 第 29 位；结果缓存，理由同
// host_cpu_model。
bool cpu_has_f16c() {
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 29)) != 0;
  }();
  return has;
}

}  // namespace

// cpuid 在虚拟机里会陷入虚拟机监控器（每次微秒级），结果只查一次
CpuModel host_cpu_model() {
  static const CpuModel cpu = [] {
    CpuModel c;
    unsigned a = 0, b = 0, cx = 0, d = 0;
    if (!__get_cpuid(0, &a, &b, &cx, &d)) return c;
    char vendor[13] = {};
    std::memcpy(vendor, &b, 4);
    std::memcpy(vendor + 4, &d, 4);
    std::memcpy(vendor + 8, &cx, 4);
    c.amd = std::strcmp(vendor, "AuthenticAMD") == 0;
    c.intel = std::strcmp(vendor, "GenuineIntel") == 0;
    if (!__get_cpuid(1, &a, &b, &cx, &d)) return c;
    const int base_family = int((a >> 8) & 0xF), base_model = int((a >> 4) & 0xF);
    c.family = base_family == 0xF ? base_family + int((a >> 20) & 0xFF) : base_family;
    c.model = base_model;
    if (base_family == 0xF || base_family == 0x6) c.model += int((a >> 16) & 0xF) << 4;
    return c;
  }();
  return cpu;
}

std::string cpu_model_name(const CpuModel& cpu) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s family 0x%X model 0x%X (%s)", cpu.amd ? "AMD" : (cpu.intel ? "Intel" : "other"),
                cpu.family, cpu.model, uarch_name(uarch_of(cpu)));
  return buf;
}

int64_t prefetch_bytes_for(const CpuModel& cpu) {
  switch (uarch_of(cpu)) {
    case Uarch::kZen3:
    case Uarch::kZen4:
      return 1024;  // 2 KiB 起变差
    case Uarch::kZen5:
    case Uarch::kIntel:
    case Uarch::kUnknown:
      break;
  }
  return 3072;
}

int64_t default_prefetch_bytes() {
  return prefetch_bytes_for(host_cpu_model());
}

bool bf16_dot_supported() {
  return isa_supported(Isa::kAvx512) && __builtin_cpu_supports("avx512bf16");
}

bool bf16_dot_gemm_enabled() {
  static const bool enabled = bf16_dot_supported() && host_cpu_model().amd;  // 矩阵乘的热路径上每次都查，只算一次
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
