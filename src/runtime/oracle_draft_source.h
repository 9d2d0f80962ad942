// OracleDraftSource（基准与测试用）：草稿取已知的续写（通常是不用 MTP 的贪心结果），用来测量推测解码
// 机制本身的上限（bench --oracle-drafts）。MTP 模块照常计算（代价真实），只把它的提议换成已知 token；
// 采样时草稿分布取单点分布（接受概率 = p(x)）。输出仍由主模型验证决定，保持无损。
#pragma once

#include <unordered_map>

#include "runtime/mtp_draft_source.h"

namespace dsinfer {

class OracleDraftSource : public MtpDraftSource {
 public:
  using MtpDraftSource::MtpDraftSource;

  // 序列 id 的已知续写：continuation[j] 是第 j 个生成 token（位置 P + j）。未给出的序列用 MTP 自己的草稿。
  void expect(SequenceId id, std::vector<int32_t> continuation);

  void add_sequence(SequenceId id, const std::vector<int32_t>& prompt, const float* hidden,
                    int32_t next_token) override;
  void remove_sequence(SequenceId id) override;

 protected:
  int32_t propose(SequenceId id, int64_t position, const float* logits, int64_t vocab_limit, Sampler& sampler,
                  float* q) override;

 private:
  struct Known {
    std::vector<int32_t> continuation;
    int64_t prompt_len = 0;
  };
  std::unordered_map<SequenceId, Known> known_;
};

}  // namespace dsinfer
