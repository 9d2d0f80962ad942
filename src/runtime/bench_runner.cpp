#include "runtime/bench_runner.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "core/buffer.h"
#include "core/error.h"
#include "core/uncached_file.h"
#include "kernels/kernels.h"
#include "runtime/oracle_draft_source.h"

namespace dsinfer {

namespace {

using Clock = std::chrono::steady_clock;
double seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// 把 batch 条序列各 n 个 token（从各自当前长度起）分块喂入，最后一块只要求最后一个 token 的输出。
void feed(DeepseekModel& model, ForwardContext& ctx, KvCache& cache, const std::vector<int32_t>& seqs, int64_t n,
          std::mt19937& rng, bool want_last) {
  const int64_t V = model.config().vocab_size;
  std::uniform_int_distribution<int32_t> tok(0, int32_t(V - 1));
  Batch b;
  ForwardOutputs out;
  for (int32_t s : seqs) {
    const int64_t start = cache.length(s);
    for (int64_t i = 0; i < n; ++i) {
      b.add(tok(rng), s, start + i, want_last && i == n - 1);
      if (b.size() >= Scheduler::kPrefillChunk) {
        model.forward(ctx, b, cache, out);
        b.clear();
      }
    }
  }
  if (b.size()) model.forward(ctx, b, cache, out);
}

// 真实生成：batch 条随机提示（长度 max(ctx, 8)），贪心生成 gen 个 token；返回解码阶段的 token/s。
double generation_tps(Engine& engine, const BenchOptions& o, std::mt19937& rng, bool record, BenchResult& r) {
  const int64_t V = engine.model().config().vocab_size;
  std::uniform_int_distribution<int32_t> tok(0, int32_t(V - 1));
  std::vector<GenerationRequest> reqs(static_cast<size_t>(o.batch));
  for (auto& q : reqs) {
    for (int64_t i = 0; i < std::max<int64_t>(o.ctx, 8); ++i) q.prompt.push_back(tok(rng));
    q.max_new_tokens = record ? o.gen : std::max<int64_t>(1, o.gen / 4);
    q.stop_at_eos = false;
  }
  // 神谕草稿：先不用 MTP 生成一遍，再把结果作为已知续写交给 OracleDraftSource
  std::vector<std::vector<int32_t>> continuation;
  std::unique_ptr<OracleDraftSource> oracle;
  if (o.oracle_drafts && engine.config().mtp.enabled) {
    OptimizationConfig plain = engine.config();
    plain.mtp.enabled = false;
    continuation = Generator(engine.model(), engine.context(nullptr), plain).generate(reqs);
    oracle = std::make_unique<OracleDraftSource>(engine.model(), engine.config());
  }
  OracleDraftSource* known = oracle.get();
  PerformanceMonitor m;
  Scheduler scheduler(engine.model(), engine.context(&m), engine.config(), std::move(oracle));
  run_to_completion(scheduler, reqs, nullptr, [&](size_t i, SequenceId id) {
    if (known) known->expect(id, continuation[i]);
  });
  if (record) {
    r.mtp_acceptance_by_depth = m.mtp_acceptance_by_depth();
    r.mtp_mean_accepted = m.mtp_mean_accepted();
  }
  return m.decode_tps();
}

}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

namespace {
// 各轮的差值累加（配置字段取自第一份）
void accumulate(ExpertCacheStats& sum, const ExpertCacheStats& d) {
  if (!sum.enabled) {
    sum = d;
    return;
  }
  for (size_t l = 0; l < d.layers.size(); ++l) sum.add_layer(int64_t(l), d.layers[l].hits, d.layers[l].misses);
  sum.prefetch_issued += d.prefetch_issued;
  sum.prefetch_used += d.prefetch_used;
  sum.bytes_read += d.bytes_read;
  sum.stall_seconds += d.stall_seconds;
  sum.io_seconds += d.io_seconds;
}
}  // namespace

double measure_disk_gbps(const Checkpoint& ckpt, int64_t bytes) {
  // 读法与专家存储相同：整个张量一次读，优先取路由专家的张量，按检查点中的位置均匀跨步抽取，
  // 使读到的位置散布在所有分片上（只读一个分片的末尾会因存储的局部性而偏快或偏慢）。
  std::vector<const TensorInfo*> pool, experts;
  for (const auto& [name, t] : ckpt.tensors()) {
    pool.push_back(t);
    if (name.find(".mlp.experts.") != std::string::npos) experts.push_back(t);
  }
  if (!experts.empty()) pool = std::move(experts);
  if (pool.empty()) return 0;
  std::sort(pool.begin(), pool.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return *a->file != *b->file ? *a->file < *b->file : a->offset < b->offset;
  });
  uint64_t total = 0;
  for (const TensorInfo* t : pool) total += t->nbytes;
  const size_t stride = std::max<size_t>(1, size_t(total / std::max<uint64_t>(1, uint64_t(bytes))));
  std::vector<const TensorInfo*> jobs;
  uint64_t planned = 0;
  for (size_t i = 0; i < pool.size() && planned < uint64_t(bytes); i += stride) {
    jobs.push_back(pool[i]);
    planned += pool[i]->nbytes;
  }
  std::map<std::string, std::unique_ptr<UncachedFile>> files;
  size_t largest = 0;
  for (const TensorInfo* t : jobs) {
    auto& f = files[*t->file];
    if (!f) f = std::make_unique<UncachedFile>(*t->file);
    largest = std::max(largest, t->nbytes);
  }
  constexpr int kThreads = 8;
  std::atomic<size_t> next{0};
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      AlignedBytes buf = allocate_aligned(UncachedFile::span(0, largest) + UncachedFile::kAlign);
      for (size_t j = next.fetch_add(1); j < jobs.size(); j = next.fetch_add(1))
        files.at(*jobs[j]->file)->read(jobs[j]->offset, jobs[j]->nbytes, buf.get(), "磁盘带宽探针");
    });
  for (auto& t : threads) t.join();
  return double(planned) / seconds(t0, Clock::now()) / 1e9;
}

