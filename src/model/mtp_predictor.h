// MtpPredictor：DeepSeek-V3 的多 token 预测（NextN）模块，docs/spec.md §4。模块 k 位于 model.layers.{L+k}：
//   x = eh_proj([enorm(embed(t_{i+1})) | hnorm(h_i)])   （词嵌入在前，与 vLLM / SGLang 一致）
//   x = DecoderLayer_{L+k}(x, 位置 i)                    （自己的 KV 缓存，缓存第 k 层）
//   logits = shared_head.head(shared_head.norm(x))
// h_i 是主模型最终 RMSNorm 之后的隐状态；链式起草更深一层时，用上一层输出的 x（shared_head.norm 之前）。
// 位置 0 不对词嵌入置零（SGLang 语义，对应夹具 mtp_logits_nozero_seq*；vLLM 在位置 0 置零）。
// 词嵌入与输出头用该层自带的 embed_tokens / shared_head.head（真实 V3 检查点中是主模型的副本），
// 缺失时回退到主模型的 embed_tokens / lm_head（SGLang 的做法）。
#pragma once

#include <memory>
#include <vector>

#include "model/deepseek_model.h"

namespace dsinfer {

class MtpPredictor {
 public:
  // 模型没有 NextN 层（num_nextn_predict_layers = 0）时抛出 Error(kUnsupported)。
  MtpPredictor(const DeepseekModel& main, MlaMode mode);

  int64_t n_modules() const { return int64_t(modules_.size()); }
  // 一个 MTP 模块的 KV 缓存（一层）；每个模块各用一个，序列长度各自独立
  KvCache make_cache(DType dtype, int64_t block_tokens = 64) const;

  // 用模块 module 前向：batch 的 token 是输入 t_{i+1}、位置是 i；hidden_in 每行一个（[T, hidden]）。
  // hidden_out（可为空）写入每行 shared_head.norm 之前的输出，供链式起草；logits 只给 want_output 的行，
  // vocab_limit > 0 时只含前 vocab_limit 个 token（out.vocab 随之改变）。
  void forward(ForwardContext& ctx, int64_t module, const Batch& batch, const float* hidden_in, KvCache& cache,
               ForwardOutputs& out, float* hidden_out, int64_t vocab_limit = 0);

  // 起草一步读到的权重字节（模块 0：eh_proj + 一层（激活专家）+ 输出头）
  size_t active_weight_bytes() const;

 private:
  struct Module {
    Weight embed, eh_proj;
    std::vector<float> enorm, hnorm;
    std::unique_ptr<DecoderLayer> layer;
    std::unique_ptr<OutputHead> head;
  };
  const DeepseekModel& main_;
  float eps_;
  std::unique_ptr<LayerScratch> scratch_;  // 各模块共用的暂存（与主模型的分开：起草与验证交替进行）
  std::vector<Module> modules_;
  Buffer<float> x_, cat_;
};

}  // namespace dsinfer
