#include "runtime/context_limit.h"

#include <algorithm>

#include "core/error.h"

namespace dsinfer {

int64_t context_limit(const ModelConfig& model, const OptimizationConfig& config) {
  const int64_t trained = model.max_position_embeddings;
  if (config.max_context == 0)
    return config.memory.budget_bytes > 0 ? std::min(trained, kBudgetDefaultContext) : trained;
  if (config.max_context > trained)
    throw Error(ErrorCode::kConfig,
                cat("配置项 max_context 的取值 ", config.max_context, " 超过模型的 max_position_embeddings ", trained));
  return config.max_context;
}

}  // namespace dsinfer
