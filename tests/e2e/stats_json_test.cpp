// --stats-json 的形状（内置模型 models/dsinfer-tiny-v3）：专家负载是 [层][n_routed_experts] 的完整矩阵、
// 稠密层标为 null；每个请求（批量的每条序列、chat 的每一轮）各记一次首 token 延迟；嵌套阶段的占比相加为 100%。
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e/cli.h"

namespace dsinfer {
namespace {

using nlohmann::json;
using testing_support::CliResult;
using testing_support::run_cli;
using testing_support::ScratchDir;

const std::string kModel = std::string(DSINFER_SOURCE_DIR) + "/models/dsinfer-tiny-v3";

json model_config() {
  return json::parse(testing_support::read_file(kModel + "/config.json"));
}

json run_stats(const std::vector<std::string>& args, const std::string& input = "") {
  ScratchDir d;
  std::vector<std::string> all = args;
  all.insert(all.end(), {"-m", kModel, "--stats-json", d.file("s.json")});
  const CliResult r = run_cli(all, input);
  EXPECT_EQ(r.code, 0) << r.err;
  return json::parse(testing_support::read_file(d.file("s.json")));
}

// 行数 = layers，MoE 行等宽且有负载，稠密行为 null 并列入 dense_layers，不均衡度与之对齐
void expect_expert_matrix(const json& j, int64_t layers) {
  const json c = model_config();
  const int64_t experts = c["n_routed_experts"], first_moe = c["first_k_dense_replace"];
  EXPECT_EQ(j["n_routed_experts"], experts);
  ASSERT_EQ(j["expert_load"].size(), size_t(layers));
  ASSERT_EQ(j["expert_imbalance"].size(), size_t(layers));
  std::vector<int64_t> dense;
  for (int64_t l = 0; l < layers; ++l) {
    const json& row = j["expert_load"][size_t(l)];
    const json& im = j["expert_imbalance"][size_t(l)];
    if (l < first_moe) {
      dense.push_back(l);
      EXPECT_TRUE(row.is_null()) << l;
      EXPECT_TRUE(im.is_null()) << l;
      continue;
    }
    ASSERT_EQ(row.size(), size_t(experts)) << l;
    int64_t sum = 0;
    for (const json& x : row) sum += x.get<int64_t>();
    EXPECT_GT(sum, 0) << l;
    EXPECT_EQ(im["tokens"], sum) << l;
    EXPECT_GE(im["max_over_mean"].get<double>(), 1.0) << l;
    EXPECT_GE(im["cv"].get<double>(), 0.0) << l;
  }
  EXPECT_EQ(j["dense_layers"], dense);
}

double percent_sum(const json& tree) {
  double s = 0;
  for (const json& n : tree) s += n["percent"].get<double>() + percent_sum(n["children"]);
  return s;
}

void expect_percentages_add_up(const json& j) {
  double by_phase = 0, self = 0;
  for (const auto& [name, p] : j["phases"].items()) {
    by_phase += p["percent"].get<double>();
    self += p["self_seconds"].get<double>();
  }
  EXPECT_NEAR(by_phase, 100.0, 0.5);
  EXPECT_NEAR(percent_sum(j["phase_tree"]), 100.0, 0.5);
  EXPECT_NEAR(self, j["phase_total_seconds"].get<double>(), 1e-6);
}

TEST(StatsJson, BatchWithoutMtp) {
  const json j = run_stats({"run", "--ids", "1,2,3", "-n", "4", "--batch", "3", "--ignore-eos"});
  expect_expert_matrix(j, model_config()["num_hidden_layers"]);
  EXPECT_EQ(j["ttft"]["count"], 3);
  EXPECT_LE(j["ttft"]["p50_ms"].get<double>(), j["ttft"]["p99_ms"].get<double>());
  EXPECT_NEAR(j["ttft_ms"].get<double>(), j["ttft"]["mean_ms"].get<double>(), 1e-9);
  expect_percentages_add_up(j);
  EXPECT_EQ(j["phases"]["mtp_verify"]["calls"], 0);
}

// 启用 MTP：NextN 层接在主干各层之后；验证与起草的前向里嵌套着 attention / moe 等阶段
TEST(StatsJson, MtpNestsPhasesAndAddsNextnLayers) {
  const json c = model_config();
  const json j = run_stats({"run", "--ids", "1,2,3", "-n", "8", "--ignore-eos", "--mtp", "2"});
  expect_expert_matrix(j, c["num_hidden_layers"].get<int64_t>() + c["num_nextn_predict_layers"].get<int64_t>());
  expect_percentages_add_up(j);
  for (const char* parent : {"mtp_verify", "mtp_draft"}) {
    const json& p = j["phases"][parent];
    EXPECT_GT(p["calls"].get<int64_t>(), 0) << parent;
    EXPECT_LT(p["self_seconds"].get<double>(), p["seconds"].get<double>()) << parent;
  }
  bool verify_has_attention = false;
  for (const json& n : j["phase_tree"])
    if (n["phase"] == "mtp_verify")
      for (const json& child : n["children"]) verify_has_attention |= child["phase"] == "attention";
  EXPECT_TRUE(verify_has_attention) << j["phase_tree"].dump();
}

TEST(StatsJson, EveryChatTurnCountsForTtft) {
  const json j = run_stats({"chat", "-n", "3"}, "hi\nyo\n/reset\nagain\n/exit\n");
  EXPECT_EQ(j["ttft"]["count"], 3);
}

}  // namespace
}  // namespace dsinfer
