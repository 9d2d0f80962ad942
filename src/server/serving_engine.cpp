#include "server/serving_engine.h"

#include <algorithm>

#include "core/error.h"
#include "runtime/context_limit.h"
#include "server/api_error.h"

namespace dsinfer::server {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int64_t ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

}  // namespace

bool RequestChannel::wait(Event& out, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return has_event_; })) return false;
  out = std::move(pending_);
  pending_ = Event{};
  has_event_ = false;
  return true;
}

void RequestChannel::push(const std::vector<int32_t>& tokens, FinishReason finish, const std::string& error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    pending_.tokens.insert(pending_.tokens.end(), tokens.begin(), tokens.end());
    if (finish != FinishReason::kNone || !error.empty()) {
      pending_.finish = finish;
      pending_.error = error;
      finished_ = true;
    }
    has_event_ = true;
  }
  cv_.notify_all();
}

ServingEngine::ServingEngine(Engine& engine, const ServingOptions& options, ServerMetrics& metrics)
    : engine_(engine), options_(options), metrics_(metrics), limit_(engine.context_limit()) {
  if (options_.parallel < 1)
    throw Error(ErrorCode::kInvalidArgument, cat("--parallel 的取值 ", options_.parallel, " 非法（应 ≥ 1）"));
  if (options_.max_queue < 0)
    throw Error(ErrorCode::kInvalidArgument, cat("--max-queue 的取值 ", options_.max_queue, " 非法（应 ≥ 0）"));
  OptimizationConfig config = engine.config();
  config.max_batch = options_.parallel;
  block_tokens_ = config.kv_block_size;
  // 启用 MTP 时验证行会临时多占起草数个位置
  extra_rows_ = config.mtp.enabled ? config.mtp.draft_tokens : 0;
  if (options_.kv_pool_tokens < 0)
    throw Error(ErrorCode::kInvalidArgument, cat("--kv-pool-tokens 的取值 ", options_.kv_pool_tokens, " 非法"));
  pool_blocks_ = options_.kv_pool_tokens > 0 ? ceil_div(options_.kv_pool_tokens, block_tokens_)
                                             : options_.parallel * ceil_div(limit_, block_tokens_);
  scheduler_ = std::make_unique<Scheduler>(engine.model(), engine.context(), config);
  // 前缀缓存的块与在途序列的块共用 KV 池：池需要空间时逐出最久未用的缓存块
  if (config.prefix_cache && !config.mtp.enabled) scheduler_->cache().set_pool_blocks(pool_blocks_);
  metrics_.set_kv_blocks(0, 0, pool_blocks_, 0);
  thread_ = std::thread([this] { loop(); });
}

ServingEngine::~ServingEngine() {
  shutdown(std::chrono::milliseconds(0));
}

std::shared_ptr<RequestChannel> ServingEngine::submit(GenerationRequest request) {
  const int64_t P = int64_t(request.prompt.size());
  if (P == 0) throw invalid_request("提示为空", "prompt");
  if (P + 1 > limit_)
    throw ApiError(400, "invalid_request_error",
                   cat("提示有 ", P, " 个 token，超过上下文上限 ", limit_, "（提示加至少 1 个新 token 须在上限之内）"),
                   "messages");
  request.max_new_tokens = std::min(request.max_new_tokens, limit_ - P);
  auto channel = std::make_shared<RequestChannel>();
  channel->prompt_tokens_ = P;
  channel->reserved_blocks_ = ceil_div(std::min(P + request.max_new_tokens + extra_rows_, limit_), block_tokens_);
  if (channel->reserved_blocks_ > pool_blocks_)
    throw ApiError(
        400, "invalid_request_error",
        cat("请求需要 ", channel->reserved_blocks_ * block_tokens_, " 个 token 的 KV 空间，超过 KV 池的容量 ",
            pool_blocks_ * block_tokens_, "（--kv-pool-tokens；减小 max_tokens 或加大池）"),
        "max_tokens");
  channel->submitted_ = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!accepting_) throw ApiError(503, "server_error", "服务正在关闭，不再接受新请求");
    if (int64_t(waiting_.size()) >= options_.max_queue)
      throw ApiError(503, "server_error",
                     cat("排队的请求已达上限 ", options_.max_queue, "（--max-queue），请稍后重试"));
    waiting_.emplace_back(std::move(request), channel);
  }
  cv_.notify_all();
  return channel;
}

void ServingEngine::cancel(const std::shared_ptr<RequestChannel>& channel) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    to_cancel_.push_back(channel);
  }
  cv_.notify_all();
}

