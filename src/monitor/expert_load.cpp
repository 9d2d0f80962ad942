#include "monitor/expert_load.h"

#include <algorithm>
#include <cmath>

namespace dsinfer {

void ExpertLoad::set_shape(const std::vector<bool>& moe_layers, int64_t n_routed_experts) {
  ensure_layers(moe_layers.size());
  for (size_t l = 0; l < moe_layers.size(); ++l) moe_[l] = moe_[l] || moe_layers[l];
  n_experts_ = std::max(n_experts_, n_routed_experts);
  widen();
}

void ExpertLoad::add(int64_t layer, int64_t expert, int64_t n) {
  ensure_layers(size_t(layer) + 1);
  if (!moe_[size_t(layer)] || expert >= n_experts_) {
    moe_[size_t(layer)] = true;
    n_experts_ = std::max(n_experts_, expert + 1);
    widen();
  }
  rows_[size_t(layer)][size_t(expert)] += n;
}

void ExpertLoad::ensure_layers(size_t n) {
  if (rows_.size() >= n) return;
  rows_.resize(n);
  moe_.resize(n);
}

void ExpertLoad::widen() {
  for (size_t l = 0; l < rows_.size(); ++l)
    if (moe_[l]) rows_[l].resize(size_t(n_experts_));
}

std::optional<ExpertImbalance> ExpertLoad::imbalance(int64_t layer) const {
  if (!moe_[size_t(layer)]) return std::nullopt;
  return imbalance_of(rows_[size_t(layer)]);
}

std::optional<ExpertImbalance> imbalance_of(const std::vector<int64_t>& load) {
  ExpertImbalance r;
  int64_t max = 0;
  for (int64_t x : load) {
    r.tokens += x;
    max = std::max(max, x);
  }
  if (r.tokens == 0) return std::nullopt;
  const double mean = double(r.tokens) / double(load.size());
  double var = 0;
  for (int64_t x : load) var += (double(x) - mean) * (double(x) - mean);
  var /= double(load.size());
  r.max_over_mean = double(max) / mean;
  r.cv = std::sqrt(var) / mean;
  return r;
}

}  // namespace dsinfer
