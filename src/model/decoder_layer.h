// DecoderLayer：h = h + MLA(RMSNorm_attn(h))；h = h + FFN(RMSNorm_ffn(h))，FFN 为稠密 MLP 或 MoE（docs/spec.md §3.1）。
// 主模型的每一层与 MTP 模块内的那一层都用它。
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "model/dense_mlp.h"
#include "model/mla_attention.h"
#include "model/moe_layer.h"

namespace dsinfer {

// 一层的暂存：注意力、MoE 与残差各一份，整个模型（或 MTP 模块）共用，层逐个执行。
struct LayerScratch {
  Buffer<float> xn, tmp;  // [T, hidden]：归一化后的输入、子层输出
  MlaScratch attn;
  MoeScratch moe;
};

class DecoderLayer {
 public:
  // prefix 形如 "model.layers.5"；layer_index 决定稠密 / MoE（ModelConfig::is_moe_layer）。
  // MoE 层的路由专家经 experts 取得（model/expert_store.h）。
  DecoderLayer(const ModelConfig& config, const Checkpoint& ckpt, int64_t layer_index, MlaMode mode,
               ExpertStore& experts, LayerScratch& scratch);

  // h[T, hidden] 原地更新；K/V 写入 cache 的第 cache_layer 层。
  void forward(ForwardContext& ctx, float* h, const Batch& batch, KvCache& cache, int64_t cache_layer);

  // 解码一个 token 读到的权重字节（MoE 只算路由器、top-k 个专家与共享专家）
  size_t active_weight_bytes() const;
  MoeLayer* moe() const { return moe_.get(); }  // 稠密层为空

 private:
  float eps_;
  int64_t hidden_;
  std::vector<float> attn_norm_, ffn_norm_;
  MlaAttention attn_;
  std::unique_ptr<DenseMlp> mlp_;
  std::unique_ptr<MoeLayer> moe_;
  LayerScratch& s_;
};

}  // namespace dsinfer
