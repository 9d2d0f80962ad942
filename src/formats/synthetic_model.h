// 合成模型：按真实 DeepSeek 形状（预设 v2-lite / v2 / v3，可覆盖层数、专家数、词表、dtype）写出
// 随机权重的 Hugging Face 检查点（config.json + 分片 safetensors + 索引），用于真实规模的
// 速度与内存测量。权重 ~ N(0, 1/fan_in)，范数权重 ≈ 1，路由器随机，使路由不退化；
// FP8 按 128×128 块计算 scale = max|w|/448 并写 weight_scale_inv。
// 随机数是基于计数器的（种子 + 张量名 + 下标），生成可并行且与线程数无关。
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "core/dtype.h"
#include "core/thread_pool.h"

namespace dsinfer {

struct SyntheticModelSpec {
  std::string preset = "v2-lite";  // v2-lite | v2 | v3
  int64_t layers = 0;              // 0：预设值
  int64_t experts = 0;             // 0：预设值
  int64_t vocab = 0;               // 0：预设值
  int64_t mtp_layers = -1;         // NextN（MTP）层数；< 0：预设值（v3 为 1，其余为 0）
  int64_t top_k = 0;               // 每个 token 的路由专家数（num_experts_per_tok）；0：预设值
  // 稠密对照：所有层都是稠密 FFN，intermediate_size 取使 FFN 参数总量等于同预设 MoE 模型的值
  // （首个稠密层 + 各 MoE 层的路由与共享专家之和按层平均），用于比较同样总大小的 MoE 与稠密模型
  bool dense = false;
  DType dtype = DType::kBF16;
  uint64_t seed = 0;
  int64_t shard_bytes = int64_t(2) << 30;  // 每个分片的大致上限
};

// 预设的 config.json 文本（应用覆盖项后）；非法预设或覆盖抛出 Error(kInvalidArgument)。
std::string synthetic_config_json(const SyntheticModelSpec& spec);
// 写出完整模型目录（目录须已存在或可创建）。progress 非空且是终端时在其上显示进度条。
void write_synthetic_model(const SyntheticModelSpec& spec, const std::string& dir, ThreadPool& pool,
                           FILE* progress = nullptr);

}  // namespace dsinfer
