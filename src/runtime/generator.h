// Generator：一次性生成的简单入口（命令行 run / chat、基准、测试）：把请求全部交给 Scheduler，
// 推进到全部结束，流式回调每个新 token，按请求收集输出。采样请求 i 的种子 = seed + i。
// 同时在途的请求至多 max_batch 条；启用 MTP（mtp.enabled）时解码由推测解码完成。
// 计时写入 PerformanceMonitor（预填充、解码、首 token 延迟、KV 字节）。
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "config/optimization_config.h"
#include "model/deepseek_model.h"
#include "runtime/generation_request.h"
#include "runtime/scheduler.h"

namespace dsinfer {

// (请求序号, 新 token)
using TokenCallback = std::function<void(size_t, int32_t)>;
// (请求序号, 它在调度器中的 id)
using AddedCallback = std::function<void(size_t, SequenceId)>;
// (请求序号, 结束原因)：length 且输出少于 max_new_tokens 时是到达了上下文上限
using FinishCallback = std::function<void(size_t, FinishReason)>;

// 把 requests 全部加入 scheduler（请求 i 的采样种子 = seed + i），推进到全部结束，返回每个请求生成的
// token（不含提示；若生成了 EOS，EOS 是最后一个）。on_added 在全部加入之后、第一步之前逐个调用
// （例如给 OracleDraftSource 登记已知续写），on_finish 在每个请求结束时调用。任一请求不合法（含提示超过
// 上下文上限）时什么都不加入，抛出 Error(kInvalidArgument)；中途出错时取消这些请求再抛出。
std::vector<std::vector<int32_t>> run_to_completion(Scheduler& scheduler,
                                                    const std::vector<GenerationRequest>& requests,
                                                    const TokenCallback& on_token = nullptr,
                                                    const AddedCallback& on_added = nullptr,
                                                    const FinishCallback& on_finish = nullptr);

class Generator {
 public:
  // ctx：内核上下文与性能监视器（Engine::context()）
  Generator(DeepseekModel& model, const ForwardContext& ctx, const OptimizationConfig& config);

  std::vector<std::vector<int32_t>> generate(const std::vector<GenerationRequest>& requests,
                                             const TokenCallback& on_token = nullptr,
                                             const FinishCallback& on_finish = nullptr);

 private:
  Scheduler scheduler_;
};

}  // namespace dsinfer
