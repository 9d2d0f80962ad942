#include "monitor/latency_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace dsinfer {

double nearest_rank(const std::vector<double>& sorted, double q) {
  const size_t rank = size_t(std::ceil(q * double(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

LatencySummary LatencySamples::summary() const {
  LatencySummary s;
  s.count = int64_t(samples_.size());
  if (samples_.empty()) return s;
  std::vector<double> sorted = samples_;
  std::sort(sorted.begin(), sorted.end());
  s.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / double(sorted.size());
  s.p50 = nearest_rank(sorted, 0.50);
  s.p99 = nearest_rank(sorted, 0.99);
  return s;
}

}  // namespace dsinfer
