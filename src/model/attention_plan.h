// MLA 注意力的执行计划：把一批 token 切成段（同一序列、位置连续），为每段选一条计算路径。
// 选择只取决于批次（每段的查询数与上下文长度）、缓存方式与阈值，是纯函数，便于单独测试；
// MlaAttention 只按计划逐段执行（每条路径一个函数）。各路径数学上等价，只是计算顺序与代价不同。
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "model/batch.h"
#include "model/forward_context.h"

namespace dsinfer {

enum class AttentionPath {
  // latent：查询吸收 W_UK（q_abs = W_UKᵀ·q_nope），每个 token 用逐 token 内核 kernels::attention 在潜空间做 MQA，
  // 输出再乘 W_UV。解码的短上下文。
  kAbsorbedPerToken,
  // latent：同上的吸收与 W_UV，但一段的所有 (token, 头) 作为查询行共享同一组潜向量缓存行，交给分块注意力
  // kernels::FlashAttention。解码的长上下文、MTP 验证，以及解压不划算的预填充段。
  kAbsorbedFlash,
  // latent：不吸收，把潜向量缓存行逐窗口、逐头解压成 [k_nope | k_pe | v] 再做普通多头注意力
  // （kernels::windowed_attention）。解压划算的预填充段。
  kLatentExpandedFlash,
  // expanded：缓存里已是每头 K/V，每头一次分块注意力。预填充段。
  kExpandedFlash,
  // expanded：逐 token 内核 kernels::attention 做多头注意力。解码与短段。
  kExpandedPerToken,
};

// 逐 token 的路径在按头并行的区域内执行；其余（分块注意力）各自用线程池并行
inline bool is_per_token(AttentionPath p) {
  return p == AttentionPath::kAbsorbedPerToken || p == AttentionPath::kExpandedPerToken;
}

struct AttentionSegment {
  int64_t begin = 0, end = 0;  // token [begin, end)：同一序列、位置连续
  AttentionPath path = AttentionPath::kAbsorbedPerToken;
};

// 选路径所需的模型形状与阈值
struct AttentionPlanConfig {
  MlaMode mode = MlaMode::kLatent;
  int64_t kv_lora_rank = 0, qk_nope = 0, qk_rope = 0, v_dim = 0;
  // latent：W_UK 的 dtype 能否解压（matmul_nn 只支持 F32 / BF16；FP8 源加载时已反量化为 F32，F16 不能）
  bool can_expand_latent = false;
  // 分块注意力的启用阈值：一段连续查询的 token 数，或 latent 模式下的上下文长度。键数的阈值是一个缓存块：
  // 从一个整块起，共享键值的融合内核（每块键只转换一次）就比逐 token 内核快（测量见 bench/README.md）。
  int64_t flash_min_queries = 16;
  int64_t flash_min_keys = 64;
};

struct AttentionPlan {
  std::vector<AttentionSegment> segments;  // 按 token 顺序覆盖整批
  // latent：走吸收路径（kAbsorbed*）的极大连续 token 区间，跨序列合并；W_UK 吸收与 W_UV 按区间成批做矩阵乘
  std::vector<std::pair<int64_t, int64_t>> absorbed_spans;
  bool has_flash() const;  // 有走分块注意力的段（需要在按头并行区之外执行）
};

// 按批次与配置重建 plan（复用其容量，稳态下不分配内存）。
void build_attention_plan(const Batch& batch, const AttentionPlanConfig& config, AttentionPlan& plan);

// latent 模式下 n_q 个查询、n_keys 个键的一段：先把键解压成每头 K/V 再做普通多头注意力是否更省
bool latent_expansion_pays(const AttentionPlanConfig& config, int64_t n_q, int64_t n_keys);

}  // namespace dsinfer
