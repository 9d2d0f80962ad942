// MoeLayer：路由 + 路由专家 + 共享专家。专家按专家分组执行：路由到专家 e 的所有 token
// 被聚合成一个矩阵，一次矩阵乘完成；被选专家与共享专家（看作接收全部 token 的专家）的
// gate/up 合成一批、down 合成一批，各在一次并行区内按代价均分给线程。每层的专家负载计入 PerformanceMonitor。
// 路由专家的权重经 ExpertStore 取得：全部常驻时一批算完；内存预算下槽位放不下本次用到的全部专家时
// 分几“波”算（每波是能同时驻留的一批专家），每个专家在一次前向（一个预填充块）里只读一次盘。
// 最后的加权累加在所有波之后按固定顺序进行，所以分几波都与全部常驻时逐位相同。
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "formats/checkpoint.h"
#include "formats/model_config.h"
#include "kernels/kernels.h"
#include "model/expert_store.h"
#include "model/forward_context.h"
#include "model/moe_router.h"

namespace dsinfer {

// MoE 的暂存：各层依次执行，整个模型共用一份，大小按最大的一批增长（只增不减）。
struct MoeScratch {
  Buffer<float> router_logits, route_scratch, weights, gathered, gate_out, up_out, down_out;
  Buffer<float> shared_gate, shared_up;
  Buffer<int32_t> choices, counts, offsets, slot_token;
  Buffer<float> slot_weight;
  std::vector<int32_t> needed, predicted;
  std::vector<const ExpertWeights*> wave;
  std::vector<kernels::MatmulJob> jobs;
};

class MoeLayer {
 public:
  // prefix 形如 "model.layers.3.mlp"；layer_index 是负载统计与专家存储中的层号
  MoeLayer(const ModelConfig& config, const Checkpoint& ckpt, const std::string& prefix, int64_t layer_index,
           ExpertStore& experts, MoeScratch& scratch);

  // out[T, hidden] = MoE(x[T, hidden])（覆盖写）
  void forward(ForwardContext& ctx, const float* x, int64_t n_tokens, float* out);

  // 下一个 MoE 层（存储需要预取时，用它的路由器在本层输入上预测它要用的专家）
  void set_next(const MoeLayer* next) { next_ = next; }
  const MoeRouter& router() const { return router_; }

  // 每个 token 实际读到的权重字节（路由器 + top-k 个专家 + 共享专家）
  size_t active_weight_bytes() const;

 private:
  struct Expert {
    Weight gate, up, down;
  };
  void prefetch_next(ForwardContext& ctx, const float* x, int64_t n_tokens);

  int64_t layer_index_, hidden_, inter_, shared_inter_;
  MoeRouter router_;
  ExpertStore& experts_;
  const MoeLayer* next_ = nullptr;
  Expert shared_;  // n_shared_experts = 0 时为空

  MoeScratch& s_;  // 各层共用（层逐个执行）
};

}  // namespace dsinfer
