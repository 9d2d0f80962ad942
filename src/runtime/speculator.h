// Speculator：MTP 自推测解码的两个半步，夹在调度器的一次 Model::forward 两侧（spec §4.4–§4.5）：
//   draft：选本步的起草数 k（固定 mtp.draft_tokens，或 AdaptiveDraft 自适应），向 DraftSource 要各序列的
//          草稿 d_1 … d_k；
//   （调度器把各序列的验证行 [t_L, d_1 … d_k]（k+1 行都要 logits）与其他序列的预填充块放进同一个批次）
//   accept：按接受规则（acceptance.h）接受前 a 个草稿，再加一个修正 / 奖励 token；已确认位置的
//          (token, 隐状态) 交还 DraftSource，供下一步起草。
// 主缓存回滚到 t_L 与 a 个草稿由调度器做（它拥有缓存）。
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "config/optimization_config.h"
#include "model/deepseek_model.h"
#include "runtime/adaptive_draft.h"
#include "runtime/draft_source.h"

namespace dsinfer {

class Speculator {
 public:
  Speculator(const DeepseekModel& model, const OptimizationConfig& config, std::unique_ptr<DraftSource> source,
             PerformanceMonitor* monitor);

  DraftSource& source() { return *source_; }

  // 本步的起草数：固定 draft_tokens，或自适应选择（可为 0 = 普通解码一步）
  int64_t choose_draft_count();
  // 起草半步：ids[i] 起草 min(k, room[i]) 个（room：各序列到上下文上限还能起草的数目；为 0 的不起草），
  // 结果由 draft_tokens(i) 取
  void draft(ForwardContext& ctx, const std::vector<SequenceId>& ids, const std::vector<Sampler*>& samplers, int64_t k,
             const std::vector<int64_t>& room);
  const std::vector<int32_t>& draft_tokens(size_t i) const { return drafts_[i].tokens; }
  // 接受半步：ids[i] 的验证行 logits [k+1, vocab] 与隐状态 hidden [k+1, hidden]。
  // emitted 收到本步输出的 token（a 个草稿 + 1 个），返回 a。
  int64_t accept(size_t i, SequenceId id, Sampler& sampler, const float* logits, const float* hidden,
                 std::vector<int32_t>& emitted);
  // 本步（draft 到 accept）的耗时，供自适应选择 k；只在批次里没有预填充行时调用，耗时才可比。
  void observe(double seconds);

 private:
  const int64_t vocab_;
  const OptimizationConfig config_;
  PerformanceMonitor* monitor_;
  std::unique_ptr<DraftSource> source_;
  AdaptiveDraft adaptive_;
  int64_t k_ = 0;                  // 本步选定的起草数
  std::vector<int64_t> k_seq_;     // [序列]：实际起草数（临近上下文上限时小于 k_）
  std::vector<Draft> drafts_;      // [序列]
  std::vector<int64_t> accepted_;  // [序列]：本步接受的草稿数

  // 只含起草数 ≥ 1 的序列（交给 DraftSource）
  std::vector<SequenceId> draft_ids_;
  std::vector<Sampler*> draft_samplers_;
  std::vector<int64_t> draft_k_;
  std::vector<Draft> draft_out_;
};

}  // namespace dsinfer
