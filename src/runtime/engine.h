// Engine：命令行与（将来的）服务端使用的入口。按 OptimizationConfig 建立线程池与内核上下文（指令集路径、
// 矩阵乘精度、预取提前量，见 runtime/kernel_options.h），加载模型，持有性能监视器。
// 前向所需的 ForwardContext 只在这里构造（context()）；同一进程里的多个 Engine 各用各的设置，互不影响。
#pragma once

#include <memory>
#include <string>

#include "config/optimization_config.h"
#include "kernels/kernel_context.h"
#include "model/deepseek_model.h"
#include "monitor/performance_monitor.h"
#include "runtime/generator.h"

namespace dsinfer {

class Engine {
 public:
  Engine(const std::string& model_dir, const OptimizationConfig& config);

  DeepseekModel& model() { return *model_; }
  ThreadPool& pool() { return pool_; }
  const kernels::KernelContext& kernels() const { return kernels_; }
  PerformanceMonitor& monitor() { return monitor_; }
  const OptimizationConfig& config() const { return config_; }
  // 本引擎的前向环境：内核上下文 + 性能监视器（默认为本引擎的 monitor()；可另给一个，或 nullptr 不统计）
  ForwardContext context() { return context(&monitor_); }
  ForwardContext context(PerformanceMonitor* monitor) const { return ForwardContext{kernels_, monitor}; }
  KvCache make_cache() const { return model_->make_cache(config_.kv_dtype, config_.kv_block_size); }

  std::vector<std::vector<int32_t>> generate(const std::vector<GenerationRequest>& requests,
                                             const TokenCallback& on_token = nullptr,
                                             const FinishCallback& on_finish = nullptr);
  // 生效的上下文上限（runtime/context_limit.h）；max_context 非法时构造即抛出 Error(kConfig)
  int64_t context_limit() const { return context_limit_; }

 private:
  OptimizationConfig config_;
  ThreadPool pool_;
  kernels::KernelContext kernels_;
  PerformanceMonitor monitor_;
  std::unique_ptr<DeepseekModel> model_;
  int64_t context_limit_ = 0;
  std::unique_ptr<Generator> generator_;  // 首次生成时创建（启用 MTP 时会加载 NextN 模块）
};

}  // namespace dsinfer
