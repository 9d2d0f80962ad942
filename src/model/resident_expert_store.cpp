#include "model/resident_expert_store.h"

#include "core/error.h"

namespace dsinfer {

std::string expert_prefix(int64_t layer, int64_t expert) {
  return cat("model.layers.", layer, ".mlp.experts.", expert);
}

void ResidentExpertStore::add_layer(int64_t l) {
  const int64_t D = config_.hidden_size, I = config_.moe_intermediate_size;
  if (size_t(l) >= experts_.size()) experts_.resize(size_t(l) + 1);
  auto& row = experts_[size_t(l)];
  row.clear();
  row.reserve(size_t(config_.n_routed_experts));
  for (int64_t e = 0; e < config_.n_routed_experts; ++e) {
    const std::string p = expert_prefix(l, e);
    row.push_back({ckpt_.weight(p + ".gate_proj.weight", I, D), ckpt_.weight(p + ".up_proj.weight", I, D),
                   ckpt_.weight(p + ".down_proj.weight", D, I)});
  }
}

const std::vector<ExpertWeights>& ResidentExpertStore::layer_experts(int64_t layer) const {
  if (layer < 0 || size_t(layer) >= experts_.size() || experts_[size_t(layer)].empty())
    throw Error(ErrorCode::kInternal, cat("专家存储中没有第 ", layer, " 层"));
  return experts_[size_t(layer)];
}

int64_t ResidentExpertStore::acquire(int64_t layer, int32_t* experts, int64_t n, const ExpertWeights** out,
                                     PerformanceMonitor*) {
  const auto& row = layer_experts(layer);
  for (int64_t i = 0; i < n; ++i) out[i] = &row[size_t(experts[i])];
  return n;
}

size_t ResidentExpertStore::expert_bytes(int64_t layer) const {
  return layer_experts(layer).front().bytes();
}

}  // namespace dsinfer
