// 需要加载模型的子命令共用的参数：-m、--config、每个 OptimizationConfig 配置项对应的参数、
// --stats / --stats-json。命令行上的配置项总是在 --config 文件之后生效（与参数顺序无关）。
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "app/flags.h"
#include "config/optimization_config.h"
#include "monitor/performance_monitor.h"

namespace dsinfer {

struct EngineFlags {
  std::string model_dir;
  std::string config_path;
  std::vector<std::pair<std::string, std::string>> overrides;  // (配置项, 取值)
  bool stats = false;
  std::string stats_json;

  // 注册 -m/--model（required 时必填）、--config 与全部配置项参数；with_stats 时再注册 --stats 与 --stats-json。
  void add_to(FlagSet& flags, bool model_required = true, bool with_stats = true);
  // 生成类子命令（run、chat）的简写 --ctx N，等同 --max-context N（bench、info 的 --ctx 另有含义）
  void add_ctx_alias(FlagSet& flags);
  // 默认值 → --config 文件 → 环境变量（DSINFER_ISA 等，见 docs/config.md）→ 命令行覆盖
  OptimizationConfig resolve() const;
  // 按 --stats / --stats-json 输出统计（表格到 stderr，JSON 写文件）
  void report(const PerformanceMonitor& monitor) const;
};

}  // namespace dsinfer
