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
  m.set_time_to_first_token(0.5);
  m.set_kv_bytes(100, 200);
  m.set_weight_bytes(1 << 20);
  m.add_expert_load(1, 3, 5);
  m.add_expert_load(1, 3, 2);
  m.add_mtp_step(3, 2);
  m.add_mtp_step(3, 0);
  EXPECT_DOUBLE_EQ(m.prefill_tps(), 20.0);
  EXPECT_DOUBLE_EQ(m.decode_tps(), 2.0);
  EXPECT_EQ(m.expert_load()[1][3], 7);
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

}  // namespace
}  // namespace dsinfer
