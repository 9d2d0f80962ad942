// ExpertCacheStats：内存预算下专家存储（model/tiered_expert_store.h）的命中与读盘统计。
// 命中 / 未命中按“某层某专家被一次前向请求”计：同一前向里同一专家只计一次，与 token 数无关。
// 预取：issued = 发起的预取读盘数；used = 其中在被逐出前真的被请求到的；precision = used / issued；
// recall = used / (used + misses)，即本会未命中的请求中被预取覆盖的比例。
// stall_seconds = 前向线程等读盘的时间；io_seconds = 至少有一个读请求在进行的墙钟时间，
// read_gbps = bytes_read / io_seconds（实际达到的读带宽）。
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsinfer {

struct ExpertCacheStats {
  struct Layer {
    int64_t hits = 0, misses = 0;
  };
  bool enabled = false;  // 是否启用了专家存储（未设内存预算时为 false，统计不输出）
  std::string policy;    // lru | frequency
  std::string prefetch;  // off | next-layer
  int64_t slots_per_layer = 0, pinned_per_layer = 0;
  int64_t pins_released = 0;  // frequency 策略运行中解除的钉住（各层合计）：命中不如轮换槽位的热专家
  bool direct_io = false;     // 读盘是否为 O_DIRECT
  std::vector<Layer> layers;  // 下标为层号（稠密层全零）
  int64_t prefetch_issued = 0, prefetch_used = 0;
  uint64_t bytes_read = 0;
  double stall_seconds = 0, io_seconds = 0;

  int64_t hits() const;
  int64_t misses() const;
  static double rate(int64_t hits, int64_t misses) { return hits + misses ? double(hits) / double(hits + misses) : 0; }
  double hit_rate() const { return rate(hits(), misses()); }
  double prefetch_precision() const;
  double prefetch_recall() const;
  double read_gbps() const { return io_seconds > 0 ? double(bytes_read) / io_seconds / 1e9 : 0; }
  void add_layer(int64_t layer, int64_t hits, int64_t misses);
  // 两次快照之差（计数与时间相减，配置字段取 after 的）：bench 分别统计预填充与解码
  static ExpertCacheStats delta(const ExpertCacheStats& after, const ExpertCacheStats& before);
};

}  // namespace dsinfer