BenchResult run_benchmark(Engine& engine, const BenchOptions& o) {
  if (o.prompt < 0 || o.gen < 0 || o.batch < 1 || o.ctx < 0 || o.reps < 1)
    throw Error(ErrorCode::kInvalidArgument, "bench 参数非法：-p、-n、--ctx 应 ≥ 0，--batch、--reps 应 ≥ 1");
  DeepseekModel& model = engine.model();
  ForwardContext ctx = engine.context();
  std::mt19937 rng(uint32_t(o.seed));
  BenchResult r;
  r.weight_bytes_per_token = int64_t(model.active_weight_bytes());
  auto new_cache = [&](KvCache& cache, std::vector<int32_t>& seqs) {
    for (int64_t i = 0; i < o.batch; ++i) seqs.push_back(cache.add_sequence());
  };
  std::unique_ptr<BandwidthProbe> probe;
  if (o.bandwidth_bytes > 0) probe = std::make_unique<BandwidthProbe>(engine.kernels(), o.bandwidth_bytes);
  for (int64_t rep = o.warmup ? -1 : 0; rep < o.reps; ++rep) {
    const bool record = rep >= 0;
    if (o.prompt > 0) {
      KvCache cache = engine.make_cache();
      std::vector<int32_t> seqs;
      new_cache(cache, seqs);
      const ExpertCacheStats before = engine.monitor().expert_cache();
      const auto t0 = Clock::now();
      feed(model, ctx, cache, seqs, o.prompt, rng, true);
      const double s = seconds(t0, Clock::now());
      if (record) {
        accumulate(r.expert_cache_prefill, ExpertCacheStats::delta(engine.monitor().expert_cache(), before));
        r.prefill_tokens += o.prompt * o.batch;
        r.prefill_tps_runs.push_back(double(o.prompt * o.batch) / s);
        r.ttft_ms_runs.push_back(s * 1e3);
      }
    }
    if (o.gen > 0 && o.generate) {
      const double tps = generation_tps(engine, o, rng, record, r);
      if (record) r.decode_tps_runs.push_back(tps);
      continue;
    }
    if (o.gen > 0) {
      KvCache cache = engine.make_cache();
      std::vector<int32_t> seqs;
      new_cache(cache, seqs);
      feed(model, ctx, cache, seqs, std::max<int64_t>(o.ctx, 1), rng, false);  // 填充上下文（不计时）
      std::uniform_int_distribution<int32_t> tok(0, int32_t(model.config().vocab_size - 1));
      const int64_t steps = record ? o.gen : std::max<int64_t>(1, o.gen / 4);
      // 测带宽时把解码切成 16 步一段，每段前紧挨着测读带宽：共享虚拟机的带宽在秒级上波动，
      // 逐段求比例再取中位数，分子分母才处在同样的机器状态下。每段取 3 遍读的最好值（同 STREAM 取最优），
      // 否则单遍读碰上别的虚拟机的突发占用会把分母压低，比例虚高到 1 以上。
      const int64_t seg = record && o.bandwidth_bytes > 0 ? 16 : steps;
      Batch b;
      ForwardOutputs out;
      double decode_seconds = 0;
      const ExpertCacheStats before = engine.monitor().expert_cache();
      for (int64_t done = 0; done < steps; done += seg) {
        const int64_t n = std::min(seg, steps - done);
        double bw = 0;
        if (record && probe) bw = probe->measure(3);
        const auto t0 = Clock::now();
        for (int64_t step = 0; step < n; ++step) {
          b.clear();
          for (int32_t s : seqs) b.add(tok(rng), s, cache.length(s), true);
          model.forward(ctx, b, cache, out);
        }
        const double sec = seconds(t0, Clock::now());
        decode_seconds += sec;
        if (bw > 0) {
          r.read_gbps_runs.push_back(bw);
          r.roofline_runs.push_back(double(n) / sec * double(r.weight_bytes_per_token) / (bw * 1e9));
        }
      }
      if (!record) continue;
      accumulate(r.expert_cache_decode, ExpertCacheStats::delta(engine.monitor().expert_cache(), before));
      r.decode_tokens += steps * o.batch;
      r.decode_tps_runs.push_back(double(steps * o.batch) / decode_seconds);
      r.kv_bytes = int64_t(cache.used_bytes());
      r.kv_bytes_allocated = int64_t(cache.allocated_bytes());
    }
  }
  r.prefill_tps = median(r.prefill_tps_runs);
  r.decode_tps = median(r.decode_tps_runs);
  r.ttft_ms = median(r.ttft_ms_runs);
  r.read_gbps = median(r.read_gbps_runs);
  r.roofline_fraction = median(r.roofline_runs);
  r.peak_rss_bytes = int64_t(peak_rss_bytes());
  return r;
}

