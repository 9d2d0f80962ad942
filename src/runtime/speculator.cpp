#include "runtime/speculator.h"

#include <algorithm>

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
                       int64_t k, const std::vector<int64_t>& room) {
  DSINFER_CHECK(k >= 0 && k <= config_.mtp.draft_tokens, "起草数 ", k, " 超出 [0, ", config_.mtp.draft_tokens, "]");
  k_ = k;
  accepted_.assign(ids.size(), 0);
  k_seq_.resize(ids.size());
  drafts_.resize(ids.size());
  draft_ids_.clear();
  draft_samplers_.clear();
  draft_k_.clear();
  for (size_t i = 0; i < ids.size(); ++i) {
    k_seq_[i] = std::min(k, room[i]);
    drafts_[i].tokens.clear();
    drafts_[i].q.clear();
    if (k_seq_[i] == 0) continue;
    draft_ids_.push_back(ids[i]);
    draft_samplers_.push_back(samplers[i]);
    draft_k_.push_back(k_seq_[i]);
  }
  if (draft_ids_.empty()) return;
  source_->draft(ctx, draft_ids_, draft_samplers_, draft_k_, draft_out_);
  for (size_t i = 0, j = 0; i < ids.size(); ++i)
    if (k_seq_[i] > 0) std::swap(drafts_[i], draft_out_[j++]);
}

int64_t Speculator::accept(size_t i, SequenceId id, Sampler& sampler, const float* logits, const float* hidden,
                           std::vector<int32_t>& emitted) {
  ScopedTimer timer(monitor_, Phase::kSampling);
  const Draft& d = drafts_[i];
  const int64_t k = k_seq_[i];
  const Acceptance r = sampler.greedy() ? accept_greedy(logits, d.tokens.data(), k, vocab_)
                                        : accept_sampled(logits, d.tokens.data(), d.q.data(), k, vocab_, sampler);
  emitted.assign(d.tokens.begin(), d.tokens.begin() + r.accepted);
  emitted.push_back(r.token);
  accepted_[i] = r.accepted;
  // 位置 L … L+a 的隐状态与其后的 token（被接受的草稿与新 token）留给下一步的起草
  source_->confirm(id, emitted.data(), hidden, r.accepted + 1, k > 0);
  if (monitor_ && k > 0) monitor_->add_mtp_step(k, r.accepted);
  return r.accepted;
}

void Speculator::observe(double seconds) {
  adaptive_.observe(k_, accepted_, seconds, int64_t(accepted_.size()));
}

}  // namespace dsinfer
