#include "runtime/mtp_draft_source.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace dsinfer {

MtpDraftSource::MtpDraftSource(DeepseekModel& model, const OptimizationConfig& config)
    : hidden_(model.config().hidden_size),
      vocab_(model.config().vocab_size),
      draft_vocab_(config.mtp.draft_vocab > 0 ? std::min(config.mtp.draft_vocab, vocab_) : vocab_),
      mtp_(std::make_unique<MtpPredictor>(model, config.mla_mode)) {
  for (int64_t m = 0; m < mtp_->n_modules(); ++m)
    caches_.push_back(mtp_->make_cache(config.kv_dtype, config.kv_block_size));
}

MtpDraftSource::SeqState& MtpDraftSource::state(SequenceId id) {
  const auto it = states_.find(id);
  DSINFER_CHECK(it != states_.end(), "未登记的序列 ", id);
  return it->second;
}

void MtpDraftSource::add_sequence(SequenceId id, const std::vector<int32_t>& prompt, const float* hidden,
                                  int32_t next_token) {
  DSINFER_CHECK(!states_.count(id), "序列 ", id, " 已登记");
  SeqState& st = states_[id];
  for (auto& c : caches_) st.mtp_seq = c.add_sequence();
  const int64_t P = int64_t(prompt.size());
  for (int64_t i = 0; i < P; ++i) st.pending_tokens.push_back(i + 1 < P ? prompt[size_t(i + 1)] : next_token);
  st.pending_hidden.assign(hidden, hidden + P * hidden_);
}

void MtpDraftSource::remove_sequence(SequenceId id) {
  for (auto& c : caches_) c.remove_sequence(state(id).mtp_seq);
  states_.erase(id);
}

void MtpDraftSource::confirm(SequenceId id, const int32_t* tokens, const float* hidden, int64_t n, bool drafted) {
  SeqState& st = state(id);
  st.pending_tokens.insert(st.pending_tokens.end(), tokens, tokens + n);
  st.pending_hidden.insert(st.pending_hidden.end(), hidden, hidden + n * hidden_);
  if (!drafted) trim_backlog(st);
}

void MtpDraftSource::trim_backlog(SeqState& st) {
  const int64_t n = int64_t(st.pending_tokens.size());
  if (n <= kCatchUpWindow) return;
  const int64_t drop = n - kCatchUpWindow;
  st.mtp_offset += caches_[0].length(st.mtp_seq) + drop;
  for (auto& mc : caches_) mc.truncate(st.mtp_seq, 0);
  st.pending_tokens.erase(st.pending_tokens.begin(), st.pending_tokens.begin() + drop);
  st.pending_hidden.erase(st.pending_hidden.begin(), st.pending_hidden.begin() + drop * hidden_);
}

int32_t MtpDraftSource::propose(SequenceId, int64_t, const float* logits, int64_t vocab_limit, Sampler& sampler,
                                float* q) {
  if (!q) return argmax(logits, vocab_limit);
  std::fill(q + vocab_limit, q + vocab_, 0.0f);
  sampler.probabilities(logits, vocab_limit, q);
  return sampler.sample_from(q, vocab_limit);
}

