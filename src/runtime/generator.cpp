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

Generator::Generator(DeepseekModel& model, ThreadPool& pool, const OptimizationConfig& config,
                     PerformanceMonitor* monitor)
    : model_(model), pool_(pool), config_(config), monitor_(monitor) {}

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
  ForwardContext ctx{pool_, monitor_};
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

  // 预填充：把所有提示拼成 token 流，按 kPrefillChunk 分块前向；每条序列只在其最后一个提示 token 处输出
  const auto t0 = std::chrono::steady_clock::now();
  Batch batch;
  ForwardOutputs out;
  std::vector<size_t> out_seq;
  int64_t prefill_tokens = 0;
  auto flush = [&] {
    if (batch.size() == 0) return;
    model_.forward(ctx, batch, cache, out);
    for (size_t j = 0; j < out_seq.size(); ++j) {
      const size_t i = out_seq[j];
      if (requests[first + i].max_new_tokens == 0) {
        done[i] = true;
        continue;
      }
      ScopedTimer timer(monitor_, Phase::kSampling);
      emit(i, samplers[i].sample(out.logits_row(int64_t(j)), V));
    }
    batch.clear();
    out_seq.clear();
  };
  for (size_t i = 0; i < count; ++i) {
    const auto& prompt = requests[first + i].prompt;
    for (size_t p = 0; p < prompt.size(); ++p) {
      const bool is_last = p + 1 == prompt.size();
      batch.add(prompt[p], seq[i], int64_t(p), is_last);
      if (is_last) out_seq.push_back(i);
      if (batch.size() >= kPrefillChunk) flush();
    }
    prefill_tokens += int64_t(prompt.size());
  }
  flush();
  if (monitor_) {
    const double s = seconds_since(t0);
    monitor_->add_prefill(prefill_tokens, s);
    monitor_->set_time_to_first_token(s);
  }

  // 解码：每步所有未结束的序列各前进一个 token
  const auto t1 = std::chrono::steady_clock::now();
  int64_t decoded = 0;
  for (;;) {
    batch.clear();
    out_seq.clear();
    for (size_t i = 0; i < count; ++i) {
      if (done[i]) continue;
      batch.add(last[i], seq[i], cache.length(seq[i]), true);
      out_seq.push_back(i);
    }
    if (batch.size() == 0) break;
    decoded += batch.size();
    flush();
  }
  if (monitor_) {
    monitor_->add_decode(decoded, seconds_since(t1));
    monitor_->set_kv_bytes(cache.used_bytes(), cache.allocated_bytes());
  }
}

}  // namespace dsinfer
