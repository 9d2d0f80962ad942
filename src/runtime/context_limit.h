// 上下文上限：每条序列的提示 + 生成 token 数不得超过它。模型只在 max_position_embeddings 个位置上训练过
// （YaRN 检查点的这个值已是扩展之后的长度），超出之后的位置编码没有意义，所以上限只许调小、不许调大。
#pragma once

#include <cstdint>

#include "config/optimization_config.h"
#include "formats/model_config.h"

namespace dsinfer {

// 生效的上下文上限：max_context（0 = 模型的 max_position_embeddings）。
// max_context 超过 max_position_embeddings 时抛出 Error(kConfig)，消息给出两个数。
int64_t context_limit(const ModelConfig& model, const OptimizationConfig& config);

}  // namespace dsinfer
