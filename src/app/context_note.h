// 生成到达上下文上限时在 stderr 给用户的提示：输出比 -n 要求的短，用户需要知道不是模型自己停下的。
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/generator.h"

namespace dsinfer {

// 收集各请求的结束原因（作为 Engine::generate 的 on_finish），生成结束后 report 打印提示。
class ContextNote {
 public:
  explicit ContextNote(size_t n_requests) : finish_(n_requests, FinishReason::kNone) {}
  FinishCallback callback() {
    return [this](size_t i, FinishReason r) { finish_[i] = r; };
  }
  // results[i] 以 length 结束且短于 max_new_tokens：到达了上下文上限 limit
  void report(const std::vector<std::vector<int32_t>>& results, int64_t max_new_tokens, int64_t limit) const;

 private:
  std::vector<FinishReason> finish_;
};

}  // namespace dsinfer
