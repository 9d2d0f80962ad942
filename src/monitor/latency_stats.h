// LatencySamples：逐请求的延迟样本（如首 token 延迟）及其均值与分位数。
// 为什么保留全部样本：批量与多轮对话里每个请求各有一个值，只记最后一个会掩盖慢请求；
// 样本数等于请求数，量很小。
#pragma once

#include <cstdint>
#include <vector>

namespace dsinfer {

struct LatencySummary {
  int64_t count = 0;
  double mean = 0, p50 = 0, p99 = 0;  // 秒；无样本时为 0
};

class LatencySamples {
 public:
  void add(double seconds) { samples_.push_back(seconds); }
  LatencySummary summary() const;

 private:
  std::vector<double> samples_;
};

// 最近秩分位数：升序第 ceil(q·n) 个样本（q ∈ (0, 1]）；sorted 非空
double nearest_rank(const std::vector<double>& sorted, double q);

}  // namespace dsinfer
