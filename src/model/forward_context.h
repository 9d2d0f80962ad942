// 一次前向所需的执行环境：线程池与（可空的）性能监视器。模型本身不拥有线程。
#pragma once

#include "core/thread_pool.h"
#include "monitor/performance_monitor.h"

namespace dsinfer {

// MLA 的两种缓存方式（见 docs/architecture.md）：
//  kLatent：每 token 每层缓存 kv_lora_rank + qk_rope_head_dim 个值，解码时吸收 W_UK / W_UV；
//  kExpanded：缓存每头完整的 K（nope+rope）与 V（v_head_dim），即标准注意力基线。
enum class MlaMode { kLatent, kExpanded };

struct ForwardContext {
  ThreadPool& pool;
  PerformanceMonitor* monitor = nullptr;
};

}  // namespace dsinfer
