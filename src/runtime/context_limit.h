// 上下文上限：每条序列的提示 + 生成 token 数不得超过它。模型只在 max_position_embeddings 个位置上训练过
// （YaRN 检查点的这个值已是扩展之后的长度），超出之后的位置编码没有意义，所以上限只许调小、不许调大。
#pragma once

#include <cstdint>

#include "config/optimization_config.h"
#include "formats/model_config.h"

namespace dsinfer {

// 设了内存预算而没设 max_context 时，默认上限取 min(max_position_embeddings, kBudgetDefaultContext)：
// KV 缓存按上限计入预算，用模型的最长位置（可达十几万）会把预算全给 KV。
inline constexpr int64_t kBudgetDefaultContext = 4096;

// 生效的上下文上限：max_context（0 = 模型的 max_position_embeddings，或见上面的预算默认值）。
// max_context 超过 max_position_embeddings 时抛出 Error(kConfig)，消息给出两个数。
int64_t context_limit(const ModelConfig& model, const OptimizationConfig& config);

}  // namespace dsinfer
