// ResidentExpertStore：全部路由专家常驻（权重指向检查点的映射或读入内存），acquire 总是全部返回。
// 未设内存预算时的默认实现，行为与没有专家存储之前完全相同。
#pragma once

#include <vector>

#include "formats/checkpoint.h"
#include "formats/model_config.h"
#include "model/expert_store.h"

namespace dsinfer {

class ResidentExpertStore : public ExpertStore {
 public:
  ResidentExpertStore(const ModelConfig& config, const Checkpoint& ckpt) : config_(config), ckpt_(ckpt) {}

  void add_layer(int64_t layer) override;
  int64_t acquire(int64_t layer, int32_t* experts, int64_t n, const ExpertWeights** out,
                  PerformanceMonitor* monitor) override;
  size_t expert_bytes(int64_t layer) const override;

 private:
  const std::vector<ExpertWeights>& layer_experts(int64_t layer) const;
  const ModelConfig& config_;
  const Checkpoint& ckpt_;
  std::vector<std::vector<ExpertWeights>> experts_;  // [层号][专家号]；非 MoE 层为空
};

// 路由专家张量名的前缀，如 "model.layers.3.mlp.experts.7"
std::string expert_prefix(int64_t layer, int64_t expert);

}  // namespace dsinfer
