#include "monitor/performance_monitor.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

namespace dsinfer {
namespace {

TEST(PerformanceMonitor, TimersCountersAndOutputs) {
  PerformanceMonitor m;
  {
    ScopedTimer t(&m, Phase::kAttention);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  { ScopedTimer off(nullptr, Phase::kMoe); }  // 关闭时不计时
  EXPECT_GT(m.phase_seconds(Phase::kAttention), 0.001);
  EXPECT_EQ(m.phase_seconds(Phase::kMoe), 0.0);
  m.add_prefill(10, 0.5);
  m.add_decode(4, 2.0);
  m.add_time_to_first_token(0.5);
  m.set_kv_bytes(100, 200);
  m.set_weight_bytes(1 << 20);
  m.add_expert_load(1, 3, 5);
  m.add_expert_load(1, 3, 2);
  m.add_mtp_step(3, 2);
  m.add_mtp_step(3, 0);
  EXPECT_DOUBLE_EQ(m.prefill_tps(), 20.0);
  EXPECT_DOUBLE_EQ(m.decode_tps(), 2.0);
  EXPECT_EQ(m.expert_load().rows()[1][3], 7);
  EXPECT_EQ(m.mtp_acceptance_by_depth(), (std::vector<double>{0.5, 0.5, 0.0}));
  EXPECT_DOUBLE_EQ(m.mtp_mean_accepted(), 1.0);
  const std::string table = m.table();
  EXPECT_NE(table.find("attention"), std::string::npos);
  EXPECT_NE(table.find("MTP"), std::string::npos);
  const auto j = nlohmann::json::parse(m.json());
  EXPECT_EQ(j["prefill_tokens"], 10);
  EXPECT_EQ(j["kv_bytes"], 100);
  EXPECT_EQ(j["expert_load"][1][3], 7);
  EXPECT_EQ(j["phases"]["attention"]["calls"], 1);
  EXPECT_GT(j["peak_rss_bytes"].get<int64_t>(), 0);
  EXPECT_STREQ(phase_name(Phase::kMtpVerify), "mtp_verify");
}

// 专家负载是 [层][n_routed_experts] 的完整矩阵：稠密层为 null 并列入 dense_layers，没被路由的专家为 0。
TEST(PerformanceMonitor, ExpertLoadMatrixAndImbalanceInJson) {
  PerformanceMonitor m;
  m.set_moe_shape({false, true, true, false}, 4);
  m.add_expert_load(1, 0, 2);
  m.add_expert_load(1, 1, 6);
  const auto j = nlohmann::json::parse(m.json());
  ASSERT_EQ(j["expert_load"].size(), 4u);
  EXPECT_TRUE(j["expert_load"][0].is_null());
  EXPECT_TRUE(j["expert_load"][3].is_null());
  EXPECT_EQ(j["expert_load"][1], (std::vector<int64_t>{2, 6, 0, 0}));
  EXPECT_EQ(j["expert_load"][2], (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(j["dense_layers"], (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(j["n_routed_experts"], 4);
  ASSERT_EQ(j["expert_imbalance"].size(), 4u);
  EXPECT_TRUE(j["expert_imbalance"][0].is_null());
  EXPECT_TRUE(j["expert_imbalance"][2].is_null());  // MoE 层，但没有 token 被路由
  EXPECT_EQ(j["expert_imbalance"][1]["tokens"], 8);
  EXPECT_DOUBLE_EQ(j["expert_imbalance"][1]["max_over_mean"].get<double>(), 3.0);
  const std::string table = m.table();
  EXPECT_NE(table.find("变异系数"), std::string::npos) << table;
  EXPECT_NE(table.find("稠密层: 0, 3"), std::string::npos) << table;
}

// 每个请求记一次首 token 延迟；ttft_ms 是平均值
TEST(PerformanceMonitor, TimeToFirstTokenPerRequest) {
  PerformanceMonitor m;
  for (double s : {0.010, 0.030, 0.020}) m.add_time_to_first_token(s);
  const LatencySummary t = m.time_to_first_token();
  EXPECT_EQ(t.count, 3);
  EXPECT_DOUBLE_EQ(t.p50, 0.020);
  EXPECT_DOUBLE_EQ(t.p99, 0.030);
  const auto j = nlohmann::json::parse(m.json());
  EXPECT_EQ(j["ttft"]["count"], 3);
  EXPECT_NEAR(j["ttft"]["mean_ms"].get<double>(), 20.0, 1e-9);
  EXPECT_NEAR(j["ttft_ms"].get<double>(), 20.0, 1e-9);
  EXPECT_NEAR(j["ttft"]["p50_ms"].get<double>(), 20.0, 1e-9);
  EXPECT_NE(m.table().find("3 个请求"), std::string::npos);
}

// 嵌套计时：父阶段的自身耗时扣掉子阶段，各阶段自身耗时之和等于合计，占比之和为 100%。
TEST(PerformanceMonitor, NestedPhasesSelfTimesAddUp) {
  PerformanceMonitor m;
  m.begin_phase(Phase::kMtpVerify);
  m.begin_phase(Phase::kAttention);
  m.end_phase(0.3);
  m.begin_phase(Phase::kMoe);
  m.end_phase(0.4);
  m.end_phase(1.0);
  m.begin_phase(Phase::kAttention);
  m.end_phase(0.5);
  m.begin_phase(Phase::kSampling);
  m.end_phase(0.5);
  EXPECT_DOUBLE_EQ(m.phase_seconds(Phase::kAttention), 0.8);
  EXPECT_DOUBLE_EQ(m.phase_self_seconds(Phase::kMtpVerify), 0.3);
  EXPECT_EQ(m.phase_calls(Phase::kAttention), 2);
  const auto j = nlohmann::json::parse(m.json());
  EXPECT_DOUBLE_EQ(j["phase_total_seconds"].get<double>(), 2.0);
  double self = 0, percent = 0;
  for (const auto& [name, p] : j["phases"].items()) {
    self += p["self_seconds"].get<double>();
    percent += p["percent"].get<double>();
  }
  EXPECT_NEAR(self, 2.0, 1e-12);
  EXPECT_NEAR(percent, 100.0, 1e-9);
  EXPECT_NEAR(j["phases"]["mtp_verify"]["seconds"].get<double>(), 1.0, 1e-12);  // 总耗时仍含子阶段
  // phase_tree：顶层按阶段顺序；mtp_verify 之下是它的子阶段
  ASSERT_EQ(j["phase_tree"].size(), 3u);
  const auto& verify = j["phase_tree"][2];
  EXPECT_EQ(verify["phase"], "mtp_verify");
  ASSERT_EQ(verify["children"].size(), 2u);
  EXPECT_EQ(verify["children"][0]["phase"], "attention");
  EXPECT_NEAR(verify["percent"].get<double>(), 15.0, 1e-9);
  const std::string table = m.table();
  EXPECT_NE(table.find("\n  attention"), std::string::npos) << table;  // 子阶段缩进
  EXPECT_NE(table.find("100.0%"), std::string::npos) << table;
}

// 真实计时器嵌套时同样相加为合计；关闭的计时器不进入阶段栈。
TEST(PerformanceMonitor, NestedScopedTimers) {
  PerformanceMonitor m;
  {
    ScopedTimer outer(&m, Phase::kMtpDraft);
    {
      ScopedTimer inner(&m, Phase::kAttention);
      ScopedTimer off(nullptr, Phase::kMoe);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const PhaseTree& t = m.phase_tree();
  ASSERT_EQ(t.nodes().size(), 3u);  // 根、mtp_draft、其下的 attention
  EXPECT_GT(m.phase_self_seconds(Phase::kMtpDraft), 0.0005);
  EXPECT_NEAR(m.phase_self_seconds(Phase::kMtpDraft) + m.phase_self_seconds(Phase::kAttention), t.total_seconds(),
              1e-12);
  EXPECT_EQ(m.phase_calls(Phase::kMoe), 0);
}

}  // namespace
}  // namespace dsinfer
