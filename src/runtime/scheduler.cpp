#include "runtime/scheduler.h"

#include <algorithm>

#include "core/error.h"
#include "runtime/context_limit.h"
#include "runtime/mtp_draft_source.h"

namespace dsinfer {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

std::string request_error(const GenerationRequest& request) {
  if (request.prompt.empty()) return "提示为空";
  if (request.max_new_tokens < 0) return cat("生成 token 数 ", request.max_new_tokens, " 非法");
  return "";
}

Scheduler::Scheduler(DeepseekModel& model, const ForwardContext& ctx, const OptimizationConfig& config,
                     std::unique_ptr<DraftSource> drafts)
    : model_(model),
      ctx_(ctx),
      config_(config),
      monitor_(ctx.monitor),
      limit_(dsinfer::context_limit(model.config(), config)),
      cache_(model.make_cache(config.kv_dtype, config.kv_block_size)) {
  // 前缀缓存的池：max_batch 条序列各用满上下文上限的块数（服务端按 KV 池另设）
  if (config_.prefix_cache && !config_.mtp.enabled)
    cache_.set_pool_blocks(config.max_batch * ((limit_ + config.kv_block_size - 1) / config.kv_block_size));
  if (!config_.mtp.enabled) return;
  if (!drafts) drafts = std::make_unique<MtpDraftSource>(model_, config_);
  speculator_ = std::make_unique<Speculator>(model_, config_, std::move(drafts), monitor_);
}

std::string Scheduler::validate(const GenerationRequest& request) const {
  const std::string error = request_error(request);
  if (!error.empty()) return error;
  const int64_t P = int64_t(request.prompt.size());
  if (P + 1 > limit_)
    return cat("提示有 ", P, " 个 token，超过上下文上限 ", limit_, "（提示加至少 1 个新 token 须在上限之内）");
  return "";
}

SequenceId Scheduler::add(const GenerationRequest& request) {
  const std::string error = validate(request);
  if (!error.empty()) throw Error(ErrorCode::kInvalidArgument, cat("请求不合法：", error));
  Sequence& s = seqs_.emplace_back(request);
  s.id = next_id_;
  return next_id_++;
}

bool Scheduler::cancel(SequenceId id) {
  const auto it = std::find_if(seqs_.begin(), seqs_.end(), [&](const Sequence& s) { return s.id == id; });
  if (it == seqs_.end()) {
    if (id < 0 || id >= next_id_) throw Error(ErrorCode::kInvalidArgument, cat("未知的序列 ", id));
    return false;
  }
  finish(*it, FinishReason::kCancelled, cancelled_);
  seqs_.erase(it);
  return true;
}

SequenceState Scheduler::state(SequenceId id) const {
  for (const Sequence& s : seqs_)
    if (s.id == id) return s.state;
  if (id < 0 || id >= next_id_) throw Error(ErrorCode::kInvalidArgument, cat("未知的序列 ", id));
  return SequenceState::kFinished;
}

bool Scheduler::is_stop(const GenerationRequest& r, int32_t token) const {
  const auto& eos = model_.config().eos_token_ids;
  if (r.stop_at_eos && std::find(eos.begin(), eos.end(), token) != eos.end()) return true;
  return std::find(r.stop_token_ids.begin(), r.stop_token_ids.end(), token) != r.stop_token_ids.end();
}

void Scheduler::publish(Sequence& s) {
  if (!config_.prefix_cache || speculator_ || s.kv < 0) return;
  std::vector<int32_t> tokens = s.request.prompt;
  tokens.insert(tokens.end(), s.output.begin(), s.output.end());
  cache_.publish(s.kv, tokens);
}

void Scheduler::finish(Sequence& s, FinishReason reason, std::vector<SequenceEvent>& events) {
  if (speculator_ && s.state == SequenceState::kDecoding) speculator_->source().remove_sequence(s.id);
  publish(s);
  if (s.kv >= 0) cache_.remove_sequence(s.kv);
  s.kv = -1;
  s.state = SequenceState::kFinished;
  s.prompt_hidden = {};
  if (events.empty() || events.back().id != s.id) events.push_back(SequenceEvent{s.id, {}, FinishReason::kNone});
  events.back().finish = reason;
}

int64_t Scheduler::emit(Sequence& s, const int32_t* tokens, int64_t n, std::vector<SequenceEvent>& events) {
  events.push_back(SequenceEvent{s.id, {}, FinishReason::kNone});
  for (int64_t i = 0; i < n; ++i) {
    const int32_t token = tokens[i];
    events.back().tokens.push_back(token);
    s.output.push_back(token);
    s.next = token;
    ++s.generated;
    if (is_stop(s.request, token)) {
      finish(s, FinishReason::kStop, events);
      return i + 1;
    }
    if (s.generated >= s.request.max_new_tokens || s.total() >= limit_) {
      finish(s, FinishReason::kLength, events);
      return i + 1;
    }
  }
  return n;
}

void Scheduler::admit(Clock::time_point now, std::vector<SequenceEvent>& events) {
  int64_t running = 0;
  for (const Sequence& s : seqs_)
    running += s.state == SequenceState::kPrefilling || s.state == SequenceState::kDecoding;
  for (Sequence& s : seqs_) {
    if (running >= config_.max_batch) break;
    if (s.state != SequenceState::kWaiting) continue;
    if (s.request.max_new_tokens == 0) {
      finish(s, FinishReason::kLength, events);
      continue;
    }
    s.kv = cache_.add_sequence();
    if (config_.prefix_cache && !speculator_) {
      // 最后一个提示 token 总要算（要它的 logits）：只在前 P − 1 个里找共享前缀
      const auto& prompt = s.request.prompt;
      s.cached = cache_.attach_prefix(s.kv, std::span<const int32_t>(prompt.data(), prompt.size() - 1));
      s.prefilled = s.cached;
    }
    s.state = SequenceState::kPrefilling;
    s.admitted = now;
    ++running;
  }
}

void Scheduler::plan_batch(ForwardContext& ctx, int64_t draft_tokens, StepResult& result) {
  batch_.clear();
  segments_.clear();
  decode_ids_.clear();
  decode_samplers_.clear();
  decode_room_.clear();
  for (Sequence& s : seqs_)
    if (s.state == SequenceState::kDecoding) {
      decode_ids_.push_back(s.id);
      decode_samplers_.push_back(&s.sampler);
      // 本步输出 a+1 ≤ k+1 个 token，总数不得越过上下文上限：这条序列至多起草 剩余位置数 − 1 个
      decode_room_.push_back(limit_ - s.total() - 1);
    }
  // 解码行：先起草（MTP），再为每条序列放 [t_L, d_1 … d_k]（k 按序列截到 decode_room_）
  if (speculator_ && !decode_ids_.empty()) {
    const int64_t k = draft_tokens >= 0 ? draft_tokens : speculator_->choose_draft_count();
    speculator_->draft(ctx, decode_ids_, decode_samplers_, k, decode_room_);
  }
  size_t d = 0;
  for (Sequence& s : seqs_) {
    if (s.state != SequenceState::kDecoding) continue;
    const int64_t base = cache_.length(s.kv);
    batch_.add(s.next, s.kv, base, true);
    int64_t k = 0;
    if (speculator_) {
      const auto& drafts = speculator_->draft_tokens(d++);
      k = int64_t(drafts.size());
      for (int64_t j = 0; j < k; ++j) batch_.add(drafts[size_t(j)], s.kv, base + 1 + j, true);
    }
    segments_.push_back(Segment{&s, k + 1, false});
  }
  result.decode_rows = batch_.size();
  // 预填充行：按加入的先后各取一块提示，合计不超过 kPrefillChunk。启用 MTP 时每个提示位置都要隐状态。
  int64_t budget = kPrefillChunk;
  for (Sequence& s : seqs_) {
    if (budget == 0) break;
    if (s.state != SequenceState::kPrefilling) continue;
    const auto& prompt = s.request.prompt;
    const int64_t P = int64_t(prompt.size()), n = std::min(P - s.prefilled, budget);
    for (int64_t p = s.prefilled; p < s.prefilled + n; ++p)
      batch_.add(prompt[size_t(p)], s.kv, p, p + 1 == P, speculator_ != nullptr);
    segments_.push_back(Segment{&s, n, true});
    budget -= n;
  }
  result.prefill_tokens = kPrefillChunk - budget;
}

int64_t Scheduler::process_outputs(StepResult& result) {
  const int64_t V = model_.config().vocab_size, D = model_.config().hidden_size;
  int64_t o = 0, h = 0, decoded = 0;  // 下一个 logits 行、下一个隐状态行、解码行输出的 token 数
  size_t d = 0;                       // 下一条解码序列在 Speculator 中的序号
  for (const Segment& g : segments_) {
    Sequence& s = *g.seq;
    if (!g.prefill) {
      if (speculator_) {
        // 主缓存保留 t_L 与被接受的 a 个草稿；新 token 留待下一步处理
        const int64_t base = cache_.length(s.kv) - g.rows;
        const int64_t a = speculator_->accept(d++, s.id, s.sampler, out_.logits_row(o), out_.hidden_row(h), emitted_);
        cache_.truncate(s.kv, base + a + 1);
        decoded += emit(s, emitted_.data(), int64_t(emitted_.size()), result.events);
      } else {
        int32_t token;
        {
          ScopedTimer timer(monitor_, Phase::kSampling);
          token = s.sampler.sample(out_.logits_row(o), V);
        }
        decoded += emit(s, &token, 1, result.events);
      }
      o += g.rows;
      h += g.rows;
      continue;
    }
    s.prefilled += g.rows;
    const bool done = s.prefilled == int64_t(s.request.prompt.size());
    if (speculator_) {
      s.prompt_hidden.insert(s.prompt_hidden.end(), out_.hidden_row(h), out_.hidden_row(h) + g.rows * D);
      h += g.rows;
    } else {
      h += done;
    }
    if (!done) continue;
    int32_t token;
    {
      ScopedTimer timer(monitor_, Phase::kSampling);
      token = s.sampler.sample(out_.logits_row(o++), V);
    }
    if (monitor_) monitor_->add_time_to_first_token(seconds_since(s.admitted));
    publish(s);  // 提示的整块可供后来的序列共享
    emit(s, &token, 1, result.events);
    result.events.back().cached_prompt_tokens = s.cached;
    if (s.state == SequenceState::kFinished) continue;
    if (speculator_) speculator_->source().add_sequence(s.id, s.request.prompt, s.prompt_hidden.data(), token);
    s.prompt_hidden = {};
    s.state = SequenceState::kDecoding;
  }
  return decoded;
}

StepResult Scheduler::step() {
  return run_step(-1);
}

StepResult Scheduler::step(int64_t draft_tokens) {
  DSINFER_CHECK(draft_tokens >= 0, "起草数 ", draft_tokens, " 非法");
  return run_step(draft_tokens);
}

StepResult Scheduler::run_step(int64_t draft_tokens) {
  StepResult result;
  result.events = std::move(cancelled_);
  cancelled_.clear();
  const auto t0 = Clock::now();
  admit(t0, result.events);
  ForwardContext ctx = ctx_;
  plan_batch(ctx, draft_tokens, result);
  if (batch_.size() > 0) {
    {
      // 含验证行的前向记入 mtp_verify（同一次前向里的预填充块也在其中）
      ScopedTimer timer(speculator_ && result.decode_rows > 0 ? monitor_ : nullptr, Phase::kMtpVerify);
      model_.forward(ctx, batch_, cache_, out_);
    }
    kv_peak_ = std::max(kv_peak_, cache_.used_bytes());
    const int64_t decoded = process_outputs(result);
    for (const Sequence& s : seqs_)
      if (s.kv >= 0) DSINFER_CHECK(cache_.length(s.kv) < limit_, "序列 ", s.id, " 的缓存越过上下文上限 ", limit_);
    const double seconds = seconds_since(t0);
    if (speculator_ && result.decode_rows > 0 && result.prefill_tokens == 0) speculator_->observe(seconds);
    if (monitor_) record(*monitor_, result, decoded, seconds);
  }
  std::erase_if(seqs_, [](const Sequence& s) { return s.state == SequenceState::kFinished; });
  if (idle()) kv_peak_ = 0;
  return result;
}

void Scheduler::record(PerformanceMonitor& m, const StepResult& r, int64_t decoded, double seconds) {
  // 混合批次的耗时按行数分给预填充与解码（一次前向的代价大致与行数成正比）
  const double prefill_share = double(r.prefill_tokens) / double(r.prefill_tokens + r.decode_rows);
  if (r.prefill_tokens > 0) m.add_prefill(r.prefill_tokens, seconds * prefill_share);
  if (r.decode_rows > 0) m.add_decode(decoded, seconds * (1.0 - prefill_share));
  m.set_kv_bytes(kv_peak_, cache_.allocated_bytes());
}

}  // namespace dsinfer
