// dsinfer info：只需 config.json（无需权重）即可打印架构、参数量（总量 / 每 token 激活）、
// 权重字节、上下文上限、两种 MLA 模式下每 token 与 --ctx 个 token 的 KV 缓存字节，以及生效的 OptimizationConfig。
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "app/engine_flags.h"
#include "app/flags.h"
#include "core/error.h"
#include "formats/checkpoint.h"
#include "model/memory_plan.h"
#include "model/model_stats.h"
#include "runtime/context_limit.h"
#include "runtime/model_options.h"

namespace dsinfer {

namespace {

bool has_weights(const std::string& dir) {
  struct stat st {};
  return ::stat((dir + "/model.safetensors").c_str(), &st) == 0 ||
         ::stat((dir + "/model.safetensors.index.json").c_str(), &st) == 0;
}

// 无权重文件时按 config 估算：FP8 检查点的线性层 1 字节（另加 128×128 分块缩放），
// 词嵌入与输出头（及 MTP 中的副本）保持 torch_dtype。
int64_t estimate_weight_bytes(const ModelConfig& c, const ParamCounts& p) {
  const int64_t b = c.torch_dtype == "float32" ? 4 : 2;
  if (!c.fp8_quantized) return (p.total + p.mtp) * b;
  const int64_t embed_like = c.vocab_size * c.hidden_size * (2 + 2 * c.num_nextn_predict_layers);
  const int64_t linear = p.total + p.mtp - embed_like;
  return linear + linear / (128 * 128) * 4 + embed_like * b;
}

std::string human_count(double n) {
  char buf[32];
  if (n >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2f B", n / 1e9);
  else if (n >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2f M", n / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.1f K", n / 1e3);
  return buf;
}

std::string human(double bytes) {
  char buf[64];
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  std::snprintf(buf, sizeof buf, "%.2f %s", bytes, units[u]);
  return buf;
}

}  // namespace

int cmd_info(int argc, char** argv) {
  FlagSet flags("info", "打印模型规模与 KV 缓存占用（只需 config.json）。");
  EngineFlags ef;
  ef.add_to(flags, true, false);
  int64_t ctx = 8192, budget = 0;
  bool json = false;
  flags.add_int("--ctx", &ctx, "计算 KV 缓存占用的上下文长度（默认 8192）");
  flags.add_int("--kv-budget", &budget, "给定 KV 缓存预算（字节），打印每种 MLA 模式可容纳的最长上下文");
  flags.add_bool("--json", &json, "以 JSON 输出");
  if (!flags.parse(argc, argv, 2)) {
    std::printf("%s", flags.help().c_str());
    return 0;
  }
  if (ctx < 0) throw Error(ErrorCode::kInvalidArgument, cat("参数 --ctx 的取值 ", ctx, " 非法"));
  if (budget < 0) throw Error(ErrorCode::kInvalidArgument, cat("参数 --kv-budget 的取值 ", budget, " 非法"));
  const OptimizationConfig oc = ef.resolve();
  const ModelConfig c = load_model_config(ef.model_dir);
  const ParamCounts p = count_params(c);
  const int64_t limit = context_limit(c, oc);

  int64_t weight_bytes;
  std::string weight_source;
  std::optional<MemoryPlan> plan;
  if (has_weights(ef.model_dir)) {
    const Checkpoint ckpt(ef.model_dir);
    weight_bytes = 0;
    for (const auto& [name, t] : ckpt.tensors()) weight_bytes += int64_t(t->nbytes);
    weight_source = "safetensors";
    if (oc.memory.budget_bytes > 0 && c.n_routed_experts > 0) {
      const int64_t threads = oc.threads > 0 ? oc.threads : int64_t(std::thread::hardware_concurrency());
      plan = plan_memory(c, ckpt, memory_request(c, oc, threads));
      // 连每层 1 个槽位都放不下：与引擎加载时相同的错误（退出码相同）
      if (!plan->fits()) throw Error(ErrorCode::kConfig, plan->shortfall());
    }
  } else {
    if (oc.memory.budget_bytes > 0)
      throw Error(ErrorCode::kIo,
                  cat("--mem-budget 需要权重文件的张量表，但目录 ", ef.model_dir, " 中没有 safetensors"));
    weight_bytes = estimate_weight_bytes(c, p);
    weight_source = "estimate";
  }
  const int64_t lat = kv_bytes_per_token(c, MlaMode::kLatent, oc.kv_dtype);
  const int64_t exp = kv_bytes_per_token(c, MlaMode::kExpanded, oc.kv_dtype);
  const std::string kv_dtype = oc.kv_dtype == DType::kF32 ? "f32" : "bf16";

  if (json) {
    nlohmann::json j;
    j["architecture"] = c.architecture_name();
    j["num_hidden_layers"] = c.num_hidden_layers;
    j["hidden_size"] = c.hidden_size;
    j["vocab_size"] = c.vocab_size;
    j["num_attention_heads"] = c.num_attention_heads;
    j["n_routed_experts"] = c.n_routed_experts;
    j["num_experts_per_tok"] = c.num_experts_per_tok;
    j["num_nextn_predict_layers"] = c.num_nextn_predict_layers;
    j["params_total"] = p.total;
    j["params_active"] = p.active;
    j["params_mtp"] = p.mtp;
    j["weight_bytes"] = weight_bytes;
    j["weight_bytes_source"] = weight_source;
    j["kv_dtype"] = kv_dtype;
    j["ctx"] = ctx;
    j["context_limit"] = limit;
    j["max_position_embeddings"] = c.max_position_embeddings;
    j["kv_bytes_per_token"] = {{"latent", lat}, {"expanded", exp}};
    j["kv_bytes_at_ctx"] = {{"latent", lat * ctx}, {"expanded", exp * ctx}};
    j["latent_over_expanded"] = double(lat) / double(exp);
    if (budget > 0)
      j["max_context_for_budget"] = {{"kv_budget_bytes", budget},
                                     {"latent", max_context_for_budget(c, MlaMode::kLatent, oc.kv_dtype, budget)},
                                     {"expanded", max_context_for_budget(c, MlaMode::kExpanded, oc.kv_dtype, budget)}};
    if (plan)
      j["memory_plan"] = {{"budget_bytes", plan->budget_bytes},
                          {"resident_bytes", plan->resident_bytes},
                          {"expert_bytes", plan->expert_bytes},
                          {"all_expert_bytes", plan->all_expert_bytes},
                          {"moe_layers", plan->moe_layers},
                          {"slot_bytes", plan->slot_bytes},
                          {"slots_per_layer", plan->slots_per_layer},
                          {"expert_slot_bytes", plan->slot_total_bytes()},
                          {"kv_tokens", plan->kv_tokens},
                          {"kv_bytes", plan->kv_bytes},
                          {"scratch_bytes", plan->scratch_bytes},
                          {"reserve_bytes", plan->reserve_bytes},
                          {"max_context", plan->max_context}};
    j["optimization"] = nlohmann::json::object();
    for (const auto& k : OptimizationConfig::keys()) j["optimization"][k.name] = k.get(oc);
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("架构:           %s（%lld 层，hidden %lld，%lld 头，词表 %lld）\n", c.architecture_name(),
              (long long)c.num_hidden_layers, (long long)c.hidden_size, (long long)c.num_attention_heads,
              (long long)c.vocab_size);
  std::printf("MLA:            q_lora_rank %lld，kv_lora_rank %lld，nope/rope/v %lld/%lld/%lld\n",
              (long long)c.q_lora_rank, (long long)c.kv_lora_rank, (long long)c.qk_nope_head_dim,
              (long long)c.qk_rope_head_dim, (long long)c.v_head_dim);
  if (c.n_routed_experts)
    std::printf("MoE:            %lld 个路由专家选 %lld 个，%lld 个共享专家，前 %lld 层稠密\n",
                (long long)c.n_routed_experts, (long long)c.num_experts_per_tok, (long long)c.n_shared_experts,
                (long long)c.first_k_dense_replace);
  std::printf("参数量:         总计 %s，每 token 激活 %s，MTP 模块 %s\n", human_count(double(p.total)).c_str(),
              human_count(double(p.active)).c_str(), human_count(double(p.mtp)).c_str());
  std::printf("权重字节:       %s（%s）\n", human(double(weight_bytes)).c_str(),
              weight_source == "safetensors" ? "safetensors 实际大小" : "按 torch_dtype 估算");
  std::printf("上下文上限:     %lld token（max_position_embeddings %lld）\n", (long long)limit,
              (long long)c.max_position_embeddings);
  std::printf("KV 缓存（%s）: 每 token latent %s，expanded %s\n", kv_dtype.c_str(), human(double(lat)).c_str(),
              human(double(exp)).c_str());
  std::printf("KV 缓存 @%lld:  latent %s，expanded %s，latent/expanded = %.2f%%\n", (long long)ctx,
              human(double(lat * ctx)).c_str(), human(double(exp * ctx)).c_str(), 100.0 * double(lat) / double(exp));
  if (budget > 0)
    std::printf("KV 预算 %s:   最长上下文 latent %lld token，expanded %lld token\n", human(double(budget)).c_str(),
                (long long)max_context_for_budget(c, MlaMode::kLatent, oc.kv_dtype, budget),
                (long long)max_context_for_budget(c, MlaMode::kExpanded, oc.kv_dtype, budget));
  if (plan) {
    const MemoryPlan& m = *plan;
    std::printf("内存预算 %s:\n", format_bytes(m.budget_bytes).c_str());
    std::printf("  常驻（非专家权重）   %s\n", format_bytes(m.resident_bytes).c_str());
    std::printf("  KV 缓存（%lld token） %s\n", (long long)m.kv_tokens, format_bytes(m.kv_bytes).c_str());
    std::printf("  暂存 + 余量          %s\n", format_bytes(m.scratch_bytes + m.reserve_bytes).c_str());
    std::printf("  专家槽位             每层 %lld / %lld 个（%lld 个 MoE 层，每个 %s），共 %s\n",
                (long long)m.slots_per_layer, (long long)m.n_experts, (long long)m.moe_layers,
                format_bytes(m.slot_bytes).c_str(), format_bytes(m.slot_total_bytes()).c_str());
    std::printf("  全部路由专家         %s（%.1f%% 常驻）\n", format_bytes(m.all_expert_bytes).c_str(),
                m.all_expert_bytes ? 100.0 * double(m.slot_total_bytes()) / double(m.all_expert_bytes) : 100.0);
    std::printf("  每层只留 1 个槽位时最长上下文 %lld token\n", (long long)m.max_context);
  }
  std::printf("\n生效的优化配置:\n%s", oc.to_toml().c_str());
  return 0;
}

}  // namespace dsinfer
