// ServingEngine：服务端的生成循环。一个调度线程独占 Scheduler（连续批处理：请求在每一步加入、离开
// 运行中的批次，长提示分块预填充），HTTP 线程通过 submit / cancel 与它交互，各自从 RequestChannel 读事件。
//
// 准入控制（KV 池）：每个请求按 min(提示 + max_tokens + MTP 起草数, 上下文上限) 个 token 预留 KV 块，
// 池容量 = ceil(kv_pool_tokens / 块大小) 块（默认 parallel ×
// 上下文上限）。预留放得下才交给调度器，否则在本类的队列里等； 队列也满（max_queue）时 submit 立即以 503
// 拒绝。所以运行中不会因 KV 耗尽而失败，队列也不会无限增长。 每条序列都能用满上下文上限（上下文不按并行数均分）。
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/engine.h"
#include "runtime/scheduler.h"
#include "server/server_metrics.h"

namespace dsinfer::server {

struct ServingOptions {
  int64_t parallel = 16;       // 同时在途（预填充或解码）的序列数上限 = Scheduler 的 max_batch
  int64_t max_queue = 256;     // 等待 KV 预留的请求数上限，再多返回 503
  int64_t kv_pool_tokens = 0;  // KV 池容量（token）；0：parallel × 上下文上限
};

// 一条请求的事件：调度线程写入，HTTP 线程读取
class RequestChannel {
 public:
  struct Event {
    std::vector<int32_t> tokens;
    FinishReason finish = FinishReason::kNone;
    std::string error;  // 非空：生成失败（调度线程上的异常），请求就此结束
  };
  // 等到有事件（合并期间到达的全部 token）或超时；超时返回 false
  bool wait(Event& out, std::chrono::milliseconds timeout);
  int64_t prompt_tokens() const { return prompt_tokens_; }
  // 提示中由前缀缓存提供（未重新计算）的 token 数；第一个 token 到达之后有效
  int64_t cached_tokens() const { return cached_tokens_.load(); }

 private:
  friend class ServingEngine;
  void push(const std::vector<int32_t>& tokens, FinishReason finish, const std::string& error = "");

  std::mutex mu_;
  std::condition_variable cv_;
  Event pending_;
  bool has_event_ = false, finished_ = false;
  int64_t prompt_tokens_ = 0;
  std::atomic<int64_t> cached_tokens_{0};
  int64_t reserved_blocks_ = 0;
  SequenceId id_ = -1;  // 交给调度器之后的序列号
  std::chrono::steady_clock::time_point submitted_, last_token_;
  bool first_token_ = true;
};

class ServingEngine {
 public:
  ServingEngine(Engine& engine, const ServingOptions& options, ServerMetrics& metrics);
  ~ServingEngine();

  // 提示加至少 1 个新 token 超出上下文上限、或预留超过整个 KV 池 → ApiError 400；
  // 队列已满或正在关闭 → ApiError 503
  std::shared_ptr<RequestChannel> submit(GenerationRequest request);
  // 客户端断开、命中停止字符串时调用：尽快结束序列并释放它的 KV 块（已结束的忽略）
  void cancel(const std::shared_ptr<RequestChannel>& channel);
  // 不再接受新请求，等在途与排队的请求完成；grace 之后仍未完成的取消。返回时调度线程已退出。
  void shutdown(std::chrono::milliseconds grace);

  int64_t context_limit() const { return limit_; }
  int64_t kv_pool_blocks() const { return pool_blocks_; }

 private:
  void loop();
  // 调度线程上：把事件交给各请求的通道；结束的序列归还预留
  void dispatch(const StepResult& result);
  void release(RequestChannel& channel);
  void fail_running(const std::string& error);

  Engine& engine_;
  ServingOptions options_;
  ServerMetrics& metrics_;
  int64_t limit_, block_tokens_, pool_blocks_, extra_rows_;
  std::unique_ptr<Scheduler> scheduler_;                                     // 只在调度线程上使用
  std::unordered_map<SequenceId, std::shared_ptr<RequestChannel>> running_;  // 只在调度线程上使用

  std::mutex mu_;  // 保护以下成员
  std::condition_variable cv_;
  std::deque<std::pair<GenerationRequest, std::shared_ptr<RequestChannel>>> waiting_;
  std::vector<std::shared_ptr<RequestChannel>> to_cancel_;
  int64_t reserved_blocks_ = 0;
  bool accepting_ = true, stopping_ = false;
  std::thread thread_;
};

}  // namespace dsinfer::server
