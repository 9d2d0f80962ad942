// 同一进程里的两个引擎各用各的内核设置：一个走标量路径、f32 精度，另一个走本机的 SIMD 路径、bf16 精度。
// 两者交替（或在两个线程里同时）前向时，各自的 logits 与同样配置单独运行时逐位相同；bf16 的一个确实与 f32 的不同。
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <thread>

#include "runtime/engine.h"

namespace dsinfer {
namespace {

const std::string kModel = std::string(DSINFER_TEST_DATA_DIR) + "/reference/v3-tiny-bf16";

OptimizationConfig config(std::string_view isa, const std::string& precision) {
  OptimizationConfig c;
  c.threads = 2;
  c.set("isa", std::string(isa));
  c.set("matmul_precision", precision);
  return c;
}

// 一条序列：先预填充一段，再逐 token 解码；每次前向最后一个 token 的 logits 依次追加到 logits
struct Sequence {
  explicit Sequence(Engine& e) : engine(e), cache(e.make_cache()), seq(cache.add_sequence()) {}
  void step(const std::vector<int32_t>& tokens) {
    Batch b;
    for (size_t i = 0; i < tokens.size(); ++i) b.add(tokens[i], seq, pos++, i + 1 == tokens.size());
    ForwardContext ctx = engine.context();
    ForwardOutputs out;
    engine.model().forward(ctx, b, cache, out);
    const float* row = out.logits_row(out.n_out - 1);
    logits.insert(logits.end(), row, row + out.vocab);
  }
  Engine& engine;
  KvCache cache;
  int32_t seq;
  int64_t pos = 0;
  std::vector<float> logits;
};

const std::vector<std::vector<int32_t>> kSteps = {{5, 6, 7, 8, 9, 10, 11}, {100}, {200}, {300}, {400}};

std::vector<float> solo(const OptimizationConfig& c) {
  Engine e(kModel, c);
  Sequence r(e);
  for (const auto& s : kSteps) r.step(s);
  return r.logits;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(EngineIsolation, InterleavedEnginesWithDifferentKernelSettingsMatchTheirSoloRuns) {
  const kernels::Isa simd = kernels::detect_isa();
  if (simd == kernels::Isa::kScalar) GTEST_SKIP() << "本机只有标量路径，两个引擎无法走不同的指令集路径";
  const OptimizationConfig f32 = config("scalar", "f32"), bf16 = config(kernels::isa_name(simd), "bf16");
  Engine a(kModel, f32), b(kModel, bf16);
  EXPECT_EQ(a.kernels().isa(), kernels::Isa::kScalar);
  EXPECT_EQ(a.kernels().precision(), kernels::MatmulPrecision::kF32);
  EXPECT_EQ(b.kernels().isa(), simd);
  EXPECT_EQ(b.kernels().precision(), kernels::MatmulPrecision::kBf16);
  Sequence ra(a), rb(b);
  for (const auto& s : kSteps) {
    ra.step(s);
    rb.step(s);
  }
  EXPECT_TRUE(same_bits(ra.logits, solo(f32))) << "f32 引擎的结果受了另一个引擎的影响";
  EXPECT_TRUE(same_bits(rb.logits, solo(bf16))) << "bf16 引擎的结果受了另一个引擎的影响";
  ASSERT_EQ(ra.logits.size(), rb.logits.size());
  EXPECT_FALSE(same_bits(ra.logits, rb.logits)) << "bf16 精度应当改变 logits；否则没有走 BF16 激活的路径";
}

// 同样的两个引擎在两个线程里同时前向：内核没有共享的可变状态，结果仍与单独运行逐位相同
TEST(EngineIsolation, ConcurrentEnginesMatchTheirSoloRuns) {
  const kernels::Isa simd = kernels::detect_isa();
  if (simd == kernels::Isa::kScalar) GTEST_SKIP() << "本机只有标量路径，两个引擎无法走不同的指令集路径";
  const OptimizationConfig f32 = config("scalar", "f32"), bf16 = config(kernels::isa_name(simd), "bf16");
  Engine a(kModel, f32), b(kModel, bf16);
  Sequence ra(a), rb(b);
  auto run = [](Sequence& r) {
    for (const auto& s : kSteps) r.step(s);
  };
  std::thread ta(run, std::ref(ra)), tb(run, std::ref(rb));
  ta.join();
  tb.join();
  EXPECT_TRUE(same_bits(ra.logits, solo(f32)));
  EXPECT_TRUE(same_bits(rb.logits, solo(bf16)));
}

}  // namespace
}  // namespace dsinfer
