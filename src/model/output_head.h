// OutputHead：对批次中要求输出的行做 RMSNorm 再乘输出矩阵得到 logits。
// 主模型（model.norm + lm_head）与 MTP 模块（shared_head.norm + shared_head.head）共用。
#pragma once

#include <vector>

#include "core/buffer.h"
#include "core/weight.h"
#include "model/batch.h"
#include "model/forward_context.h"

namespace dsinfer {

struct ForwardOutputs;

class OutputHead {
 public:
  OutputHead(std::vector<float> norm, const Weight& head, float eps) : norm_(std::move(norm)), head_(head), eps_(eps) {}
  // h [T, hidden]；out.hidden（归一化后）含每个 want_hidden 的行，out.logits 含每个 want_output 的行，
  // 都按批内顺序（want_output 的行一定也在 hidden 中）。vocab_limit > 0 时只算前 vocab_limit 个 token 的 logits
  // （MTP 起草用：BPE 词表的 id 大致按频率排列，截断词表只改变草稿、不影响无损性）。
  void forward(ForwardContext& ctx, const Batch& batch, const float* h, ForwardOutputs& out,
               int64_t vocab_limit = 0) const;
  const Weight& head() const { return head_; }
  size_t weight_bytes() const { return head_.bytes() + norm_.size() * 4; }

 private:
  std::vector<float> norm_;
  Weight head_;
  float eps_;
  mutable Buffer<float> normed_;  // 暂存：要 logits 的行
};

}  // namespace dsinfer
