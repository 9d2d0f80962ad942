// make-model → info → bench → run：真实 DeepSeek 形状（v2-lite 的隐藏维、头数、专家宽度）的小模型，
// FP8 权重（真实的 128×128 分块缩放）。覆盖：分片写出、JSON 字段、各指令集路径与线程数的贪心结果一致。
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "e2e/cli.h"

namespace dsinfer {
namespace {

using nlohmann::json;
using testing_support::CliResult;
using testing_support::run_cli;
using testing_support::ScratchDir;

TEST(SyntheticModel, MakeInfoBenchAndIsaIndependentGreedyTokens) {
  ScratchDir d;
  const std::string dir = d.file("m");
  CliResult r = run_cli({"make-model", "--preset", "v2-lite", "--layers", "2", "--experts", "4", "--vocab", "1024",
                         "--dtype", "fp8", "--seed", "7", "-o", dir});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir + "/model.safetensors.index.json"));
  r = run_cli({"info", "-m", dir, "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json info = json::parse(r.out);
  EXPECT_EQ(info["weight_bytes_source"], "safetensors");
  EXPECT_EQ(info["n_routed_experts"], 4);
  EXPECT_EQ(info["hidden_size"], 2048);

  r = run_cli({"bench", "-m", dir, "-p", "16", "-n", "4", "--reps", "1", "--no-warmup", "--json", "--bandwidth",
               "--bandwidth-mib", "64", "--load-mode", "read"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json b = json::parse(r.out);
  for (const char* k : {"prefill_tps", "decode_tps", "ttft_ms", "peak_rss_bytes", "kv_bytes", "weight_bytes_per_token",
                        "threads", "read_gbps", "roofline_fraction"})
    EXPECT_TRUE(b.contains(k)) << k;
  EXPECT_GT(b["decode_tps"].get<double>(), 0.0);
  EXPECT_GT(b["weight_bytes_per_token"].get<int64_t>(), 0);

  // 同一模型、同一提示：标量参考路径与 SIMD 路径、1 与 2 个线程给出相同的贪心 token
  const std::vector<std::string> base = {"run", "-m", dir, "--ids", "5,900,17,333", "-n", "6", "--ignore-eos"};
  auto run_with = [&](const std::string& isa, const std::string& threads) {
    std::vector<std::string> a = base;
    a.insert(a.end(), {"--isa", isa, "--threads", threads});
    return run_cli(a);
  };
  const CliResult ref = run_with("scalar", "1");
  ASSERT_EQ(ref.code, 0) << ref.err;
  for (const std::string isa : {"avx2", "avx512"})
    for (const std::string t : {"1", "2"}) {
      const CliResult x = run_with(isa, t);
      if (x.code == 6) continue;  // 本机不支持该路径
      EXPECT_EQ(x.out, ref.out) << isa << " threads " << t;
    }
  r = run_cli({"make-model", "--preset", "v4", "-o", d.file("x")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("v4"), std::string::npos);
  r = run_cli({"make-model", "--preset", "v2", "--experts", "12", "-o", d.file("x")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("n_group"), std::string::npos);
  r = run_cli({"make-model", "--dtype", "int4", "-o", d.file("x")});
  EXPECT_EQ(r.code, 2);
}

}  // namespace
}  // namespace dsinfer
