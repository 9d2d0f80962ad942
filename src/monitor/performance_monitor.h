// PerformanceMonitor：分阶段计时（embedding、attention、moe、dense_mlp、lm_head、sampling、
// mtp_draft、mtp_verify，可嵌套，见 phase_tree.h）与计数器（token 数、预填充 / 解码速度、逐请求首 token
// 延迟、KV 字节、权重字节、专家负载矩阵与不均衡度、MTP 各深度接受率），输出为表格（--stats）或
// JSON（--stats-json，字段见 docs/performance.md 的“性能统计”一节）。
// 为什么用“可空指针 + 作用域计时器”：关闭时（指针为空）不读时钟、不碰阶段栈，开销为零。
// 非线程安全：计时器与计数都在驱动前向的线程上调用。
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "monitor/expert_cache_stats.h"
#include "monitor/expert_load.h"
#include "monitor/latency_stats.h"
#include "monitor/phase_tree.h"

namespace dsinfer {

class PerformanceMonitor {
 public:
  // 阶段计时（由 ScopedTimer 调用）：begin 进入阶段 p，end 记下这次的总耗时；成对、后进先出
  void begin_phase(Phase p) { phases_.enter(p); }
  void end_phase(double seconds) { phases_.leave(seconds); }
  void add_prefill(int64_t tokens, double seconds);
  void add_decode(int64_t tokens, double seconds);
  // 每个请求（含 chat 的每一轮）在得到第一个 token 时记一次
  void add_time_to_first_token(double seconds) { ttft_.add(seconds); }
  void set_kv_bytes(size_t used, size_t allocated) {
    kv_bytes_used_ = used;
    kv_bytes_allocated_ = allocated;
  }
  void set_weight_bytes(size_t bytes) { weight_bytes_ = bytes; }
  // 模型形状：moe_layers[l] 为第 l 层是否 MoE 层（含 MTP 的 NextN 层），每个 MoE 层 n_routed_experts 个路由专家
  void set_moe_shape(const std::vector<bool>& moe_layers, int64_t n_routed_experts) {
    expert_load_.set_shape(moe_layers, n_routed_experts);
  }
  // 某 MoE 层的专家 e 被路由到 n 个 token
  void add_expert_load(int64_t layer, int64_t expert, int64_t n) { expert_load_.add(layer, expert, n); }
  // 专家存储（内存预算下）的命中、读盘与预取统计；存储在前向中直接累加
  ExpertCacheStats& expert_cache() { return expert_cache_; }
  const ExpertCacheStats& expert_cache() const { return expert_cache_; }
  // 一次 MTP 推测步：起草 drafted 个，接受前 accepted 个（按深度统计）
  void add_mtp_step(int64_t drafted, int64_t accepted);

  // 阶段 p 在各嵌套位置上的合计：总耗时（含子阶段）与自身耗时（不含子阶段）
  double phase_seconds(Phase p) const;
  double phase_self_seconds(Phase p) const;
  int64_t phase_calls(Phase p) const;
  const PhaseTree& phase_tree() const { return phases_; }
  int64_t prefill_tokens() const { return prefill_tokens_; }
  int64_t decode_tokens() const { return decode_tokens_; }
  double prefill_tps() const;
  double decode_tps() const;
  LatencySummary time_to_first_token() const { return ttft_.summary(); }
  const ExpertLoad& expert_load() const { return expert_load_; }
  // 深度 d（从 1 开始）的接受率 = 该深度被接受次数 / 该深度被起草次数
  std::vector<double> mtp_acceptance_by_depth() const;
  double mtp_mean_accepted() const;
  int64_t mtp_drafted_tokens() const;  // 起草的草稿 token 总数
  int64_t mtp_accepted_tokens() const { return mtp_accepted_total_; }

  std::string table() const;  // monitor_table.cpp
  std::string json() const;   // monitor_json.cpp

 private:
  PhaseTree phases_;
  int64_t prefill_tokens_ = 0, decode_tokens_ = 0;
  double prefill_seconds_ = 0, decode_seconds_ = 0;
  LatencySamples ttft_;
  size_t kv_bytes_used_ = 0, kv_bytes_allocated_ = 0, weight_bytes_ = 0;
  ExpertLoad expert_load_;
  ExpertCacheStats expert_cache_;
  std::vector<int64_t> mtp_drafted_by_depth_, mtp_accepted_by_depth_;
  int64_t mtp_steps_ = 0, mtp_accepted_total_ = 0;
};

// 作用域计时器：monitor 为空时什么都不做。
class ScopedTimer {
 public:
  ScopedTimer(PerformanceMonitor* m, Phase p) : m_(m) {
    if (!m_) return;
    m_->begin_phase(p);
    start_ = std::chrono::steady_clock::now();
  }
  ~ScopedTimer() {
    if (m_) m_->end_phase(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  PerformanceMonitor* m_;
  std::chrono::steady_clock::time_point start_;
};

// --stats-json 的 "expert_cache" 对象（JSON 文本）；tokens 用于每 token 读盘字节。bench --json 按阶段各嵌入一份。
std::string expert_cache_json_text(const ExpertCacheStats& stats, int64_t tokens);

// 读取当前进程的峰值常驻内存（VmHWM，字节）；读不到时返回 0。
size_t peak_rss_bytes();

}  // namespace dsinfer
