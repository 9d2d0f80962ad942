#include "app/context_note.h"

#include <cstdio>
#include <string>

namespace dsinfer {

void ContextNote::report(const std::vector<std::vector<int32_t>>& results, int64_t max_new_tokens,
                         int64_t limit) const {
  std::fflush(stdout);  // 提示跟在已输出的文本之后
  for (size_t i = 0; i < results.size(); ++i) {
    const int64_t n = int64_t(results[i].size());
    if (finish_[i] != FinishReason::kLength || n >= max_new_tokens) continue;
    const std::string who = results.size() > 1 ? "第 " + std::to_string(i) + " 条序列：" : "";
    std::fprintf(stderr, "%s已达到上下文上限 %lld，生成在第 %lld 个 token 停止\n", who.c_str(), (long long)limit,
                 (long long)n);
  }
}

}  // namespace dsinfer
