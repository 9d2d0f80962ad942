// Scheduler：逐步推进的生成运行时（连续批处理）。它拥有在途序列与主模型的 KV 缓存；请求随时可以
// add 进来、cancel 掉，每次 step() 组成一个批次、做一次 Model::forward：
//   - 解码行：每条解码中的序列一行 t_L（启用 MTP 时是验证行 [t_L, d_1 … d_k]，草稿在前向之前起草）；
//   - 预填充行：仍在预填充的序列按加入的先后各取一块提示，合计不超过 kPrefillChunk 个 token
//     （长提示分块预填充，与别的序列的解码步交错）。
// 同时在途（预填充或解码）的序列至多 max_batch 条，其余排队。序列遇到 EOS / 停止 token（stop）、达到
// max_new_tokens 或上下文上限（都是 length）就结束；结束或取消的序列立即归还 KV 块与 MTP 状态。
// 上下文上限（runtime/context_limit.h）：提示 + 已输出 token 数到达上限即结束，所以缓存长度总小于上限；
// 启用 MTP 时临近上限的序列少起草几个，起草与验证的位置都不越过上限（见 plan_batch）。
// 每条序列一个 Sampler（种子取请求里的 seed），它的随机数只被这条序列消耗，所以输出与批次组成无关。
// 前缀缓存（config.prefix_cache，model/kv_cache.h）：序列预填充完成与结束时把写满的块登记，新序列开始时
// 引用与已登记块相同的提示前缀，只预填充其余部分（至少最后一个提示 token 要算，以得到它的 logits）。
// 启用 MTP 时不引用：MTP 模块要每个提示位置的隐状态。
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "config/optimization_config.h"
#include "model/deepseek_model.h"
#include "runtime/draft_source.h"
#include "runtime/generation_request.h"
#include "runtime/sampler.h"
#include "runtime/speculator.h"

namespace dsinfer {

enum class SequenceState { kWaiting, kPrefilling, kDecoding, kFinished };
enum class FinishReason { kNone, kStop, kLength, kCancelled };

// 一条序列在一步中发生的事
struct SequenceEvent {
  SequenceId id = 0;
  std::vector<int32_t> tokens;                // 本步输出的 token（不含停止之后的）
  FinishReason finish = FinishReason::kNone;  // 非 kNone：本步结束（此后它不再出现）
  int64_t cached_prompt_tokens = -1;  // 预填充在本步完成时：提示中由前缀缓存提供的 token 数
};

struct StepResult {
  std::vector<SequenceEvent> events;  // 本步输出了 token 或结束了的序列（含上一步之后被取消的）
  int64_t prefill_tokens = 0;         // 本步预填充的提示 token 数
  int64_t decode_rows = 0;            // 本步的解码行数（含 MTP 验证行）
};

class Scheduler {
 public:
  // 启用 MTP（config.mtp.enabled）时草稿来自 drafts（为空则用 MtpDraftSource）。
  // ctx：内核上下文与（可空的）性能监视器（Engine::context()）。
  Scheduler(DeepseekModel& model, const ForwardContext& ctx, const OptimizationConfig& config,
            std::unique_ptr<DraftSource> drafts = nullptr);

  // 请求不合法的原因（空字符串 = 合法）：request_error 之外，提示加至少 1 个新 token 须在上下文上限之内。
  std::string validate(const GenerationRequest& request) const;
  // 加入一个请求（排队，下一步起按容量开始预填充）。请求不合法时抛出 Error(kInvalidArgument)。
  SequenceId add(const GenerationRequest& request);
  // 立即结束一条未结束的序列并释放它的 KV 块与 MTP 状态；下一步的结果里报告（原因 kCancelled）。
  // 返回它是否还在途（已结束的返回 false）；从未加入的 id 抛出 Error(kInvalidArgument)。
  bool cancel(SequenceId id);
  // 推进一步：一个批次、一次前向（没有可做的行时不前向，只报告取消）。
  StepResult step();
  // 同上，但启用 MTP 时本步起草 k 个（0 = 普通解码一步），不经自适应选择。
  StepResult step(int64_t draft_tokens);

