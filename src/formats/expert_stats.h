// 专家统计文件（dsinfer profile-experts 写出，moe.expert_stats 读入）：每个 MoE 层每个路由专家在真实文本上
// 被路由到的次数，供 frequency 缓存策略在启动时钉住每层最热的专家。格式是 JSON：
//   {"format": "dsinfer-expert-stats", "version": 1, "model": "<模型目录名>", "tokens": <统计用的 token 数>,
//    "n_routed_experts": E, "num_experts_per_tok": k,
//    "layers": [{"layer": L, "counts": [E 个非负整数]}, ...]}
// 层号与模型相同（MTP 模块的层号接在主模型各层之后）。文件来自用户，按不可信输入解析：任何错误都点名文件与字段。
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "formats/model_config.h"

namespace dsinfer {

struct ExpertStats {
  std::string model;
  int64_t tokens = 0;
  int64_t n_routed_experts = 0;
  int64_t num_experts_per_tok = 0;
  std::map<int64_t, std::vector<uint64_t>> counts;  // 层号 → 每个专家的路由次数
};

// 解析文件文本；path 只用于错误消息。格式错误抛出 Error(kFormat)。
ExpertStats parse_expert_stats(const std::string& text, const std::string& path);
ExpertStats load_expert_stats(const std::string& path);
// 原子地写出（先写临时文件再改名），失败抛出 Error(kIo)。
void save_expert_stats(const std::string& path, const ExpertStats& stats);
std::string expert_stats_json(const ExpertStats& stats);

// 统计与要加载的模型是否相符：专家数、top-k 相同，每个层号都是该模型的 MoE 层（含 MTP 层）。
// 不符抛出 Error(kConfig)，点名文件与不符的字段。缺某层的统计不在这里报错：只有真正用到的层才需要。
void check_expert_stats(const ExpertStats& stats, const ModelConfig& config, const std::string& path);

}  // namespace dsinfer
