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
#include "model/memory_plan.h"
#include "model/output_head.h"
#include "model/tiered_expert_store.h"

namespace dsinfer {

struct ModelOptions {
  ModelOptions() = default;
  explicit ModelOptions(MlaMode mode, LoadMode load = LoadMode::kMmap, FILE* progress_to = nullptr)
      : mla_mode(mode), load_mode(load), progress(progress_to) {}

  MlaMode mla_mode = MlaMode::kLatent;
  LoadMode load_mode = LoadMode::kMmap;
  FILE* progress = nullptr;  // 非空：加载权重时在这里显示进度条（不是终端时不显示）
  // 内存预算（0 = 全部常驻）。设了以后：非专家权重逐个读入匿名内存，路由专家交给 TieredExpertStore，
  // 槽位数由 plan_memory 按 memory 请求算出；放不下时构造即抛出 Error(kConfig) 说明差在哪里。
  MemoryRequest memory;
  TieredExpertStoreOptions experts;  // slots_per_layer 由预算算出，其余（策略、预取、统计）照用
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
  // 路由专家的来源（全部常驻，或内存预算下的分级存储）；MTP 模块的 MoE 层也用它
  ExpertStore& experts() const { return *experts_; }
  // 内存预算的账目（未设预算时 budget_bytes = 0）
  const MemoryPlan& memory_plan() const { return plan_; }
  const TieredExpertStore* tiered_experts() const { return tiered_; }

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
  MemoryPlan plan_;
  std::unique_ptr<ExpertStore> experts_;
  const TieredExpertStore* tiered_ = nullptr;
  Weight embed_;
  std::unique_ptr<OutputHead> head_;
  std::unique_ptr<LayerScratch> scratch_;  // 各层共用的暂存（地址固定）
  std::vector<std::unique_ptr<DecoderLayer>> layers_;
  Buffer<float> h_;
};

}  // namespace dsinfer
