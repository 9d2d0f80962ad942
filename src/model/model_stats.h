// 只由 ModelConfig 推出的规模统计（不需要权重文件）：参数量（总量 / 每 token 激活量，主干与 MTP 分开）、
// 按 dtype 估算的权重字节、每 token 每种 MLA 模式的 KV 缓存字节。dsinfer info 与 bench 用它。
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "formats/model_config.h"
#include "model/forward_context.h"

namespace dsinfer {

struct ParamCounts {
  int64_t total = 0;   // 主干全部参数（含词嵌入与 lm_head）
  int64_t active = 0;  // 解码一个 token 用到的参数（MoE 只算 top-k 个路由专家）
  int64_t mtp = 0;     // MTP（NextN）模块的参数（含其词嵌入与输出头副本）
};

ParamCounts count_params(const ModelConfig& config);
// 每 token 的 KV 缓存字节（所有层）
int64_t kv_bytes_per_token(const ModelConfig& config, MlaMode mode, DType kv_dtype);
// 给定 KV 预算（字节）能容纳的最长上下文（token 数，按整块 64 向下取整前的精确值）
int64_t max_context_for_budget(const ModelConfig& config, MlaMode mode, DType kv_dtype, int64_t budget_bytes);

}  // namespace dsinfer
