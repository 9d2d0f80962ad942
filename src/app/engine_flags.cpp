#include "app/engine_flags.h"

#include <cstdio>

#include "core/mapped_file.h"

namespace dsinfer {

void EngineFlags::add_to(FlagSet& flags, bool model_required, bool with_stats) {
  flags.add_string("-m,--model", &model_dir, "模型目录（config.json + safetensors）", model_required);
  flags.add_string("--config", &config_path, "OptimizationConfig 的 TOML 文件");
  for (const auto& key : OptimizationConfig::keys()) {
    const std::string name = key.name;
    flags.add_custom(OptimizationConfig::flag_name(name), "V", key.help + "（配置项 " + name + "）",
                     [this, name](const std::string&, const std::string& v) { overrides.emplace_back(name, v); });
  }
  flags.add_custom("--mtp", "K",
                   "MTP 自推测解码：每步起草 K 个 token（0 = 关闭；等同 --mtp-enabled 与 --mtp-draft-tokens）",
                   [this](const std::string& flag, const std::string& v) {
                     const int64_t k = parse_int(flag, v);
                     overrides.emplace_back("mtp.enabled", k > 0 ? "true" : "false");
                     if (k > 0) overrides.emplace_back("mtp.draft_tokens", v);
                   });
  flags.add_custom(
      "--mem-budget", "B",
      "内存预算，如 12G（K/M/G 为 2 的幂；等同 --memory-budget-bytes）：路由专家留在磁盘，按需读入",
      [this](const std::string&, const std::string& v) { overrides.emplace_back("memory.budget_bytes", v); });
  if (!with_stats) return;
  flags.add_bool("--stats", &stats, "结束后打印性能统计表（stderr）");
  flags.add_string("--stats-json", &stats_json, "把性能统计以 JSON 写入文件");
}

void EngineFlags::add_ctx_alias(FlagSet& flags) {
  flags.add_custom("--ctx", "N", "上下文上限：提示 + 生成的 token 数（等同 --max-context）",
                   [this](const std::string&, const std::string& v) { overrides.emplace_back("max_context", v); });
}

OptimizationConfig EngineFlags::resolve() const {
  OptimizationConfig c;
  if (!config_path.empty()) c.load_toml_file(config_path);
  c.load_environment();
  for (const auto& [k, v] : overrides) c.set(k, v);
  return c;
}

void EngineFlags::report(const PerformanceMonitor& monitor) const {
  if (stats) std::fprintf(stderr, "%s", monitor.table().c_str());
  if (!stats_json.empty()) {
    const std::string j = monitor.json() + "\n";
    write_file(stats_json, j.data(), j.size());
  }
}

}  // namespace dsinfer