void MtpDraftSource::draft(ForwardContext& ctx, const std::vector<SequenceId>& ids,
                           const std::vector<Sampler*>& samplers, const std::vector<int64_t>& k,
                           std::vector<Draft>& out) {
  ScopedTimer timer(ctx.monitor, Phase::kMtpDraft);
  const int64_t D = hidden_, V = vocab_, S = int64_t(ids.size());
  out.resize(size_t(S));
  chain_hidden_.resize(size_t(S * D));
  draft_pos_.resize(size_t(S));  // 第一个草稿所在的位置 L+1
  for (int64_t s = 0; s < S; ++s) {
    const SeqState& st = state(ids[size_t(s)]);
    draft_pos_[size_t(s)] = st.mtp_offset + caches_[0].length(st.mtp_seq) + int64_t(st.pending_tokens.size()) + 1;
    Draft& d = out[size_t(s)];
    d.tokens.clear();
    d.q.resize(samplers[size_t(s)]->greedy() ? 0 : size_t(k[size_t(s)] * V));
  }
  const int64_t Vd = draft_vocab_;
  auto pick = [&](int64_t s, const float* logits) {
    Draft& d = out[size_t(s)];
    const int64_t depth = int64_t(d.tokens.size());
    float* q = d.q.empty() ? nullptr : d.q.data() + depth * V;
    d.tokens.push_back(propose(ids[size_t(s)], draft_pos_[size_t(s)] + depth, logits, Vd, *samplers[size_t(s)], q));
  };

  // 深度 1：所有模块追赶新确认的位置（输入 t_{i+1} 与 h_i），模块 0 在最后一个位置起草
  last_row_.resize(size_t(S));
  for (int64_t m = 0; m < mtp_->n_modules(); ++m) {
    KvCache& mc = caches_[size_t(m)];
    batch_.clear();
    catch_hidden_.clear();
    for (int64_t s = 0; s < S; ++s) {
      const SeqState& st = state(ids[size_t(s)]);
      const int64_t n = int64_t(st.pending_tokens.size()), base = mc.length(st.mtp_seq);
      DSINFER_CHECK(n > 0, "MTP 没有可追赶的位置");
      for (int64_t r = 0; r < n; ++r)
        batch_.add(st.pending_tokens[size_t(r)], st.mtp_seq, base + r, m == 0 && r == n - 1);
      last_row_[size_t(s)] = batch_.size() - 1;
      catch_hidden_.insert(catch_hidden_.end(), st.pending_hidden.begin(), st.pending_hidden.end());
    }
    hidden_out_.resize(size_t(batch_.size() * D));
    mtp_->forward(ctx, m, batch_, catch_hidden_.data(), mc, out_, m == 0 ? hidden_out_.data() : nullptr, Vd);
    if (m != 0) continue;
    for (int64_t s = 0; s < S; ++s) {
      pick(s, out_.logits_row(s));
      std::memcpy(chain_hidden_.data() + s * D, hidden_out_.data() + last_row_[size_t(s)] * D, size_t(D) * 4);
    }
  }
  confirmed_.resize(size_t(S));
  for (int64_t s = 0; s < S; ++s) {
    SeqState& st = state(ids[size_t(s)]);
    st.pending_tokens.clear();
    st.pending_hidden.clear();
    confirmed_[size_t(s)] = caches_[0].length(st.mtp_seq);
  }

  // 深度 j ≥ 2：模块 min(j, n)−1，位置前进一格，输入上一深度的草稿与其 shared_head.norm 之前的输出；
  // 只含还要起草到深度 j 的序列（k[s] ≥ j）
  const int64_t k_max = *std::max_element(k.begin(), k.end());
  for (int64_t j = 2; j <= k_max; ++j) {
    const int64_t m = std::min(j, mtp_->n_modules()) - 1;
    KvCache& mc = caches_[size_t(m)];
    batch_.clear();
    catch_hidden_.clear();
    active_.clear();
    for (int64_t s = 0; s < S; ++s) {
      if (k[size_t(s)] < j) continue;
      const SeqState& st = state(ids[size_t(s)]);
      active_.push_back(s);
      batch_.add(out[size_t(s)].tokens.back(), st.mtp_seq, mc.length(st.mtp_seq), true);
      catch_hidden_.insert(catch_hidden_.end(), chain_hidden_.begin() + s * D, chain_hidden_.begin() + (s + 1) * D);
    }
    hidden_out_.resize(active_.size() * size_t(D));
    mtp_->forward(ctx, m, batch_, catch_hidden_.data(), mc, out_, hidden_out_.data(), Vd);
    for (size_t r = 0; r < active_.size(); ++r) {
      const int64_t s = active_[r];
      pick(s, out_.logits_row(int64_t(r)));
      std::memcpy(chain_hidden_.data() + s * D, hidden_out_.data() + int64_t(r) * D, size_t(D) * 4);
    }
  }
  // 回滚草稿写入的推测位置
  for (int64_t s = 0; s < S; ++s)
    for (auto& mc : caches_) {
      const int32_t mtp_seq = state(ids[size_t(s)]).mtp_seq;
      if (mc.length(mtp_seq) > confirmed_[size_t(s)]) mc.truncate(mtp_seq, confirmed_[size_t(s)]);
    }
}

}  // namespace dsinfer
