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
  r = run_cli({"make-model", "--experts", "4", "--top-k", "5", "-o", d.file("x")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--top-k 5"), std::string::npos) << r.err;
}

// 稠密对照：所有层稠密，参数总量与同预设的 MoE 模型相同（误差只来自路由器矩阵与取整）
TEST(SyntheticModel, DenseTwinHasTheSameTotalSize) {
  ScratchDir d;
  const std::vector<std::string> shape = {"--layers", "3", "--experts", "4", "--vocab", "1024"};
  auto make = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> a = {"make-model", "-o", d.file(name)};
    a.insert(a.end(), shape.begin(), shape.end());
    a.insert(a.end(), extra.begin(), extra.end());
    const CliResult r = run_cli(a);
    EXPECT_EQ(r.code, 0) << r.err;
    const CliResult i = run_cli({"info", "-m", d.file(name), "--json"});
    EXPECT_EQ(i.code, 0) << i.err;
    return json::parse(i.out);
  };
  const json moe = make("moe", {"--top-k", "1"});
  const json dense = make("dense", {"--dense"});
  const json config = json::parse(testing_support::read_file(d.file("dense") + "/config.json"));
  EXPECT_EQ(config["first_k_dense_replace"], 3);
  const double total_moe = moe["params_total"], total_dense = dense["params_total"];
  EXPECT_NEAR(total_dense / total_moe, 1.0, 1e-3);
  // 稠密模型每 token 激活除词嵌入外的全部参数；MoE（4 个路由专家选 1 个）激活的少得多
  EXPECT_NEAR(dense["params_active"].get<double>() / total_dense, 1.0, 0.02);
  EXPECT_LT(moe["params_active"].get<double>(), 0.8 * dense["params_active"].get<double>());
  const json mc = json::parse(testing_support::read_file(d.file("moe") + "/config.json"));
  EXPECT_EQ(mc["num_experts_per_tok"], 1);
}

}  // namespace
}  // namespace dsinfer
