// ExpertStore：MoE 层取路由专家权重的唯一入口。两种实现：
//   ResidentExpertStore —— 全部专家常驻（映射或读入的检查点），acquire 永远全部命中；
//   TieredExpertStore   —— 内存预算下只有有限个“槽位”常驻，其余按需从检查点文件读盘（tiered_expert_store.h）。
// MoE 层按“波次”使用它：把本次前向需要的专家列表交给 acquire，存储一次最多让其中能同时容纳的一批驻留，
// 层算完这一批再要下一批——所以一个预填充块里每层的每个专家只读一次盘，而不是每个 token 一次。
// 层 L 计算时可用 prefetch 提示层 L+1 很快会用哪些专家（由层 L+1 的路由器作用于层 L 的输入预测）。
// 抽象只有“驻留 / 未驻留”两态，GPU 后端可以在其后挂显存 / 主机内存 / 磁盘三级而不改 MoE 层。
#pragma once

#include <cstdint>

#include "core/weight.h"
#include "monitor/performance_monitor.h"

namespace dsinfer {

// 一个路由专家的三个投影：gate/up [moe_inter, hidden]，down [hidden, moe_inter]
struct ExpertWeights {
  Weight gate, up, down;
  size_t bytes() const { return gate.bytes() + up.bytes() + down.bytes(); }
};

class ExpertStore {
 public:
  virtual ~ExpertStore() = default;

  // 登记一个 MoE 层（MoE 层构造时调用）：校验并准备该层全部路由专家，缺张量或形状不符时抛出 Error（点名张量）
  virtual void add_layer(int64_t layer) = 0;

  // 让 experts[0, n) 中的一批专家驻留，返回 m（1 ≤ m ≤ n）：调用后 experts[0, m) 均已驻留
  // （实现可以重排 experts，把已驻留的排在前面；可以先返回已就绪的，让其余的在调用者计算时读入），
  // 其权重写入 out[0, m)。这些视图在同一层下一次
  // acquire 之前保持有效。读盘失败抛出 Error(kIo)，消息含文件与张量名。monitor 可为空。
  virtual int64_t acquire(int64_t layer, int32_t* experts, int64_t n, const ExpertWeights** out,
                          PerformanceMonitor* monitor) = 0;
  // 提示：layer 很快会用到 experts[0, n)，可以开始异步读取。不需要预取的实现忽略它。
  virtual void prefetch(int64_t layer, const int32_t* experts, int64_t n, PerformanceMonitor* monitor) {
    (void)layer, (void)experts, (void)n, (void)monitor;
  }
  // 是否值得预测并调用 prefetch（全部常驻时不必花路由器的计算）
  virtual bool wants_prefetch() const { return false; }
  // 某层一个专家的权重字节（各专家相同）
  virtual size_t expert_bytes(int64_t layer) const = 0;
};

}  // namespace dsinfer