  bool idle() const { return seqs_.empty() && cancelled_.empty(); }
  SequenceState state(SequenceId id) const;  // 已结束（含已取消）的序列为 kFinished
  const KvCache& cache() const { return cache_; }
  KvCache& cache() { return cache_; }
  int64_t context_limit() const { return limit_; }

  // 每步预填充 token 的预算（也限制了一次前向的暂存内存）
  static constexpr int64_t kPrefillChunk = 512;

 private:
  using Clock = std::chrono::steady_clock;
  struct Sequence {
    explicit Sequence(const GenerationRequest& r) : request(r), sampler(r.sampling) {}
    SequenceId id = 0;
    GenerationRequest request;
    Sampler sampler;
    SequenceState state = SequenceState::kWaiting;
    int32_t kv = -1;                   // 主缓存中的序列 id
    int64_t prefilled = 0;             // 已预填充的提示 token 数（含前缀缓存提供的）
    int64_t cached = 0;                // 前缀缓存提供的提示 token 数
    std::vector<int32_t> output;       // 已输出的 token
    std::vector<float> prompt_hidden;  // 启用 MTP：提示各位置的最终隐状态 [prefilled, hidden]
    int64_t generated = 0;             // 已输出的 token 数
    int64_t total() const { return int64_t(request.prompt.size()) + generated; }
    int32_t next = 0;            // 最后输出、尚未经主模型处理的 token t_L
    Clock::time_point admitted;  // 开始预填充的时刻（首 token 延迟的起点）
  };
  // 批次中属于同一条序列的连续若干行
  struct Segment {
    Sequence* seq;
    int64_t rows;
    bool prefill;
  };

  StepResult run_step(int64_t draft_tokens);
  void admit(Clock::time_point now, std::vector<SequenceEvent>& events);
  // 起草并组成本步的批次（batch_、segments_）
  void plan_batch(ForwardContext& ctx, int64_t draft_tokens, StepResult& result);
  // 前向之后：接受 / 采样、输出、预填充完成的序列转入解码；返回解码行输出的 token 数
  int64_t process_outputs(StepResult& result);
  // 输出 tokens（遇停止或长度上限即结束，之后的丢弃）；返回实际输出的个数
  int64_t emit(Sequence& s, const int32_t* tokens, int64_t n, std::vector<SequenceEvent>& events);
  void finish(Sequence& s, FinishReason reason, std::vector<SequenceEvent>& events);
  void publish(Sequence& s);  // 把序列已写满的块登记到前缀缓存
  void record(PerformanceMonitor& m, const StepResult& r, int64_t decoded, double seconds);
  bool is_stop(const GenerationRequest& r, int32_t token) const;

  DeepseekModel& model_;
  ForwardContext ctx_;
  const OptimizationConfig config_;
  PerformanceMonitor* monitor_;  // = ctx_.monitor
  const int64_t limit_;          // 上下文上限
  KvCache cache_;
  std::unique_ptr<Speculator> speculator_;  // 启用 MTP 时
  std::vector<Sequence> seqs_;              // 未结束的序列，按加入的先后
  std::vector<SequenceEvent> cancelled_;    // 已取消、尚未报告的序列
  SequenceId next_id_ = 0;
  size_t kv_peak_ = 0;  // 本轮忙碌期（两次空闲之间）的 KV 峰值

  // 每步的暂存
  Batch batch_;
  ForwardOutputs out_;
  std::vector<Segment> segments_;
  std::vector<SequenceId> decode_ids_;
  std::vector<Sampler*> decode_samplers_;
  std::vector<int64_t> decode_room_;
  std::vector<int32_t> emitted_;
};

}  // namespace dsinfer
