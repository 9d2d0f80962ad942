// PerformanceMonitor：分阶段计时（embedding、attention、moe、dense_mlp、lm_head、sampling、
// mtp_draft、mtp_verify）与计数器（token 数、预填充 / 解码速度、KV 字节、权重字节、专家负载、
// MTP 各深度接受率），输出为表格（--stats）或 JSON（--stats-json）。
// 为什么用“可空指针 + 作用域计时器”：关闭时（指针为空）不读时钟，开销为零。
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace dsinfer {

enum class Phase { kEmbedding, kAttention, kMoe, kDenseMlp, kLmHead, kSampling, kMtpDraft, kMtpVerify, kCount };
const char* phase_name(Phase p);

class PerformanceMonitor {
 public:
  void add_time(Phase p, double seconds) {
    phase_seconds_[size_t(p)] += seconds;
    phase_calls_[size_t(p)] += 1;
  }
  void add_prefill(int64_t tokens, double seconds);
  void add_decode(int64_t tokens, double seconds);
  void set_time_to_first_token(double seconds) { ttft_seconds_ = seconds; }
  void set_kv_bytes(size_t used, size_t allocated) {
    kv_bytes_used_ = used;
    kv_bytes_allocated_ = allocated;
  }
  void set_weight_bytes(size_t bytes) { weight_bytes_ = bytes; }
  // 某 MoE 层的专家 e 被路由到 n 个 token
  void add_expert_load(int64_t layer, int64_t expert, int64_t n);
  // 一次 MTP 推测步：起草 drafted 个，接受前 accepted 个（按深度统计）
  void add_mtp_step(int64_t drafted, int64_t accepted);

  double phase_seconds(Phase p) const { return phase_seconds_[size_t(p)]; }
  int64_t prefill_tokens() const { return prefill_tokens_; }
  int64_t decode_tokens() const { return decode_tokens_; }
  double prefill_tps() const;
  double decode_tps() const;
  const std::vector<std::vector<int64_t>>& expert_load() const { return expert_load_; }
  // 深度 d（从 1 开始）的接受率 = 该深度被接受次数 / 该深度被起草次数
  std::vector<double> mtp_acceptance_by_depth() const;
  double mtp_mean_accepted() const;

  std::string table() const;
  std::string json() const;

 private:
  std::array<double, size_t(Phase::kCount)> phase_seconds_{};
  std::array<int64_t, size_t(Phase::kCount)> phase_calls_{};
  int64_t prefill_tokens_ = 0, decode_tokens_ = 0;
  double prefill_seconds_ = 0, decode_seconds_ = 0, ttft_seconds_ = 0;
  size_t kv_bytes_used_ = 0, kv_bytes_allocated_ = 0, weight_bytes_ = 0;
  std::vector<std::vector<int64_t>> expert_load_;
  std::vector<int64_t> mtp_drafted_by_depth_, mtp_accepted_by_depth_;
  int64_t mtp_steps_ = 0, mtp_accepted_total_ = 0;
};

// 作用域计时器：monitor 为空时什么都不做。
class ScopedTimer {
 public:
  ScopedTimer(PerformanceMonitor* m, Phase p) : m_(m), p_(p) {
    if (m_) start_ = std::chrono::steady_clock::now();
  }
  ~ScopedTimer() {
    if (m_) m_->add_time(p_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;

 private:
  PerformanceMonitor* m_;
  Phase p_;
  std::chrono::steady_clock::time_point start_;
};

// 读取当前进程的峰值常驻内存（VmHWM，字节）；读不到时返回 0。
size_t peak_rss_bytes();

}  // namespace dsinfer
