// 由 OptimizationConfig 得出模型的加载选项（config 与 model 互不依赖，两者在 runtime 这里相遇）：
// MLA 模式、加载方式、内存预算的请求（预算、按上下文上限预留的 KV、预填充块大小、线程数、是否计入 MTP 层）
// 与专家存储的选项（替换策略、预取、frequency 策略所需的专家统计）。
#pragma once

#include <string>

#include "config/optimization_config.h"
#include "model/deepseek_model.h"

namespace dsinfer {

// 内存预算的请求（dsinfer info 与引擎共用）
MemoryRequest memory_request(const ModelConfig& model, const OptimizationConfig& config, int64_t threads);
// 完整的加载选项；frequency 策略时读入并校验 moe.expert_stats（缺文件、与模型不符都抛出 Error，点名文件与字段）
ModelOptions model_options(const std::string& model_dir, const OptimizationConfig& config, int64_t threads);

}  // namespace dsinfer
