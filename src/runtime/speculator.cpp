#include "runtime/speculator.h"

#include "core/error.h"
#include "runtime/acceptance.h"

namespace dsinfer {

Speculator::Speculator(const DeepseekModel& model, const OptimizationConfig& config,
                       std::unique_ptr<DraftSource> source, PerformanceMonitor* monitor)
    : vocab_(model.config().vocab_size),
      config_(config),
      monitor_(monitor),
      source_(std::move(source)),
      adaptive_(config.mtp.draft_tokens) {}

int64_t Speculator::choose_draft_count() {
  return config_.mtp.adaptive ? adaptive_.choose() : config_.mtp.draft_tokens;
}

void Speculator::draft(ForwardContext& ctx, const std::vector<SequenceId>& ids, const std::vector<Sampler*>& samplers,
                       int64_t k) {
  DSINFER_CHECK(k >= 0 && k <= config_.mtp.draft_tokens, "起草数 ", k, " 超出 [0, ", config_.mtp.draft_tokens, "]");
  k_ = k;
  accepted_.assign(ids.size(), 0);
  if (k > 0) {
    source_->draft(ctx, ids, samplers, k, drafts_);
    return;
  }
  drafts_.resize(ids.size());
  for (auto& d : drafts_) d.tokens.clear();
}

int64_t Speculator::accept(size_t i, SequenceId id, Sampler& sampler, const float* logits, const float* hidden,
                           std::vector<int32_t>& emitted) {
  ScopedTimer timer(monitor_, Phase::kSampling);
  const Draft& d = drafts_[i];
  const Acceptance r = sampler.greedy() ? accept_greedy(logits, d.tokens.data(), k_, vocab_)
                                        : accept_sampled(logits, d.tokens.data(), d.q.data(), k_, vocab_, sampler);
  emitted.assign(d.tokens.begin(), d.tokens.begin() + r.accepted);
  emitted.push_back(r.token);
  accepted_[i] = r.accepted;
  // 位置 L … L+a 的隐状态与其后的 token（被接受的草稿与新 token）留给下一步的起草
  source_->confirm(id, emitted.data(), hidden, r.accepted + 1, k_ > 0);
  if (monitor_ && k_ > 0) monitor_->add_mtp_step(k_, r.accepted);
  return r.accepted;
}

void Speculator::observe(double seconds) {
  adaptive_.observe(k_, accepted_, seconds, int64_t(accepted_.size()));
}

}  // namespace dsinfer
