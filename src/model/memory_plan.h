// MemoryPlan：内存预算的账目。预算 = 常驻权重（除路由专家外的全部：词嵌入、注意力、稠密层、共享专家、范数、
// lm_head，以及 MLA 吸收用的派生矩阵）+ 专家槽位 + KV 缓存（按上下文上限预留）+ 暂存（一个预填充块的激活，
// 各层共用）+ 固定余量（分配器、分词器、线程栈）。剩下的全部给专家槽位，均分到每个 MoE 层。
// 只读检查点的头部与 config.json，不读权重：dsinfer info 与引擎用同一份计算。
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/mla_mode.h"
#include "formats/checkpoint.h"
#include "formats/model_config.h"

namespace dsinfer {

struct MemoryRequest {
  uint64_t budget_bytes = 0;
  int64_t context_tokens = 0;  // KV 缓存预留的 token 数
  DType kv_dtype = DType::kF32;
  MlaMode mla_mode = MlaMode::kLatent;
  bool include_mtp = false;    // 是否计入 NextN（MTP）层
  int64_t chunk_tokens = 512;  // 一次前向最多的 token 数（预填充块）
  int64_t threads = 1;
};

struct MemoryPlan {
  uint64_t budget_bytes = 0;
  uint64_t resident_bytes = 0;    // 常驻权重
  uint64_t expert_bytes = 0;      // 一个路由专家（gate + up + down，FP8 含缩放因子）
  uint64_t slot_bytes = 0;        // 一个槽位（专家 + O_DIRECT 对齐余量）
  uint64_t all_expert_bytes = 0;  // 全部路由专家
  int64_t moe_layers = 0, n_experts = 0;
  uint64_t kv_bytes_per_token = 0;
  int64_t kv_tokens = 0;
  uint64_t kv_bytes = 0;
  uint64_t scratch_bytes = 0;
  uint64_t reserve_bytes = 0;   // 固定余量
  int64_t slots_per_layer = 0;  // 放不下 1 个槽位时为 0
  int64_t max_context = 0;  // 每层只留 1 个槽位时 KV 最多能放下的 token 数（0：连常驻部分都放不下）

  uint64_t fixed_bytes() const { return resident_bytes + kv_bytes + scratch_bytes + reserve_bytes; }
  uint64_t slot_total_bytes() const { return uint64_t(slots_per_layer) * uint64_t(moe_layers) * slot_bytes; }
  bool fits() const { return slots_per_layer >= 1; }
  // 放不下时的说明：差多少字节、缺在哪一项（中文，供错误消息与 info 使用）
  std::string shortfall() const;
};

MemoryPlan plan_memory(const ModelConfig& config, const Checkpoint& ckpt, const MemoryRequest& request);

std::string format_bytes(uint64_t bytes);  // "12.00 GiB"

}  // namespace dsinfer
