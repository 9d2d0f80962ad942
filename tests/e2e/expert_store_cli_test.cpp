// 内存预算与专家存储的命令行行为（内置模型 models/dsinfer-tiny-v3）：profile-experts 写出的统计与路由次数相符；
// 预算下（lru / frequency、有无预取）生成的文本与全部常驻逐字相同；--stats-json 报告专家缓存；
// info --mem-budget 给出内存规划；预算不足时退出码 5 并列出各项；frequency 缺统计文件时点名配置项。
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/cli.h"

namespace dsinfer {
namespace {

using nlohmann::json;
using testing_support::CliResult;
using testing_support::run_cli;
using testing_support::ScratchDir;
using testing_support::write_text;

const std::string kModel = std::string(DSINFER_SOURCE_DIR) + "/models/dsinfer-tiny-v3";
const std::string kText = std::string(DSINFER_TEST_DATA_DIR) + "/bundled/README.md";

json model_config() {
  return json::parse(testing_support::read_file(kModel + "/config.json"));
}

TEST(ExpertStoreCli, ProfileExpertsCountsEveryRoutedToken) {
  ScratchDir d;
  const CliResult r = run_cli({"profile-experts", "-m", kModel, "-f", kText, "-o", d.file("stats.json"), "--window",
                               "64", "--max-tokens", "300"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json c = model_config();
  const json s = json::parse(testing_support::read_file(d.file("stats.json")));
  EXPECT_EQ(s["format"], "dsinfer-expert-stats");
  EXPECT_EQ(s["tokens"], 300);
  EXPECT_EQ(s["n_routed_experts"], c["n_routed_experts"]);
  const int64_t k = c["num_experts_per_tok"], layers = c["num_hidden_layers"];
  const int64_t first_moe = c["first_k_dense_replace"], mtp = c["num_nextn_predict_layers"];
  ASSERT_EQ(int64_t(s["layers"].size()), layers - first_moe + mtp);
  for (const json& l : s["layers"]) {
    int64_t sum = 0;
    for (const json& x : l["counts"]) sum += x.get<int64_t>();
    // 主模型每个 token 路由 k 个专家；MTP 层在每段（64 个 token，共 5 段）的最后一个位置没有输入
    const int64_t tokens = l["layer"].get<int64_t>() < layers ? 300 : 300 - 5;
    EXPECT_EQ(sum, tokens * k) << "layer " << l["layer"];
  }
}

TEST(ExpertStoreCli, BudgetRunsMatchResidentText) {
  ScratchDir d;
  ASSERT_EQ(run_cli({"profile-experts", "-m", kModel, "-f", kText, "-o", d.file("stats.json")}).code, 0);
  write_text(d.file("freq.toml"), "[moe]\ncache_policy = \"frequency\"\nprefetch = \"next-layer\"\nexpert_stats = \"" +
                                      d.file("stats.json") + "\"\n");
  const std::vector<std::string> base = {"run", "-m", kModel, "-p", "Debian", "-n", "24", "--ignore-eos"};
  const CliResult resident = run_cli(base);
  ASSERT_EQ(resident.code, 0) << resident.err;
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(with({"--mem-budget", "76M"}), resident.out);
  EXPECT_EQ(with({"--mem-budget", "76M", "--config", d.file("freq.toml"), "--stats-json", d.file("s.json")}),
            resident.out);
  const json s = json::parse(testing_support::read_file(d.file("s.json")));
  const json& ec = s["expert_cache"];
  EXPECT_EQ(ec["policy"], "frequency");
  EXPECT_EQ(ec["prefetch"], "next-layer");
  EXPECT_GE(ec["slots_per_layer"].get<int64_t>(), 1);
  // 开了预取：轮换槽位留 2 × top-k（内置模型 top-2）
  EXPECT_EQ(ec["pinned_per_layer"].get<int64_t>(), std::max<int64_t>(ec["slots_per_layer"].get<int64_t>() - 4, 0));
  // 运行中解除的钉住不多于启动时钉住的总数（各 MoE 层合计）
  EXPECT_GE(ec["pins_released"].get<int64_t>(), 0);
  EXPECT_LE(ec["pins_released"].get<int64_t>(), ec["pinned_per_layer"].get<int64_t>() * int64_t(ec["layers"].size()));
  EXPECT_GT(ec["misses"].get<int64_t>(), 0);
  EXPECT_GT(ec["bytes_read"].get<int64_t>(), 0);
  EXPECT_EQ(ec["hits"].get<int64_t>() + ec["misses"].get<int64_t>(), [&] {
    int64_t n = 0;
    for (const json& l : ec["layers"]) n += l["hits"].get<int64_t>() + l["misses"].get<int64_t>();
    return n;
  }());
}

TEST(ExpertStoreCli, InfoShowsTheMemoryPlan) {
  CliResult r = run_cli({"info", "-m", kModel, "--mem-budget", "80M", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json p = json::parse(r.out)["memory_plan"];
  EXPECT_EQ(p["budget_bytes"], 80 << 20);
  EXPECT_GE(p["slots_per_layer"].get<int64_t>(), 1);
  EXPECT_LE(p["resident_bytes"].get<int64_t>() + p["kv_bytes"].get<int64_t>() + p["scratch_bytes"].get<int64_t>() +
                p["reserve_bytes"].get<int64_t>() +
                p["slots_per_layer"].get<int64_t>() * p["moe_layers"].get<int64_t>() * p["slot_bytes"].get<int64_t>(),
            80 << 20);
  r = run_cli({"info", "-m", kModel, "--mem-budget", "80M"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("专家槽位"), std::string::npos) << r.out;
}

TEST(ExpertStoreCli, TooSmallBudgetAndMissingStatsAreClearErrors) {
  CliResult r = run_cli({"run", "-m", kModel, "-p", "x", "-n", "1", "--mem-budget", "30M"});
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("内存预算 30.0 MiB 不够"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("KV 缓存"), std::string::npos) << r.err;
  r = run_cli({"run", "-m", kModel, "-p", "x", "-n", "1", "--mem-budget", "80M", "--moe-cache-policy", "frequency"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("moe.expert_stats"), std::string::npos) << r.err;
  ScratchDir d;
  write_text(d.file("bad.json"), "{\"format\": \"dsinfer-expert-stats\", \"version\": 1}");
  r = run_cli({"run", "-m", kModel, "-p", "x", "-n", "1", "--mem-budget", "80M", "--moe-cache-policy", "frequency",
               "--moe-expert-stats", d.file("bad.json")});
  EXPECT_EQ(r.code, 4);
  EXPECT_NE(r.err.find(d.file("bad.json")), std::string::npos) << r.err;
  r = run_cli({"run", "-m", kModel, "-p", "x", "-n", "1", "--mem-budget", "12X"});
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.err.find("memory.budget_bytes 的取值 '12X'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dsinfer
