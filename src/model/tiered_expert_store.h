// TieredExpertStore：内存预算下的路由专家存储。每个 MoE 层有固定个数的槽位（常驻内存），
// 专家权重留在检查点文件里，未命中时由读盘线程绕过页缓存（core/uncached_file.h）读入槽位。
//   策略 lru：槽位满时逐出最久未用的专家。
//   策略 frequency：启动时按专家统计（profile-experts 的输出）把每层最热的专家读入并钉住，
//     其余槽位按 LRU 轮换；钉住的个数 = 槽位数 − top_k（开预取时 − 2 × top_k，至少留 1 个可轮换槽位）。
//     统计来自别的文本时热专家未必还热，而相邻 token 的路由很相似时 LRU 槽位的命中反而更多：所以每层每
//     kReviewWindow × top_k 个专家请求（解码时即 kReviewWindow 个
//     token）复核一次，钉住的专家在窗口内的命中少于轮换槽位的平均命中就解除钉住， 槽位交给
//     LRU（只解除、不重新钉住）。统计确实偏斜时热专家的命中远高于平均，钉住得以保留。
//   预取 next-layer：MoE 层 L 把层 L+1 的路由器作用在自己的输入上预测 L+1 的专家，prefetch 让读盘线程
//     在层 L 计算的同时读入；预取读请求排在“当前层正急需”的读请求之后。
// acquire 先返回已就绪的专家、让未命中的继续读：MoE 层计算这一波（与共享专家）的同时读盘，下一波再取其余的。
// 权重是原样的字节（任意 dtype，FP8 连同缩放因子），所以结果与全部常驻时逐位相同。
// 线程：acquire / prefetch 由驱动前向的线程调用；读盘线程只写正在加载的槽位，状态由一把互斥锁保护。
#pragma once

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/uncached_file.h"
#include "formats/checkpoint.h"
#include "formats/model_config.h"
#include "model/expert_store.h"

namespace dsinfer {

enum class ExpertCachePolicy { kLru, kFrequency };

struct TieredExpertStoreOptions {
  int64_t slots_per_layer = 1;
  ExpertCachePolicy policy = ExpertCachePolicy::kLru;
  bool prefetch_next_layer = false;
  // frequency 策略：层号 → 每个专家的历史路由次数（每行 n_routed_experts 个）
  std::map<int64_t, std::vector<uint64_t>> expert_counts;
  int io_threads = 8;
};

class TieredExpertStore : public ExpertStore {
 public:
  // 打开检查点的分片供直接读盘；缺专家张量、形状或 dtype 不一致在这里报错（点名张量），不在前向中。
  TieredExpertStore(const ModelConfig& config, const Checkpoint& ckpt, const TieredExpertStoreOptions& options);
  ~TieredExpertStore() override;

  // 登记一个 MoE 层（建 MoE 层时调用）：校验其全部专家张量，分配槽位表；frequency 策略下读入并钉住热专家。
  void add_layer(int64_t layer) override;

  int64_t acquire(int64_t layer, int32_t* experts, int64_t n, const ExpertWeights** out,
                  PerformanceMonitor* monitor) override;
  void prefetch(int64_t layer, const int32_t* experts, int64_t n, PerformanceMonitor* monitor) override;
  bool wants_prefetch() const override { return options_.prefetch_next_layer; }
  size_t expert_bytes(int64_t layer) const override;

  // 启动时每层钉住的个数（运行中解除的个数见 ExpertCacheStats::pins_released）
  int64_t pinned_per_layer() const;
  static constexpr int64_t kReviewWindow = 16;
  bool direct_io() const;
  // 一个槽位占用的字节（专家权重 + O_DIRECT 对齐余量）
  static size_t slot_bytes(const Checkpoint& ckpt, const ModelConfig& config, int64_t layer);

 private:
  struct Part {  // 一个专家的一个张量（gate/up/down 或其 FP8 缩放因子）
    const UncachedFile* file = nullptr;
    const TensorInfo* tensor = nullptr;
    size_t slot_offset = 0;  // 在槽位缓冲区中的起点（对齐）
  };
  struct Slot {
    enum class State { kEmpty, kLoading, kReady };
    AlignedBytes buf;  // 首次使用时分配
    int32_t expert = -1;
    State state = State::kEmpty;
    int pending = 0;  // 未完成的读请求数
    uint64_t last_use = 0, reserved = 0;
    int64_t window_hits = 0;  // 本复核窗口内的命中次数
    bool pinned = false, prefetched = false;
    bool deferred = false;  // acquire 已计过命中 / 未命中、因尚未读完而留给下一次 acquire 的专家
    std::string error;
    ExpertWeights weights;
  };
  struct Layer {
    std::vector<std::vector<Part>> parts;  // [专家][张量]
    std::vector<Slot> slots;
    std::vector<int32_t> slot_of;  // 专家 → 槽位（-1 未驻留）
    size_t slot_size = 0, expert_bytes = 0;
    int64_t window = 0;  // 本复核窗口内的专家请求数（命中 + 未命中）
  };
  struct ReadJob {
    Layer* layer;
    int32_t slot;
    size_t part;
  };

  Layer& layer_state(int64_t layer);
  // 为 expert 找一个可用的槽位并发起读盘（调用时持锁）；没有可逐出的槽位时返回 -1
  int32_t start_load(Layer& L, int32_t expert, bool urgent);
  void io_worker();
  void wait_ready(std::unique_lock<std::mutex>& lock, Layer& L, int32_t slot);
  // 解除命中少于轮换槽位平均值的钉住（调用时持锁），返回解除的个数
  int64_t review_pins(Layer& L);
  void report_io(PerformanceMonitor* monitor);  // 把新增的读盘墙钟时间计入 monitor（持锁调用）

  const ModelConfig& config_;
  const Checkpoint& ckpt_;
  TieredExpertStoreOptions options_;
  std::map<std::string, std::unique_ptr<UncachedFile>> files_;
  std::map<int64_t, Layer> layers_;

  std::mutex mu_;
  std::condition_variable done_cv_, work_cv_;
  std::deque<ReadJob> urgent_, background_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
  uint64_t clock_ = 0;
  int in_flight_ = 0;
  double io_busy_ = 0, io_reported_ = 0;
  std::chrono::steady_clock::time_point io_start_;
};

}  // namespace dsinfer