void ServingEngine::shutdown(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    accepting_ = false;
  }
  cv_.notify_all();
  const auto deadline = Clock::now() + grace;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // 调度线程每步之后通知：等排队与在途都结束，或到期
    cv_.wait_until(lock, deadline, [&] { return stopping_ || (waiting_.empty() && reserved_blocks_ == 0); });
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ServingEngine::release(RequestChannel& channel) {
  std::lock_guard<std::mutex> lock(mu_);
  reserved_blocks_ -= channel.reserved_blocks_;
  channel.reserved_blocks_ = 0;
}

void ServingEngine::dispatch(const StepResult& result) {
  const auto now = Clock::now();
  for (const SequenceEvent& e : result.events) {
    const auto it = running_.find(e.id);
    if (it == running_.end()) continue;
    RequestChannel& ch = *it->second;
    if (e.cached_prompt_tokens >= 0) {
      ch.cached_tokens_ = e.cached_prompt_tokens;
      metrics_.add_cached_prompt_tokens(e.cached_prompt_tokens);
    }
    if (!e.tokens.empty()) {
      if (ch.first_token_) {
        metrics_.observe_ttft(seconds_between(ch.submitted_, now));
        ch.first_token_ = false;
      } else {
        // 一步输出多个 token（MTP 接受了草稿）时，间隔按个数均分
        const double gap = seconds_between(ch.last_token_, now) / double(e.tokens.size());
        for (size_t i = 0; i < e.tokens.size(); ++i) metrics_.observe_inter_token(gap);
      }
      ch.last_token_ = now;
    }
    ch.push(e.tokens, e.finish);
    if (e.finish != FinishReason::kNone) {
      release(ch);
      running_.erase(it);
    }
  }
}

void ServingEngine::fail_running(const std::string& error) {
  for (auto& [id, ch] : running_) {
    scheduler_->cancel(id);
    ch->push({}, FinishReason::kNone, error);
    release(*ch);
  }
  running_.clear();  // 取消的事件在下一步报告，已无人认领
}

void ServingEngine::loop() {
  std::vector<std::pair<GenerationRequest, std::shared_ptr<RequestChannel>>> admitted;
  std::vector<std::shared_ptr<RequestChannel>> cancels;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stopping_ || !to_cancel_.empty() || !scheduler_->idle() ||
               (!waiting_.empty() && reserved_blocks_ + waiting_.front().second->reserved_blocks_ <= pool_blocks_);
      });
      if (stopping_) break;
      cancels.swap(to_cancel_);
      for (const auto& ch : cancels) {
        // 还在排队的直接移出队列
        const auto w = std::find_if(waiting_.begin(), waiting_.end(), [&](const auto& x) { return x.second == ch; });
        if (w == waiting_.end()) continue;
        waiting_.erase(w);
        ch->push({}, FinishReason::kCancelled);
      }
      // 按到达的先后准入（队首放不下时后面的也等，避免长请求饿死）
      while (!waiting_.empty() && reserved_blocks_ + waiting_.front().second->reserved_blocks_ <= pool_blocks_) {
        reserved_blocks_ += waiting_.front().second->reserved_blocks_;
        admitted.push_back(std::move(waiting_.front()));
        waiting_.pop_front();
      }
      metrics_.set_queue(int64_t(waiting_.size()), int64_t(running_.size() + admitted.size()));
    }
    for (const auto& ch : cancels)
      if (ch->id_ >= 0 && running_.count(ch->id_)) scheduler_->cancel(ch->id_);
    cancels.clear();
    for (auto& [request, ch] : admitted) {
      ch->id_ = scheduler_->add(request);
      running_[ch->id_] = ch;
    }
    admitted.clear();
    try {
      dispatch(scheduler_->step());
    } catch (const std::exception& e) {
      fail_running(cat("生成失败：", e.what()));
    }
    PerformanceMonitor& m = engine_.monitor();
    metrics_.set_mtp(m.mtp_drafted_tokens(), m.mtp_accepted_tokens());
    {
      std::lock_guard<std::mutex> lock(mu_);
      metrics_.set_kv_blocks(scheduler_->cache().used_blocks(), reserved_blocks_, pool_blocks_,
                             scheduler_->cache().cached_blocks());
      metrics_.set_queue(int64_t(waiting_.size()), int64_t(running_.size()));
    }
    cv_.notify_all();
  }
  // 关闭：取消仍在途与排队的请求
  for (auto& [id, ch] : running_) {
    scheduler_->cancel(id);
    ch->push({}, FinishReason::kCancelled);
  }
  running_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [request, ch] : waiting_) ch->push({}, FinishReason::kCancelled);
  waiting_.clear();
  reserved_blocks_ = 0;
}

}  // namespace dsinfer::server