BandwidthProbe::BandwidthProbe(const kernels::KernelContext& kc, int64_t bytes) : kc_(kc), n_(bytes / 4) {
  constexpr size_t kHuge = size_t(2) << 20;
  const size_t alloc = (size_t(n_) * 4 + kHuge - 1) / kHuge * kHuge;
  data_ = static_cast<float*>(std::aligned_alloc(kHuge, alloc));
  if (!data_) throw std::bad_alloc();
  ::madvise(data_, alloc, MADV_HUGEPAGE);
  kc_.pool().parallel_for(
      n_, [&](int64_t b, int64_t e, int) { std::fill(data_ + b, data_ + e, 1.0f); }, 4096);
}

BandwidthProbe::~BandwidthProbe() {
  std::free(data_);
}

double BandwidthProbe::measure(int reps) {
  double best = 0;
  std::vector<float> sink(static_cast<size_t>(kc_.pool().size()));
  for (int rep = 0; rep < reps; ++rep) {
    const auto t0 = Clock::now();
    kc_.pool().parallel_for(
        n_, [&](int64_t b, int64_t e, int t) { sink[size_t(t)] += kernels::stream_read(kc_, data_ + b, e - b); }, 4096);
    best = std::max(best, double(n_) * 4 / seconds(t0, Clock::now()) / 1e9);
  }
  DSINFER_CHECK(sink[0] > 0, "带宽探针结果异常");
  return best;
}

}  // namespace dsinfer
