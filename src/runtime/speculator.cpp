#include "runtime/speculator.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/error.h"

namespace dsinfer {

// ---------------- AdaptiveDraft ----------------

AdaptiveDraft::AdaptiveDraft(int64_t max_k)
    : max_k_(max_k), reached_(size_t(max_k + 1), 0.0), accepted_(size_t(max_k + 1), 0.0), time_(size_t(max_k + 1), 0.0) {}

double AdaptiveDraft::expected_tokens(int64_t k) const {
  // E(k) = 1 + Σ_{j≤k} Π_{i≤j} α_i，α_i = 深度 i 在前面都被接受时的接受率（未测时取 0.5）
  double e = 1.0, prod = 1.0;
  for (int64_t j = 1; j <= k; ++j) {
    const double alpha = reached_[size_t(j)] > 0 ? accepted_[size_t(j)] / reached_[size_t(j)] : 0.5;
    prod *= alpha;
    e += prod;
  }
  return e;
}

int64_t AdaptiveDraft::choose() {
  ++steps_;
  // 从 k = 0 起逐个往上试，只要新试的 k 仍是最快的就继续试 k+1：速率对 k 通常先升后降，
  // MTP 不划算时（小模型、计算受限）只付出一步 k=1 的试探。之后隔一段试一次最优值的相邻值，跟踪负载变化；
  // 一次试探（先追赶积压的 MTP 位置，再起草、验证）在小模型上抵得上好几步普通解码，所以最优值不变时
  // 间隔乘 4（256、1024、4096 … 步），变了再回到 256。
  // k ≥ 1 的速率要比普通解码高出 kMargin 才算更快：单步耗时只有零点几毫秒时计时抖动很大，
  // 宁可少用 MTP，也不因噪声把慢的 k 当成快的。
  constexpr double kMargin = 1.1;
  auto rate = [&](int64_t k) { return expected_tokens(k) / time_[size_t(k)] / (k > 0 ? kMargin : 1.0); };
  if (time_[0] == 0.0) return 0;  // 先测普通解码（第一步的冷启动样本在 observe 中丢弃）
  int64_t explored = 0, best = 0;
  while (explored < max_k_ && time_[size_t(explored + 1)] > 0.0) ++explored;
  for (int64_t k = 1; k <= explored; ++k)
    if (rate(k) > rate(best)) best = k;
  if (best == explored && explored < max_k_) return explored + 1;
  if (best != last_best_) last_best_ = best, probe_interval_ = kFirstProbeInterval, next_probe_ = steps_ + probe_interval_;
  if (steps_ < next_probe_) return best;
  probe_interval_ *= 4;
  next_probe_ = steps_ + probe_interval_;
  probe_up_ = !probe_up_;
  return probe_up_ ? std::min(max_k_, best + 1) : std::max<int64_t>(0, best - 1);
}

void AdaptiveDraft::observe(int64_t k, const std::vector<int64_t>& accepted, double seconds, int64_t n_seqs) {
  for (int64_t a : accepted)
    for (int64_t j = 1; j <= k && j <= a + 1; ++j) {
      reached_[size_t(j)] += 1;
      if (j <= a) accepted_[size_t(j)] += 1;
    }
  const double per_seq = seconds / double(std::max<int64_t>(1, n_seqs));
  // 第一步普通解码带着冷缓存与首次分配，可能慢一半：若记下它，k ≥ 1 会显得比实际划算，
  // 而之后不再选 k=0 就再也纠正不了。所以丢掉它，再测一步。
  if (k == 0 && !plain_warm_) {
    plain_warm_ = true;
    return;
  }
  double& t = time_[size_t(k)];
  t = t == 0.0 ? per_seq : 0.8 * t + 0.2 * per_seq;
}

// ---------------- Speculator ----------------

Speculator::Speculator(DeepseekModel& model, const ForwardContext& ctx, const OptimizationConfig& config)
    : model_(model),
      ctx_(ctx),
      config_(config),
      mtp_(std::make_unique<MtpPredictor>(model, config.mla_mode)),
      adaptive_(config.mtp.draft_tokens) {
  for (int64_t m = 0; m < mtp_->n_modules(); ++m)
    mtp_caches_.push_back(mtp_->make_cache(config.kv_dtype, config.kv_block_size));
}

Speculator::SeqState& Speculator::state(int32_t seq) {
  DSINFER_CHECK(seq >= 0 && size_t(seq) < states_.size() && states_[size_t(seq)].mtp_seq >= 0, "未登记的序列 ", seq);
  return states_[size_t(seq)];
}

void Speculator::add_sequence(int32_t seq, const std::vector<int32_t>& prompt, const float* hidden, int32_t next_token,
                              const std::vector<int32_t>& oracle) {
  if (states_.size() <= size_t(seq)) states_.resize(size_t(seq) + 1);
  SeqState& st = states_[size_t(seq)];
  st = SeqState{};
  for (auto& c : mtp_caches_) st.mtp_seq = c.add_sequence();  // 各模块缓存同步增删，id 相同
  const int64_t D = model_.config().hidden_size, P = int64_t(prompt.size());
  for (int64_t i = 0; i < P; ++i) st.pending_tokens.push_back(i + 1 < P ? prompt[size_t(i + 1)] : next_token);
  st.pending_hidden.assign(hidden, hidden + P * D);
  st.next_token = next_token;
  st.prompt_len = P;
  st.oracle = oracle;
}

void Speculator::remove_sequence(int32_t seq) {
  SeqState& st = state(seq);
  for (auto& c : mtp_caches_) c.remove_sequence(st.mtp_seq);
  st = SeqState{};
}

void Speculator::remove_sequence_if_present(int32_t seq) {
  if (seq >= 0 && size_t(seq) < states_.size() && states_[size_t(seq)].mtp_seq >= 0) remove_sequence(seq);
}

void Speculator::trim_backlog(SeqState& st) {
  const int64_t n = int64_t(st.pending_tokens.size());
  if (n <= kCatchUpWindow) return;
  const int64_t drop = n - kCatchUpWindow, D = model_.config().hidden_size;
  st.mtp_offset += mtp_caches_[0].length(st.mtp_seq) + drop;
  for (auto& mc : mtp_caches_) mc.truncate(st.mtp_seq, 0);
  st.pending_tokens.erase(st.pending_tokens.begin(), st.pending_tokens.begin() + drop);
  st.pending_hidden.erase(st.pending_hidden.begin(), st.pending_hidden.begin() + drop * D);
}

void Speculator::draft(const std::vector<int32_t>& seqs, const std::vector<Sampler*>& samplers, int64_t k) {
  ScopedTimer timer(ctx_.monitor, Phase::kMtpDraft);
  ForwardContext ctx = ctx_;
  const int64_t D = model_.config().hidden_size, V = model_.config().vocab_size, S = int64_t(seqs.size());
  drafts_.resize(size_t(S));
  for (auto& d : drafts_) d.clear();
  draft_q_.resize(size_t(S));
  chain_hidden_.resize(size_t(S * D));
  std::vector<int64_t>& draft_pos = draft_pos_;  // 第一个草稿所在的位置 L+1
  draft_pos.resize(size_t(S));
  for (int64_t s = 0; s < S; ++s) {
    const SeqState& st = state(seqs[size_t(s)]);
    draft_pos[size_t(s)] = st.mtp_offset + mtp_caches_[0].length(st.mtp_seq) + int64_t(st.pending_tokens.size()) + 1;
  }
  // 起草可只算前 draft_vocab 个 token 的 logits；q 仍是全词表上的分布（截断部分为 0）
  const int64_t Vd = config_.mtp.draft_vocab > 0 ? std::min(config_.mtp.draft_vocab, V) : V;
  auto pick = [&](int64_t s, const float* logits) {
    Sampler& sm = *samplers[size_t(s)];
    const SeqState& st = state(seqs[size_t(s)]);
    const int64_t depth = int64_t(drafts_[size_t(s)].size());
    // 神谕草稿：位置 L+1+depth 的已知 token；采样时草稿分布 q 取其单点分布（接受概率 = p(x)）
    const int64_t oi = draft_pos[size_t(s)] + depth - st.prompt_len;
    const bool oracle = oi >= 0 && oi < int64_t(st.oracle.size());
    if (sm.greedy()) {
      drafts_[size_t(s)].push_back(oracle ? st.oracle[size_t(oi)] : argmax(logits, Vd));
      return;
    }
    std::vector<float>& q = draft_q_[size_t(s)];
    q.resize(size_t(k * V));
    float* qd = q.data() + depth * V;
    if (oracle) {
      std::fill(qd, qd + V, 0.0f);
      qd[st.oracle[size_t(oi)]] = 1.0f;
      drafts_[size_t(s)].push_back(st.oracle[size_t(oi)]);
      return;
    }
    std::fill(qd + Vd, qd + V, 0.0f);
    sm.probabilities(logits, Vd, qd);
    drafts_[size_t(s)].push_back(sm.sample_from(qd, Vd));
  };

  // 深度 1：所有模块追赶新确认的位置（输入 t_{i+1} 与 h_i），模块 0 在最后一个位置起草
  std::vector<float>& catch_hidden = catch_hidden_;
  std::vector<int64_t>& last_row = last_row_;
  last_row.resize(size_t(S));
  for (int64_t m = 0; m < mtp_->n_modules(); ++m) {
    KvCache& mc = mtp_caches_[size_t(m)];
    batch_.clear();
    catch_hidden.clear();
    for (int64_t s = 0; s < S; ++s) {
      const SeqState& st = state(seqs[size_t(s)]);
      const int64_t n = int64_t(st.pending_tokens.size()), base = mc.length(st.mtp_seq);
      DSINFER_CHECK(n > 0, "MTP 没有可追赶的位置");
      for (int64_t r = 0; r < n; ++r) batch_.add(st.pending_tokens[size_t(r)], st.mtp_seq, base + r, m == 0 && r == n - 1);
      last_row[size_t(s)] = batch_.size() - 1;
      catch_hidden.insert(catch_hidden.end(), st.pending_hidden.begin(), st.pending_hidden.end());
    }
    hidden_out_.resize(size_t(batch_.size() * D));
    mtp_->forward(ctx, m, batch_, catch_hidden.data(), mc, out_, m == 0 ? hidden_out_.data() : nullptr, Vd);
    if (m != 0) continue;
    for (int64_t s = 0; s < S; ++s) {
      pick(s, out_.logits_row(s));
      std::memcpy(chain_hidden_.data() + s * D, hidden_out_.data() + last_row[size_t(s)] * D, size_t(D) * 4);
    }
  }
  std::vector<int64_t>& confirmed = confirmed_;
  confirmed.resize(size_t(S));
  for (int64_t s = 0; s < S; ++s) {
    SeqState& st = state(seqs[size_t(s)]);
    st.pending_tokens.clear();
    st.pending_hidden.clear();
    confirmed[size_t(s)] = mtp_caches_[0].length(st.mtp_seq);
  }

  // 深度 j ≥ 2：模块 min(j, n)−1，位置前进一格，输入上一深度的草稿与其 shared_head.norm 之前的输出
  for (int64_t j = 2; j <= k; ++j) {
    const int64_t m = std::min(j, mtp_->n_modules()) - 1;
    KvCache& mc = mtp_caches_[size_t(m)];
    batch_.clear();
    for (int64_t s = 0; s < S; ++s) {
      const SeqState& st = state(seqs[size_t(s)]);
      batch_.add(drafts_[size_t(s)].back(), st.mtp_seq, mc.length(st.mtp_seq), true);
    }
    hidden_out_.resize(size_t(S * D));
    mtp_->forward(ctx, m, batch_, chain_hidden_.data(), mc, out_, hidden_out_.data(), Vd);
    for (int64_t s = 0; s < S; ++s) pick(s, out_.logits_row(s));
    std::swap(chain_hidden_, hidden_out_);
  }
  // 回滚草稿写入的推测位置
  for (int64_t s = 0; s < S; ++s)
    for (auto& mc : mtp_caches_) {
      const int32_t id = state(seqs[size_t(s)]).mtp_seq;
      if (mc.length(id) > confirmed[size_t(s)]) mc.truncate(id, confirmed[size_t(s)]);
    }
}

void Speculator::step(KvCache& cache, const std::vector<int32_t>& seqs, const std::vector<Sampler*>& samplers,
                      std::vector<std::vector<int32_t>>& emitted) {
  step(cache, seqs, samplers, emitted, config_.mtp.adaptive ? adaptive_.choose() : config_.mtp.draft_tokens);
}

void Speculator::step(KvCache& cache, const std::vector<int32_t>& seqs, const std::vector<Sampler*>& samplers,
                      std::vector<std::vector<int32_t>>& emitted, int64_t k) {
  DSINFER_CHECK(k >= 0 && k <= config_.mtp.draft_tokens, "起草数 ", k, " 超出 [0, ", config_.mtp.draft_tokens, "]");
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t S = int64_t(seqs.size()), V = model_.config().vocab_size, D = model_.config().hidden_size;
  if (k > 0) draft(seqs, samplers, k);

  // 验证：所有序列的 [t_L, d_1 … d_k] 一次前向
  std::vector<int64_t>& base = base_;
  base.resize(size_t(S));
  {
    ScopedTimer timer(ctx_.monitor, Phase::kMtpVerify);
    ForwardContext ctx = ctx_;
    batch_.clear();
    for (int64_t s = 0; s < S; ++s) {
      const int32_t seq = seqs[size_t(s)];
      base[size_t(s)] = cache.length(seq);
      batch_.add(state(seq).next_token, seq, base[size_t(s)], true);
      for (int64_t j = 0; j < k; ++j) batch_.add(drafts_[size_t(s)][size_t(j)], seq, base[size_t(s)] + 1 + j, true);
    }
    model_.forward(ctx, batch_, cache, out_);
  }

  // 接受
  ScopedTimer timer(ctx_.monitor, Phase::kSampling);
  emitted.resize(size_t(S));
  for (auto& e : emitted) e.clear();
  std::vector<int64_t>& accepted = accepted_;
  accepted.resize(size_t(S));
  probs_.resize(size_t(V));
  for (int64_t s = 0; s < S; ++s) {
    const int32_t seq = seqs[size_t(s)];
    Sampler& sm = *samplers[size_t(s)];
    const int64_t row0 = s * (k + 1);
    int64_t a = 0;
    int32_t token;
    if (sm.greedy()) {
      while (a < k && drafts_[size_t(s)][size_t(a)] == argmax(out_.logits_row(row0 + a), V)) ++a;
      token = argmax(out_.logits_row(row0 + a), V);
    } else {
      token = -1;
      for (; a < k; ++a) {
        sm.probabilities(out_.logits_row(row0 + a), V, probs_.data());
        const float* q = draft_q_[size_t(s)].data() + a * V;
        const int32_t x = drafts_[size_t(s)][size_t(a)];
        // 以 min(1, p/q) 接受（草稿从 q 抽出，q(x) > 0）
        if (sm.uniform() * double(q[x]) < double(probs_[size_t(x)])) continue;
        // 拒绝：从 max(p − q, 0) 重采样（p = q 的退化情形下残差为 0，直接从 p 抽）
        double mass = 0;
        for (int64_t v = 0; v < V; ++v) mass += std::max(0.0f, probs_[size_t(v)] - q[v]);
        if (mass > 0) {
          for (int64_t v = 0; v < V; ++v) probs_[size_t(v)] = std::max(0.0f, probs_[size_t(v)] - q[v]);
        }
        token = sm.sample_from(probs_.data(), V);
        break;
      }
      if (token < 0) token = sm.sample(out_.logits_row(row0 + k), V);
    }
    for (int64_t j = 0; j < a; ++j) emitted[size_t(s)].push_back(drafts_[size_t(s)][size_t(j)]);
    emitted[size_t(s)].push_back(token);
    accepted[size_t(s)] = a;
    // 主缓存保留 t_L 与被接受的 a 个草稿；新 token 留待下一步处理
    cache.truncate(seq, base[size_t(s)] + a + 1);
    SeqState& st = state(seq);
    for (int64_t j = 0; j <= a; ++j) {
      st.pending_tokens.push_back(j < a ? drafts_[size_t(s)][size_t(j)] : token);
      const float* h = out_.hidden.data() + (row0 + j) * D;
      st.pending_hidden.insert(st.pending_hidden.end(), h, h + D);
    }
    st.next_token = token;
    if (k == 0) trim_backlog(st);
    if (ctx_.monitor && k > 0) ctx_.monitor->add_mtp_step(k, a);
  }
  adaptive_.observe(k, accepted, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), S);
}

}  // namespace dsinfer
