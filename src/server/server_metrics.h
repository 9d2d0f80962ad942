// ServerMetrics：GET /metrics 的数据（Prometheus 文本格式 0.0.4）。HTTP 线程与调度线程都会写，所以带锁；
// 调度线程的 PerformanceMonitor 不是线程安全的，它的 MTP 计数在每步之后由调度线程抄过来。
//   计数器：请求数（按 HTTP 状态码）、提示 / 生成 token 数、前缀缓存提供的提示 token 数、MTP 起草 / 接受数
//   仪表：排队的请求数、运行中的序列数、KV 块（已用 / 预留 / 池容量 / 只作前缀缓存）
//   直方图：首 token 延迟（从收到请求到第一个 token）、相邻 token 的间隔
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace dsinfer::server {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);  // 各桶的上界（升序），另有 +Inf
  void observe(double x);
  // 输出 name_bucket / name_sum / name_count 各行
  void write(std::string& out, const std::string& name, const std::string& help) const;
  int64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<int64_t> counts_;  // 每桶（不累计）
  double sum_ = 0;
  int64_t count_ = 0;
};

class ServerMetrics {
 public:
  ServerMetrics();

  void add_response(int status);
  void add_tokens(int64_t prompt, int64_t completion);
  void add_cached_prompt_tokens(int64_t n);
  void observe_ttft(double seconds);
  void observe_inter_token(double seconds);
  void set_queue(int64_t waiting, int64_t running);
  void set_kv_blocks(int64_t used, int64_t reserved, int64_t total, int64_t cached);
  void set_mtp(int64_t drafted, int64_t accepted);

  std::string prometheus_text() const;

 private:
  mutable std::mutex mu_;
  std::map<int, int64_t> responses_;
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0, cached_prompt_tokens_ = 0;
  int64_t waiting_ = 0, running_ = 0;
  int64_t kv_used_ = 0, kv_reserved_ = 0, kv_total_ = 0, kv_cached_ = 0;
  int64_t mtp_drafted_ = 0, mtp_accepted_ = 0;
  Histogram ttft_, inter_token_;
};

}  // namespace dsinfer::server
