// 一次前向所需的执行环境：内核上下文（指令集路径、矩阵乘精度、预取提前量与线程池，见 kernels/kernel_context.h）
// 与（可空的）性能监视器。模型本身不拥有线程，也不保存内核设置：模型代码经 ctx.kernels 调用内核。
// 由 runtime 构造（Engine::context()），测试可直接构造。
#pragma once

#include "core/mla_mode.h"
#include "core/thread_pool.h"
#include "kernels/kernel_context.h"
#include "monitor/performance_monitor.h"

namespace dsinfer {

struct ForwardContext {
  kernels::KernelContext kernels;
  PerformanceMonitor* monitor = nullptr;

  ThreadPool& pool() const { return kernels.pool(); }
};

}  // namespace dsinfer
