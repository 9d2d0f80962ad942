#include "runtime/model_options.h"

#include "core/error.h"
#include "formats/expert_stats.h"
#include "runtime/context_limit.h"
#include "runtime/scheduler.h"

namespace dsinfer {

MemoryRequest memory_request(const ModelConfig& model, const OptimizationConfig& config, int64_t threads) {
  MemoryRequest r;
  r.budget_bytes = config.memory.budget_bytes;
  r.context_tokens = context_limit(model, config);
  r.kv_dtype = config.kv_dtype;
  r.mla_mode = config.mla_mode;
  r.include_mtp = config.mtp.enabled;
  r.chunk_tokens = Scheduler::kPrefillChunk;
  r.threads = threads;
  return r;
}

ModelOptions model_options(const std::string& model_dir, const OptimizationConfig& config, int64_t threads) {
  ModelOptions o;
  o.mla_mode = config.mla_mode;
  o.load_mode = config.load_mode;
  o.progress = stderr;
  if (config.memory.budget_bytes == 0) return o;
  const ModelConfig model = load_model_config(model_dir);
  o.memory = memory_request(model, config, threads);
  o.experts.policy = config.moe.cache_policy == "frequency" ? ExpertCachePolicy::kFrequency : ExpertCachePolicy::kLru;
  o.experts.prefetch_next_layer = config.moe.prefetch == "next-layer";
  if (o.experts.policy == ExpertCachePolicy::kFrequency) {
    if (config.moe.expert_stats.empty())
      throw Error(
          ErrorCode::kConfig,
          "配置项 moe.cache_policy = frequency 需要 moe.expert_stats（dsinfer profile-experts 写出的专家统计文件）");
    const ExpertStats stats = load_expert_stats(config.moe.expert_stats);
    check_expert_stats(stats, model, config.moe.expert_stats);
    o.experts.expert_counts = stats.counts;
  }
  return o;
}

}  // namespace dsinfer
