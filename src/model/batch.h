// Batch：一次前向的扁平 token 列表，每个 token 带 (seq_id, position)，以及是否需要输出：
// want_output = logits（连同隐状态），want_hidden = 只要最终隐状态（MTP 追赶用，不算
// lm_head）。预填充、解码、混合批次与 MTP 验证都是同一种调用。 约束（由 DeepseekModel::forward 校验）：同一序列的 token
// 在批内按位置连续，且从该序列 当前的缓存长度开始。
#pragma once

#include <cstdint>
#include <vector>

namespace dsinfer {

struct Batch {
  std::vector<int32_t> tokens;
  std::vector<int32_t> seq_ids;
  std::vector<int64_t> positions;
  std::vector<uint8_t> want_output;
  std::vector<uint8_t> want_hidden;

  void add(int32_t token, int32_t seq, int64_t pos, bool output, bool hidden = false) {
    tokens.push_back(token);
    seq_ids.push_back(seq);
    positions.push_back(pos);
    want_output.push_back(output ? 1 : 0);
    want_hidden.push_back(hidden || output ? 1 : 0);
  }
  void clear() {
    tokens.clear();
    seq_ids.clear();
    positions.clear();
    want_output.clear();
    want_hidden.clear();
  }
  int64_t size() const { return int64_t(tokens.size()); }
  int64_t n_outputs() const {
    int64_t n = 0;
    for (uint8_t w : want_output) n += w;
    return n;
  }
  int64_t n_hidden() const {
    int64_t n = 0;
    for (uint8_t w : want_hidden) n += w;
    return n;
  }
};

}  // namespace dsinfer
