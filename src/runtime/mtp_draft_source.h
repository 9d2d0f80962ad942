// MtpDraftSource：用检查点自带的 MTP（NextN）模块起草（spec §4.4）。每次起草：
//   深度 1：各模块先“追赶”上一步新确认的位置（输入 t_{i+1} 与主模型隐状态 h_i，所有序列一次前向），
//           模块 0 在最后一个已确认位置 L−1 给出 d_1；
//   深度 j ≥ 2：模块 min(j, n_modules)−1，位置前进一格，输入 d_{j−1} 与上一深度 shared_head.norm 之前的输出。
// 起草结束后把 MTP 缓存回滚到已确认的长度（草稿写入的推测位置不保留）。
#pragma once

#include <memory>
#include <unordered_map>

#include "config/optimization_config.h"
#include "model/deepseek_model.h"
#include "model/mtp_predictor.h"
#include "runtime/draft_source.h"

namespace dsinfer {

class MtpDraftSource : public DraftSource {
 public:
  MtpDraftSource(DeepseekModel& model, const OptimizationConfig& config);

  void add_sequence(SequenceId id, const std::vector<int32_t>& prompt, const float* hidden,
                    int32_t next_token) override;
  void remove_sequence(SequenceId id) override;
  void draft(ForwardContext& ctx, const std::vector<SequenceId>& ids, const std::vector<Sampler*>& samplers,
             const std::vector<int64_t>& k, std::vector<Draft>& out) override;
  void confirm(SequenceId id, const int32_t* tokens, const float* hidden, int64_t n, bool drafted) override;

  // 自适应选了 k=0 的步不跑 MTP，积压会一直增长；之后试探 k ≥ 1 时若追赶全部积压，代价与一直跑着
  // MTP 相同（内置模型上约为普通解码的 12%），自适应就总比普通解码慢。所以 k=0 的步把积压截到最近
  // kCatchUpWindow 个位置，并丢掉 MTP 缓存：RoPE 的注意力分数只依赖位置差，整体平移位置不改变窗口内
  // 的结果，草稿只是少看了更早的上下文——接受与否由主模型验证，输出仍然无损。固定 k 时积压不超过 k+1，
  // 预填充后的首次追赶仍看完整的提示。
  static constexpr int64_t kCatchUpWindow = 8;

 protected:
  // 位置 position 上的草稿：logits 是 MTP 在该位置的输出（前 vocab_limit 个有效）。q 非空（采样）时
  // 同时写入草稿分布 q [vocab]（截断部分为 0）。默认：贪心取 argmax，采样从 q 抽。
  virtual int32_t propose(SequenceId id, int64_t position, const float* logits, int64_t vocab_limit, Sampler& sampler,
                          float* q);
  int64_t vocab() const { return vocab_; }

 private:
  struct SeqState {
    int32_t mtp_seq = -1;                 // 各模块缓存中的序列 id（各缓存同步增删，id 相同）
    std::vector<int32_t> pending_tokens;  // 待追赶的位置的输入 token（t_{i+1}）
    std::vector<float> pending_hidden;    // 对应的主模型隐状态 h_i [n, hidden]
    int64_t mtp_offset = 0;               // 真实位置 − MTP 缓存中的位置（追赶窗口重置后非 0）
  };
  SeqState& state(SequenceId id);
  void trim_backlog(SeqState& st);

  const int64_t hidden_, vocab_;
  const int64_t draft_vocab_;  // 起草时只算前 draft_vocab_ 个 token 的 logits（q 仍是全词表上的分布，截断部分为 0）
  std::unique_ptr<MtpPredictor> mtp_;
  std::vector<KvCache> caches_;  // 每个模块一个
  std::unordered_map<SequenceId, SeqState> states_;

  // 暂存
  std::vector<float> chain_hidden_, hidden_out_, catch_hidden_;  // [序列或行, hidden]
  std::vector<int64_t> draft_pos_, last_row_, confirmed_, active_;
  Batch batch_;
  ForwardOutputs out_;
};

}  // namespace dsinfer
