// 内核基准（Google Benchmark）：每个内核报告字节 / FLOP 速率，可与同一次运行中的
// StreamRead 带宽直接对比（roofline）。运行：make bench，或 ./build/bench/kernel_bench。
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "core/buffer.h"
#include "core/dtype.h"
#include "kernels/cpu/kernel_table.h"
#include "kernels/kernels.h"

namespace dsinfer::kernels {
namespace {

ThreadPool& pool() {
  static ThreadPool p(0);
  return p;
}

// 指令集路径：默认本机最佳；环境变量 DSINFER_ISA（scalar / avx2 / avx512，与 dsinfer 的同名配置项一致）可另选一条对比
Isa bench_isa() {
  const char* env = std::getenv("DSINFER_ISA");
  const auto isa = env ? isa_from_name(env) : std::nullopt;
  return isa ? *isa : detect_isa();
}

// 全部核的线程池、上面的路径与给定精度的内核上下文
KernelContext context(MatmulPrecision precision = MatmulPrecision::kF32) {
  return KernelContext(pool(), {bench_isa(), precision});
}

struct RandomWeight {
  std::vector<uint8_t> bytes;
  std::vector<float> scales;
  Weight w;
  RandomWeight(DType dt, int64_t rows, int64_t cols) {
    std::mt19937 rng(1);
    std::normal_distribution<float> d(0.0f, 0.05f);
    bytes.resize(size_t(rows * cols) * dtype_size(dt));
    for (int64_t i = 0; i < rows * cols; ++i) {
      const float v = d(rng);
      switch (dt) {
        case DType::kF32:
          std::memcpy(&bytes[size_t(i) * 4], &v, 4);
          break;
        case DType::kBF16: {
          const uint16_t h = f32_to_bf16(v);
          std::memcpy(&bytes[size_t(i) * 2], &h, 2);
          break;
        }
        case DType::kF16: {
          const uint16_t h = f32_to_f16(v);
          std::memcpy(&bytes[size_t(i) * 2], &h, 2);
          break;
        }
        case DType::kF8E4M3:
          bytes[size_t(i)] = f32_to_fp8e4m3(v * 100);
          break;
      }
    }
    if (dt == DType::kF8E4M3) scales.assign(size_t(((rows + 127) / 128) * ((cols + 127) / 128)), 0.01f);
    w = Weight{dt, rows, cols, bytes.data(), scales.empty() ? nullptr : scales.data()};
  }
};

// args: dtype, tokens, rows, cols
void BM_Matmul(benchmark::State& state) {
  const KernelContext kc = context();
  const DType dt = DType(state.range(0));
  const int64_t T = state.range(1), N = state.range(2), K = state.range(3);
  RandomWeight rw(dt, N, K);
  std::vector<float> x(static_cast<size_t>(T * K), 0.01f), y(static_cast<size_t>(T * N));
  for (auto _ : state) {
    matmul(kc, x.data(), K, T, rw.w, y.data(), N);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["weight_GBps"] =
      benchmark::Counter(double(rw.w.bytes()) * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * double(T * N * K) * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(dtype_name(dt)) + " T=" + std::to_string(T));
}

void matmul_args(benchmark::internal::Benchmark* b) {
  for (DType dt : {DType::kBF16, DType::kF16, DType::kF32, DType::kF8E4M3}) {
    b->Args({int64_t(dt), 1, 16384, 2048});   // 解码 GEMV：权重远大于缓存
    b->Args({int64_t(dt), 8, 16384, 2048});   // 批量解码 / MTP 验证
    b->Args({int64_t(dt), 512, 2048, 2048});  // 预填充 GEMM
  }
  for (int64_t t : {2, 4, 6, 12, 16, 24, 32, 48})
    b->Args({int64_t(DType::kBF16), t, 2816, 2048});  // MoE 专家的 token 数
}
BENCHMARK(BM_Matmul)->Apply(matmul_args)->UseRealTime()->Unit(benchmark::kMillisecond);

// 预填充 GEMM 的 BF16 点积内核（AVX512_BF16），与同形状的 f32 路径（BM_Matmul/1/512/...）对比。直接调用内核
// （按 96 行的块分给线程），所以在 matmul 不启用它的 CPU（bf16_dot_gemm_enabled 为假）上也能测。
void BM_MatmulBf16Dot(benchmark::State& state) {
  if (!bf16_dot_supported()) {
    state.SkipWithError("CPU 不支持 AVX512_BF16");
    return;
  }
  const int64_t T = state.range(0), N = 2048, K = 2048;
  RandomWeight rw(DType::kBF16, N, K);
  std::vector<float> x(static_cast<size_t>(T * K), 0.01f), y(static_cast<size_t>(T * N));
  for (auto _ : state) {
    pool().parallel_for(
        N, [&](int64_t b, int64_t e, int) { avx512bf16::gemm_rows(x.data(), K, T, rw.w, y.data(), N, b, e); }, 96);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * double(T * N * K) * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MatmulBf16Dot)->Arg(48)->Arg(512)->UseRealTime()->Unit(benchmark::kMillisecond);

// 解码 GEMV 的真实情形：依次流过总计约 1 GiB 的 16 个 BF16 矩阵（16384 × 2048，v2-lite 的列数，远大于缓存），
// 与 StreamRead 对比。参数一 0：f32 激活；1：matmul_precision = bf16（激活舍入成 BF16；AVX2 路径直接读 BF16 激活，
// AVX-512 路径读舍入后的 f32）。参数二：token 数（1 = 解码，8 = batch 8 解码 / MTP 验证的小批点积）。
void BM_GemvStream(benchmark::State& state) {
  const bool bf16 = state.range(0) == 1;
  const int64_t T = state.range(1);
  const int64_t n_mats = 16, rows = 16384, cols = 2048;
  const size_t bytes = size_t(rows * cols) * 2;
  Buffer<uint8_t> storage(bytes * size_t(n_mats));
  // 正规的 BF16 值（指数固定、尾数取散列）：任意字节会含次正规数，FMA 遇到它们要走微码，测到的不是带宽
  auto* elems = reinterpret_cast<uint16_t*>(storage.data());
  pool().parallel_for(
      int64_t(storage.size() / 2),
      [&](int64_t b, int64_t e, int) {
        for (int64_t i = b; i < e; ++i) elems[i] = uint16_t(0x3c00 | (((uint64_t(i) * 2654435761u) >> 20) & 0x3ff));
      },
      1 << 20);
  std::vector<Weight> ws;
  for (int64_t m = 0; m < n_mats; ++m)
    ws.push_back(Weight{DType::kBF16, rows, cols, storage.data() + size_t(m) * bytes, nullptr});
  std::vector<float> x(static_cast<size_t>(T * cols), 0.01f), y(static_cast<size_t>(T * rows));
  const KernelContext kc = context(bf16 ? MatmulPrecision::kBf16 : MatmulPrecision::kF32);
  for (auto _ : state) {
    for (const Weight& w : ws) matmul(kc, x.data(), cols, T, w, y.data(), rows);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["weight_GBps"] = benchmark::Counter(double(bytes * size_t(n_mats)) * double(state.iterations()) / 1e9,
                                                     benchmark::Counter::kIsRate);
  state.SetLabel(std::string(bf16 ? "bf16 激活" : "f32 激活") + " T=" + std::to_string(T));
}
BENCHMARK(BM_GemvStream)->ArgsProduct({{0, 1}, {1, 8}})->UseRealTime()->Unit(benchmark::kMillisecond);

// MoE 专家批：E 个专家各 T 个 token 的 gate 与 up（一次 matmul_batch），模拟预填充时的专家计算
void BM_MoeExpertBatch(benchmark::State& state) {
  const KernelContext kc = context();
  const int64_t E = state.range(0), T = state.range(1), N = 1408, K = 2048;
  std::vector<RandomWeight> ws;
  ws.reserve(size_t(2 * E));
  for (int64_t i = 0; i < 2 * E; ++i) ws.emplace_back(DType::kBF16, N, K);
  std::vector<float> x(static_cast<size_t>(E * T * K), 0.01f), y(static_cast<size_t>(2 * E * T * N));
  std::vector<MatmulJob> jobs;
  for (int64_t i = 0; i < 2 * E; ++i)
    jobs.push_back({x.data() + (i / 2) * T * K, K, T, &ws[size_t(i)].w, y.data() + i * T * N, N});
  for (auto _ : state) {
    matmul_batch(kc, jobs.data(), jobs.size());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOPs"] = benchmark::Counter(2.0 * double(2 * E * T * N * K) * double(state.iterations()) / 1e9,
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MoeExpertBatch)->Args({64, 48})->Args({64, 1})->Args({8, 1})->UseRealTime()->Unit(benchmark::kMillisecond);

// 解码时 latent（MQA）注意力的形状：16 头共享每 token 一行 [c_kv (512) | k_pe (64)]，按 64 个 token 一块
struct LatentCache {
  static constexpr int64_t kHeads = 16, kDk = 576, kDv = 512, kBlock = 64;
  std::vector<uint8_t> bytes;
  std::vector<const uint8_t*> blocks;
  KvRows rows;
  LatentCache(DType dt, int64_t ctx) {
    std::vector<float> v(static_cast<size_t>(ctx * kDk));
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(i % 17) * 0.01f;
    bytes.resize(v.size() * dtype_size(dt));
    row_from_f32(dt, v.data(), bytes.data(), int64_t(v.size()));
    for (int64_t b = 0; b < ctx; b += kBlock) blocks.push_back(bytes.data() + size_t(b * kDk) * dtype_size(dt));
    rows = KvRows{blocks.data(), kBlock, kDk * int64_t(dtype_size(dt)), 0, dt};
  }
  void counters(benchmark::State& state, int64_t ctx) const {
    state.counters["cache_GBps"] =
        benchmark::Counter(double(bytes.size()) * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
    state.counters["GFLOPs"] = benchmark::Counter(
        2.0 * double(kHeads * ctx * (kDk + kDv)) * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  }
};

// 逐 token 内核（上下文短于分块注意力阈值时用）：每个头各做一遍点积与 axpy，单线程
void BM_AttentionLatentDecode(benchmark::State& state) {
  const KernelContext kc = context();
  const int64_t ctx = state.range(0);
  const LatentCache c(DType::kF32, ctx);
  std::vector<float> q(static_cast<size_t>(c.kHeads * c.kDk), 0.01f), out(static_cast<size_t>(c.kHeads * c.kDv)),
      scratch(static_cast<size_t>(c.kHeads * ctx));
  AttentionArgs a;
  a.q = q.data(), a.n_heads = c.kHeads, a.q_head_stride = c.kDk;
  a.kv = c.rows, a.n_ctx = ctx;
  a.dk = c.kDk, a.dv = c.kDv, a.scale = 0.1f;
  a.out = out.data(), a.out_head_stride = c.kDv;
  for (auto _ : state) {
    attention(kc, a, scratch.data());
    benchmark::DoNotOptimize(out.data());
  }
  c.counters(state, ctx);
}
BENCHMARK(BM_AttentionLatentDecode)->Arg(64)->Arg(128)->Arg(512)->Arg(4096)->Arg(8192)->Unit(benchmark::kMicrosecond);

// 共享键值的融合内核（长上下文 latent 解码）：16 个头一组，键块转换一次；单线程，参数为 {ctx, 0 = F32 / 1 = BF16 缓存}
void BM_SharedKvAttention(benchmark::State& state) {
  const KernelContext kc = context();
  const int64_t ctx = state.range(0);
  const LatentCache c(state.range(1) ? DType::kBF16 : DType::kF32, ctx);
  std::vector<float> q(static_cast<size_t>(c.kHeads * c.kDk), 0.01f), o(static_cast<size_t>(c.kHeads * c.kDv)),
      m(static_cast<size_t>(c.kHeads)), l(static_cast<size_t>(c.kHeads));
  std::vector<int64_t> visible(static_cast<size_t>(c.kHeads), ctx);
  std::vector<float> scratch(static_cast<size_t>(shared_kv_attention_scratch(c.kHeads, c.kDk, c.kDv)));
  SharedKvAttentionArgs a;
  a.q = q.data(), a.ldq = c.kDk, a.n_q = c.kHeads, a.visible = visible.data();
  a.kv = c.rows, a.k0 = 0, a.k1 = ctx;
  a.dk = c.kDk, a.dv = c.kDv, a.scale = 0.1f;
  a.o = o.data(), a.ldo = c.kDv, a.m = m.data(), a.l = l.data();
  for (auto _ : state) {
    shared_kv_attention(kc, a, scratch.data());
    benchmark::DoNotOptimize(o.data());
  }
  c.counters(state, ctx);
}
BENCHMARK(BM_SharedKvAttention)
    ->Args({64, 0})
    ->Args({128, 0})
    ->Args({512, 0})
    ->Args({8192, 0})
    ->Args({512, 1})
    ->Args({8192, 1})
    ->Unit(benchmark::kMicrosecond);

// STREAM 式读带宽（与 dsinfer bench --bandwidth 相同的内核），作为 roofline 的分母
void BM_StreamRead(benchmark::State& state) {
  const KernelContext kc = context();
  const int64_t n = int64_t(1) << 28;  // 1 GiB
  Buffer<float> a(static_cast<size_t>(n));
  pool().parallel_for(
      n, [&](int64_t b, int64_t e, int) { std::fill(a.data() + b, a.data() + e, 1.0f); }, 4096);
  std::vector<float> sink(static_cast<size_t>(pool().size()));
  for (auto _ : state) {
    pool().parallel_for(
        n, [&](int64_t b, int64_t e, int t) { sink[size_t(t)] += stream_read(kc, a.data() + b, e - b); }, 4096);
    benchmark::DoNotOptimize(sink.data());
  }
  state.counters["read_GBps"] =
      benchmark::Counter(double(n) * 4 * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StreamRead)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace dsinfer::kernels

BENCHMARK_MAIN();
