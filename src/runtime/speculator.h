// Speculator：用 MTP（NextN）模块做自推测解码（docs/spec.md §4.4–§4.5）。每步：
//   1. 起草：MTP 模块先“追赶”上一步新确认的位置（输入 t_{i+1} 与主模型隐状态 h_i，一次前向），
//      在最后一个位置给出 d_1；深度 j ≥ 2 用模块 min(j, n_modules)−1、位置前进一格、输入 d_{j−1}
//      与上一深度 shared_head.norm 之前的输出。起草结束后把 MTP 缓存回滚到已确认的长度。
//   2. 验证：一次 Model::forward 处理所有序列的 [t_L, d_1 … d_k]（k+1 个位置都要 logits）。
//   3. 接受：贪心 = 与目标 argmax 相同的最长前缀 + 一个修正 / 奖励 token；采样 = 标准拒绝采样
//      （以 min(1, p/q) 接受，否则从 max(p − q, 0) 重采样），输出分布与普通采样完全相同。
//   4. 主模型缓存回滚到已接受的长度；新确认位置的 (token, 隐状态) 留给下一步的 MTP 追赶。
// 自适应模式按实测的各深度接受率与每种 k 的单步耗时，选择期望“token / 秒”最大的 k（可为 0）。
// 只调用 Model::forward、MtpPredictor::forward 与 KvCache::truncate。
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "config/optimization_config.h"
#include "model/deepseek_model.h"
#include "model/mtp_predictor.h"
#include "runtime/sampler.h"

namespace dsinfer {

// 按实测接受率与耗时选择每步起草数 k ∈ [0, max_k]
class AdaptiveDraft {
 public:
  explicit AdaptiveDraft(int64_t max_k);
  int64_t choose();
  // 一步的结果：用了 k 个草稿、每条序列接受数、该步耗时（秒）、序列数
  void observe(int64_t k, const std::vector<int64_t>& accepted, double seconds, int64_t n_seqs);
  double expected_tokens(int64_t k) const;  // 每条序列每步期望输出 token 数

 private:
  int64_t max_k_, steps_ = 0;
  static constexpr int64_t kFirstProbeInterval = 256;
  int64_t last_best_ = -1, probe_interval_ = kFirstProbeInterval, next_probe_ = 0;  // 相邻值试探的间隔（最优值不变时乘 4）
  bool probe_up_ = false, plain_warm_ = false;
  std::vector<double> reached_, accepted_;  // 深度 j：被起草次数、被接受次数
  std::vector<double> time_;                // k → 每序列每步耗时的滑动平均（0 表示未测）
};

class Speculator {
 public:
  // ctx：内核上下文与性能监视器（Engine::context()）
  Speculator(DeepseekModel& model, const ForwardContext& ctx, const OptimizationConfig& config);

  // 登记一条已在主缓存中完成预填充的序列：prompt 的每个位置的最终隐状态 hidden [P, hidden]，
  // 以及第一个采样出的 token。oracle 非空时，位置 P+j 的草稿取 oracle[j]（诊断 / 基准用）。
  void add_sequence(int32_t seq, const std::vector<int32_t>& prompt, const float* hidden, int32_t next_token,
                    const std::vector<int32_t>& oracle = {});
  void remove_sequence(int32_t seq);
  void remove_sequence_if_present(int32_t seq);

  // 对若干序列做一步推测解码；emitted[i] 收到序列 seqs[i] 本步输出的 token（1…k+1 个）。
  // k 由配置决定（固定 draft_tokens，或自适应选择）。
  void step(KvCache& cache, const std::vector<int32_t>& seqs, const std::vector<Sampler*>& samplers,
            std::vector<std::vector<int32_t>>& emitted);
  // 同上，但本步起草 k 个（0 = 普通解码一步）；自适应的统计照常更新。
  void step(KvCache& cache, const std::vector<int32_t>& seqs, const std::vector<Sampler*>& samplers,
            std::vector<std::vector<int32_t>>& emitted, int64_t k);

 private:
  struct SeqState {
    int32_t mtp_seq = -1;
    int32_t next_token = 0;                  // 已采样、尚未经主模型处理的 token t_L
    std::vector<int32_t> pending_tokens;     // 待 MTP 追赶的位置的输入 token（t_{i+1}）
    std::vector<float> pending_hidden;       // 对应的主模型隐状态 h_i
    int64_t prompt_len = 0;
    int64_t mtp_offset = 0;                  // 真实位置 − MTP 缓存中的位置（追赶窗口重置后非 0）
    std::vector<int32_t> oracle;             // 已知续写（替换草稿）
  };
  // 自适应选了 k=0 的步不跑 MTP，积压会一直增长；之后试探 k ≥ 1 时若追赶全部积压，代价与一直跑着
  // MTP 相同（内置模型上约为普通解码的 12%），自适应就总比普通解码慢。所以 k=0 的步把积压截到最近
  // kCatchUpWindow 个位置，并丢掉 MTP 缓存：RoPE 的注意力分数只依赖位置差，整体平移位置不改变窗口内
  // 的结果，草稿只是少看了更早的上下文——接受与否由主模型验证，输出仍然无损。固定 k 时积压不超过 k+1，
  // 预填充后的首次追赶仍看完整的提示。
  static constexpr int64_t kCatchUpWindow = 8;
  void trim_backlog(SeqState& st);
  void draft(const std::vector<int32_t>& seqs, const std::vector<Sampler*>& samplers, int64_t k);
  SeqState& state(int32_t seq);

  DeepseekModel& model_;
  ForwardContext ctx_;
  OptimizationConfig config_;
  std::unique_ptr<MtpPredictor> mtp_;
  std::vector<KvCache> mtp_caches_;  // 每个模块一个（各自的序列长度）
  std::vector<SeqState> states_;     // 按主缓存的序列 id 索引
  AdaptiveDraft adaptive_;

  // 暂存
  std::vector<std::vector<int32_t>> drafts_;    // [序列][深度]
  std::vector<std::vector<float>> draft_q_;     // 采样时的草稿分布 [序列][深度 × vocab]
  std::vector<float> chain_hidden_;             // [序列, hidden]：上一深度的输出
  std::vector<float> probs_, catch_hidden_;
  std::vector<int64_t> draft_pos_, last_row_, confirmed_, base_, accepted_;
  Batch batch_;
  ForwardOutputs out_;
  std::vector<float> hidden_out_;
};

}  // namespace dsinfer
