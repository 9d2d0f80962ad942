// /metrics 的 Prometheus 文本：计数、仪表与直方图（累计桶、_sum、_count）。
#include "server/server_metrics.h"

#include <gtest/gtest.h>

namespace dsinfer::server {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(ServerMetrics, PrometheusText) {
  ServerMetrics m;
  m.add_response(200);
  m.add_response(200);
  m.add_response(429);
  m.add_tokens(10, 4);
  m.set_queue(3, 2);
  m.set_kv_blocks(5, 7, 16, 3);
  m.add_cached_prompt_tokens(64);
  m.set_mtp(8, 6);
  m.observe_ttft(0.03);
  m.observe_ttft(100);
  m.observe_inter_token(0.001);
  const std::string t = m.prometheus_text();
  EXPECT_TRUE(has_line(t, "dsinfer_requests_total{code=\"200\"} 2")) << t;
  EXPECT_TRUE(has_line(t, "dsinfer_requests_total{code=\"429\"} 1"));
  EXPECT_TRUE(has_line(t, "dsinfer_prompt_tokens_total 10"));
  EXPECT_TRUE(has_line(t, "dsinfer_completion_tokens_total 4"));
  EXPECT_TRUE(has_line(t, "dsinfer_requests_waiting 3"));
  EXPECT_TRUE(has_line(t, "dsinfer_requests_running 2"));
  EXPECT_TRUE(has_line(t, "dsinfer_kv_blocks_used 5"));
  EXPECT_TRUE(has_line(t, "dsinfer_kv_blocks_free 9"));
  EXPECT_TRUE(has_line(t, "dsinfer_kv_blocks_total 16"));
  EXPECT_TRUE(has_line(t, "dsinfer_kv_blocks_cached 3"));
  EXPECT_TRUE(has_line(t, "dsinfer_prefix_cache_hit_tokens_total 64"));
  EXPECT_TRUE(has_line(t, "dsinfer_mtp_acceptance_ratio 0.75"));
  EXPECT_TRUE(has_line(t, "# TYPE dsinfer_time_to_first_token_seconds histogram"));
  EXPECT_TRUE(has_line(t, "dsinfer_time_to_first_token_seconds_bucket{le=\"0.025\"} 0"));
  EXPECT_TRUE(has_line(t, "dsinfer_time_to_first_token_seconds_bucket{le=\"0.05\"} 1"));
  EXPECT_TRUE(has_line(t, "dsinfer_time_to_first_token_seconds_bucket{le=\"60\"} 1"));
  EXPECT_TRUE(has_line(t, "dsinfer_time_to_first_token_seconds_bucket{le=\"+Inf\"} 2"));
  EXPECT_TRUE(has_line(t, "dsinfer_time_to_first_token_seconds_count 2"));
  EXPECT_TRUE(has_line(t, "dsinfer_time_to_first_token_seconds_sum 100.03"));
  EXPECT_TRUE(has_line(t, "dsinfer_inter_token_latency_seconds_bucket{le=\"0.005\"} 1"));
  // 每个指标都有 HELP 与 TYPE
  size_t help = 0, type = 0;
  for (size_t p = 0; (p = t.find("# HELP ", p)) != std::string::npos; ++p) ++help;
  for (size_t p = 0; (p = t.find("# TYPE ", p)) != std::string::npos; ++p) ++type;
  EXPECT_EQ(help, type);
  EXPECT_GE(help, 14u);
}

}  // namespace
}  // namespace dsinfer::server
