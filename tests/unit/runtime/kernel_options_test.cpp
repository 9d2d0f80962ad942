#include "runtime/kernel_options.h"

#include <gtest/gtest.h>

namespace dsinfer {
namespace {

TEST(KernelOptions, FollowConfigWithAutoDefaults) {
  OptimizationConfig c;
  kernels::KernelOptions o = kernel_options(c);
  EXPECT_EQ(o.isa, kernels::detect_isa());
  EXPECT_EQ(o.precision, kernels::MatmulPrecision::kF32);
  EXPECT_EQ(o.prefetch_bytes, kernels::default_prefetch_bytes());  // prefetch_bytes = 0：按厂商取
  c.set("isa", "scalar");
  c.set("matmul_precision", "bf16");
  c.set("prefetch_bytes", "2048");
  o = kernel_options(c);
  EXPECT_EQ(o.isa, kernels::Isa::kScalar);
  EXPECT_EQ(o.precision, kernels::MatmulPrecision::kBf16);
  EXPECT_EQ(o.prefetch_bytes, 2048);
}

}  // namespace
}  // namespace dsinfer
