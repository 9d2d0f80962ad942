// ExpertLoad：每层每个路由专家收到的 token 数，形状固定为 [层][n_routed_experts]。
// 为什么先要模型形状：只按出现过的最大专家号扩展会得到参差不齐的行，没被路由到的专家与稠密层
// 也无从区分“为零”和“不存在”。形状由引擎按模型配置给出（只传数字，监视器不依赖模型）；
// 未给形状时（如单独构造的监视器）按出现的层号与专家号扩展，但各 MoE 行始终等宽。
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace dsinfer {

struct ExpertImbalance {
  int64_t tokens = 0;        // 该层被路由的 token·专家次数之和
  double max_over_mean = 0;  // 最忙专家的负载 / 平均负载（1 = 完全均衡）
  double cv = 0;             // 变异系数 = 标准差（总体）/ 平均负载
};

class ExpertLoad {
 public:
  // moe_layers[l]：第 l 层是否为 MoE 层（false 为稠密层，没有路由专家）
  void set_shape(const std::vector<bool>& moe_layers, int64_t n_routed_experts);
  void add(int64_t layer, int64_t expert, int64_t n);

  int64_t n_layers() const { return int64_t(rows_.size()); }
  int64_t n_experts() const { return n_experts_; }
  bool is_moe(int64_t layer) const { return moe_[size_t(layer)]; }
  // 稠密层的行为空；MoE 层的行长 n_experts()
  const std::vector<std::vector<int64_t>>& rows() const { return rows_; }
  // 稠密层、或尚无 token 被路由的层：无值
  std::optional<ExpertImbalance> imbalance(int64_t layer) const;

 private:
  void ensure_layers(size_t n);
  void widen();  // 各 MoE 行补零到 n_experts_ 宽

  std::vector<std::vector<int64_t>> rows_;
  std::vector<bool> moe_;
  int64_t n_experts_ = 0;
};

// 一行负载的不均衡度；全零时无值
std::optional<ExpertImbalance> imbalance_of(const std::vector<int64_t>& load);

}  // namespace dsinfer
