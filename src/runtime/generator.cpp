#include "runtime/generator.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace dsinfer {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

Generator::Generator(DeepseekModel& model, const ForwardContext& ctx, const OptimizationConfig& config)
    : model_(model), ctx_(ctx), config_(config) {
  if (config_.mtp.enabled) speculator_ = std::make_unique<Speculator>(model_, ctx_, config_);
}

bool Generator::is_stop(const GenerationRequest& r, int32_t token) const {
  const auto& eos = model_.config().eos_token_ids;
  if (r.stop_at_eos && std::find(eos.begin(), eos.end(), token) != eos.end()) return true;
  return std::find(r.stop_token_ids.begin(), r.stop_token_ids.end(), token) != r.stop_token_ids.end();
}

std::vector<std::vector<int32_t>> Generator::generate(const std::vector<GenerationRequest>& requests,
                                                      const TokenCallback& on_token) {
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].prompt.empty()) throw Error(ErrorCode::kInvalidArgument, cat("第 ", i, " 个请求的提示为空"));
    if (requests[i].max_new_tokens < 0)
      throw Error(ErrorCode::kInvalidArgument, cat("生成 token 数 ", requests[i].max_new_tokens, " 非法"));
  }
  std::vector<std::vector<int32_t>> results(requests.size());
  const size_t group = size_t(config_.max_batch);
  for (size_t first = 0; first < requests.size(); first += group)
    generate_group(requests, first, std::min(group, requests.size() - first), results, on_token);
  return results;
}

void Generator::generate_group(const std::vector<GenerationRequest>& requests, size_t first, size_t count,
                               std::vector<std::vector<int32_t>>& results, const TokenCallback& on_token) {
  ForwardContext ctx = ctx_;
  KvCache cache = model_.make_cache(config_.kv_dtype, config_.kv_block_size);
  std::vector<int32_t> seq(count);
  std::vector<Sampler> samplers;
  for (size_t i = 0; i < count; ++i) {
    seq[i] = cache.add_sequence();
    SamplingParams p = requests[first + i].sampling;
    p.seed += first + i;
    samplers.emplace_back(p);
  }
  const int64_t V = model_.config().vocab_size;
  std::vector<int32_t> last(count);
  std::vector<bool> done(count, false);
  auto emit = [&](size_t i, int32_t token) {
    results[first + i].push_back(token);
    last[i] = token;
    if (on_token) on_token(first + i, token);
    const auto& r = requests[first + i];
    if (int64_t(results[first + i].size()) >= r.max_new_tokens || is_stop(r, token)) done[i] = true;
  };

  // 预填充：把所有提示拼成 token 流，按 kPrefillChunk 分块前向；每条序列在最后一个提示 token 处取 logits。
  // 启用 MTP 时还要每个提示位置的最终隐状态（MTP 追赶用）。
  const bool spec = speculator_ != nullptr;
  const int64_t D = model_.config().hidden_size;
  std::vector<std::vector<float>> prompt_hidden(spec ? count : 0);
  const auto t0 = std::chrono::steady_clock::now();
  Batch batch;
  ForwardOutputs out;
  std::vector<size_t> row_req;  // 批内每行属于哪个请求
  int64_t prefill_tokens = 0;
  auto flush = [&] {
    if (batch.size() == 0) return;
    model_.forward(ctx, batch, cache, out);
    int64_t h = 0, o = 0;
    for (int64_t t = 0; t < batch.size(); ++t) {
      const size_t i = row_req[size_t(t)];
      if (spec && batch.want_hidden[size_t(t)])
        prompt_hidden[i].insert(prompt_hidden[i].end(), out.hidden.data() + h * D, out.hidden.data() + (h + 1) * D);
      h += batch.want_hidden[size_t(t)];
      if (!batch.want_output[size_t(t)]) continue;
      const float* logits = out.logits_row(o++);
      if (requests[first + i].max_new_tokens == 0) {
        done[i] = true;
        continue;
      }
      ScopedTimer timer(ctx_.monitor, Phase::kSampling);
      emit(i, samplers[i].sample(logits, V));
    }
    batch.clear();
    row_req.clear();
  };
  for (size_t i = 0; i < count; ++i) {
    const auto& prompt = requests[first + i].prompt;
    for (size_t p = 0; p < prompt.size(); ++p) {
      batch.add(prompt[p], seq[i], int64_t(p), p + 1 == prompt.size(), spec);
      row_req.push_back(i);
      if (batch.size() >= kPrefillChunk) flush();
    }
    prefill_tokens += int64_t(prompt.size());
  }
  flush();
  if (ctx_.monitor) {
    const double s = seconds_since(t0);
    ctx_.monitor->add_prefill(prefill_tokens, s);
    ctx_.monitor->set_time_to_first_token(s);
  }
  if (spec)
    for (size_t i = 0; i < count; ++i)
      if (!done[i])
        speculator_->add_sequence(seq[i], requests[first + i].prompt, prompt_hidden[i].data(), last[i],
                                  requests[first + i].oracle_drafts);

  // 解码：每步所有未结束的序列各前进一个 token（MTP：各前进 1…k+1 个）
  const auto t1 = std::chrono::steady_clock::now();
  int64_t decoded = 0;
  std::vector<int32_t> active_seqs;
  std::vector<Sampler*> active_samplers;
  std::vector<size_t> active_req;
  std::vector<std::vector<int32_t>> emitted;
  for (;;) {
    active_seqs.clear();
    active_samplers.clear();
    active_req.clear();
    for (size_t i = 0; i < count; ++i) {
      if (done[i]) continue;
      active_seqs.push_back(seq[i]);
      active_samplers.push_back(&samplers[i]);
      active_req.push_back(i);
    }
    if (active_seqs.empty()) break;
    if (spec) {
      speculator_->step(cache, active_seqs, active_samplers, emitted);
      for (size_t a = 0; a < active_req.size(); ++a)
        for (int32_t token : emitted[a]) {
          if (done[active_req[a]]) break;
          emit(active_req[a], token);
          ++decoded;
        }
      continue;
    }
    batch.clear();
    for (size_t a = 0; a < active_req.size(); ++a) {
      batch.add(last[active_req[a]], active_seqs[a], cache.length(active_seqs[a]), true);
      row_req.push_back(active_req[a]);
    }
    decoded += batch.size();
    flush();
  }
  if (spec)
    for (size_t i = 0; i < count; ++i) speculator_->remove_sequence_if_present(seq[i]);
  if (ctx_.monitor) {
    ctx_.monitor->add_decode(decoded, seconds_since(t1));
    ctx_.monitor->set_kv_bytes(cache.used_bytes(), cache.allocated_bytes());
  }
}

}  // namespace dsinfer
