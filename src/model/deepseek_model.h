// DeepseekModel：DeepseekV2ForCausalLM / DeepseekV3ForCausalLM 的主干（docs/spec.md §3）。
//   h = Embed[tokens]；逐层 DecoderLayer；logits = lm_head(RMSNorm_final(h))（只对要求输出的行）。
// forward 是唯一入口：预填充、解码、多序列混合批次、MTP 验证都是同一种调用。
// 不负责：采样、请求管理、文本（见 runtime/ 与 tokenizer/）。
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/buffer.h"
#include "formats/checkpoint.h"
#include "formats/model_config.h"
#include "model/batch.h"
#include "model/decoder_layer.h"
#include "model/forward_context.h"
#include "model/kv_cache.h"
#include "model/output_head.h"

namespace dsinfer {

struct ModelOptions {
  MlaMode mla_mode = MlaMode::kLatent;
  LoadMode load_mode = LoadMode::kMmap;
  FILE* progress = nullptr;  // 非空：加载权重时在这里显示进度条（不是终端时不显示）
};

// 要求输出的行（按在 Batch 中的先后顺序）的结果。
struct ForwardOutputs {
  int64_t n_out = 0;     // logits 行数（want_output）
  int64_t n_hidden = 0;  // 隐状态行数（want_hidden，包含所有 want_output 的行）
  Buffer<float> logits;  // [n_out, vocab]
  Buffer<float> hidden;  // [n_hidden, hidden]：最终 RMSNorm 之后（lm_head 的输入，MTP 的输入）
  const float* logits_row(int64_t i) const { return logits.data() + i * vocab; }
  const float* hidden_row(int64_t i) const { return hidden.data() + i * dim; }
  int64_t vocab = 0, dim = 0;
};

class DeepseekModel {
 public:
  DeepseekModel(const std::string& dir, const ModelOptions& options);

  const ModelConfig& config() const { return config_; }
  const Checkpoint& checkpoint() const { return *ckpt_; }
  const ModelOptions& options() const { return options_; }

  // 主模型的 KV 缓存（每层一行，行长度由 MLA 模式决定）。
  KvCache make_cache(DType dtype, int64_t block_tokens = 64) const;
  void forward(ForwardContext& ctx, const Batch& batch, KvCache& cache, ForwardOutputs& out);

  // 词嵌入查表（f32）
  void embed(const ForwardContext& ctx, const int32_t* tokens, int64_t n, float* out) const;
  void check_tokens(const Batch& batch) const;  // token id 越界时抛出 Error
  const Weight& embed_weight() const { return embed_; }
  const Weight& lm_head() const { return head_->head(); }
  // 解码一个 token 读到的权重字节：词嵌入一行 + 各层（MoE 只算激活专家）+ 最终范数 + lm_head。
  size_t active_weight_bytes() const;

 private:
  ModelConfig config_;
  ModelOptions options_;
  std::unique_ptr<Checkpoint> ckpt_;
  Weight embed_;
  std::unique_ptr<OutputHead> head_;
  std::vector<std::unique_ptr<DecoderLayer>> layers_;
  Buffer<float> h_;
};

}  // namespace dsinfer
