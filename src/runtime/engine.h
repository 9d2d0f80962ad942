// Engine：命令行与（将来的）服务端使用的入口。按 OptimizationConfig 设置指令集路径与线程数，
// 加载模型，持有线程池与性能监视器。
#pragma once

#include <memory>
#include <string>

#include "config/optimization_config.h"
#include "model/deepseek_model.h"
#include "monitor/performance_monitor.h"
#include "runtime/generator.h"

namespace dsinfer {

class Engine {
 public:
  Engine(const std::string& model_dir, const OptimizationConfig& config);

  DeepseekModel& model() { return *model_; }
  ThreadPool& pool() { return pool_; }
  PerformanceMonitor& monitor() { return monitor_; }
  const OptimizationConfig& config() const { return config_; }
  ForwardContext context() { return ForwardContext{pool_, &monitor_}; }
  KvCache make_cache() const { return model_->make_cache(config_.kv_dtype, config_.kv_block_size); }

  std::vector<std::vector<int32_t>> generate(const std::vector<GenerationRequest>& requests,
                                             const TokenCallback& on_token = nullptr);

 private:
  OptimizationConfig config_;
  ThreadPool pool_;
  PerformanceMonitor monitor_;
  std::unique_ptr<DeepseekModel> model_;
  std::unique_ptr<Generator> generator_;  // 首次生成时创建（启用 MTP 时会加载 NextN 模块）
};

// 按配置项 isa（auto / scalar / avx2 / avx512）设置内核路径。
void apply_isa(const std::string& isa);

}  // namespace dsinfer
